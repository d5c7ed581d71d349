import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AdapterFactories } from '../../activities/platforms/adapter';
import { referenceAdapterFactory, ReferencePlatform } from '../../activities/platforms/reference';
import type { InMemorySecretStore } from '../../activities/secret-stores/in-memory';
import { progressQuery } from '../../shared/messages';
import type { Platform } from '../../shared/platforms';
import type { RunProgress } from '../../shared/runs';
import type { TenantPolicy } from '../../shared/runbooks';
import type { TaskQueues } from '../../shared/task-queues';
import { createStores, ensureIndexes, type Stores } from '../../store';
import { SEED_RUNBOOKS } from '../../runbooks';
import { startLifecycleWorkers, type LifecycleWorkers } from './lifecycle-workers';
import { bundleWorkflows, testMongo, testTemporal, timeSkippingEnv } from './servers';
import { waitFor } from './poll';

export interface WorkflowEnv {
  /** The time-skipping environment (not set on the dev server). */
  env: TestWorkflowEnvironment;
  /** A client with the same data converter as the workers. */
  client: Client;
  stores: Stores;
  /** The reference platform the `reference` queue acts on; `extra` platforms get their own instance each. */
  reference: ReferencePlatform;
  extra: Partial<Record<Platform, ReferencePlatform>>;
  /** Every tenant's secret store (credentials the runs create land here). */
  secrets: InMemorySecretStore;
  queues: TaskQueues;
  /** What the runs told people (the notification queue's recorder), for tenants created with notifications. */
  notices: LifecycleWorkers['notices'];
  tenant(policy?: Partial<TenantPolicy>, options?: { notifications?: boolean }): Promise<string>;
  teardown(): Promise<void>;
}

export interface WorkflowEnvOptions {
  /** Further platforms, each served by a reference platform of its own, so a test can take one down. */
  extraPlatforms?: Platform[];
  /** The shared dev server instead of a time-skipping server of this file's own. */
  devServer?: boolean;
  dataConverter?: DataConverter;
}

/**
 * A Temporal server (time-skipping by default), a FerretDB database with the
 * product seeds, and this project's real workers (createWorkers) on a queue set
 * of their own, acting on in-process reference platforms.
 */
export async function workflowEnv(name: string, options: WorkflowEnvOptions = {}): Promise<WorkflowEnv> {
  const { extraPlatforms = [], devServer = false, dataConverter } = options;
  const [server, mongo, bundle] = await Promise.all([
    devServer ? testTemporal() : timeSkippingEnv(),
    testMongo(name),
    bundleWorkflows(undefined, dataConverter?.failureConverterPath),
  ]);
  const env = (devServer ? undefined : server) as TestWorkflowEnvironment;

  const stores = createStores(mongo.db);
  await ensureIndexes(stores);
  await stores.runbooks.loadSeeds(SEED_RUNBOOKS);
  const reference = new ReferencePlatform();
  const extra = Object.fromEntries(extraPlatforms.map((p) => [p, new ReferencePlatform()])) as Partial<
    Record<Platform, ReferencePlatform>
  >;
  // The suite's one way of starting the product's workers (lifecycle-workers.ts): here every tenant shares one
  // reference platform, and each extra platform is a reference platform of its own.
  const adapters: AdapterFactories = {};
  for (const [platform, instance] of Object.entries(extra))
    adapters[platform as Platform] = referenceAdapterFactory(instance);
  const lc = await startLifecycleWorkers({
    connection: server.nativeConnection,
    namespace: env?.namespace ?? 'default',
    db: mongo.db,
    workflowBundle: bundle,
    adapters,
    reference: () => reference,
    dataConverter,
  });
  let tenants = 0;
  return {
    env,
    // The time-skipping client skips time while a test awaits a result; on the dev server, a client with the workers' converter.
    client: env ? env.client : new Client({ connection: server.client.connection, dataConverter }),
    stores,
    reference,
    extra,
    secrets: lc.secrets,
    queues: lc.queues,
    notices: lc.notices,
    async tenant(policy, { notifications = false } = {}) {
      tenants += 1;
      const tenantId = `${name}-t${tenants}`;
      // Connected to every platform it acts on: an unconnected platform fails with NotConnected.
      const connections = [
        { platform: 'reference' as const },
        ...extraPlatforms.map((platform) => ({ platform })),
        ...(notifications ? [{ platform: 'notification' as const }] : []),
      ];
      await stores.tenants.create({ tenantId, name: tenantId, policy, connections });
      return tenantId;
    },
    async teardown() {
      await lc.stop();
      await mongo.drop();
      await ('teardown' in server ? server.teardown() : server.close());
    },
  };
}

/** Polls the progress query until `ready` (the run reached a timer, a gate...); fails after about 10 s. */
export function waitForProgress(
  handle: { query: (q: typeof progressQuery) => Promise<RunProgress> },
  ready: (p: RunProgress) => boolean,
): Promise<RunProgress> {
  return waitFor(() => handle.query(progressQuery), ready);
}
