import type { DataConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { NativeConnection, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Db } from 'mongodb';
import type { AdapterFactories, PlatformAdapter } from '../../activities/platforms/adapter';
import {
  referenceAdapterFactory,
  referencePlatformsPerTenant,
  type ReferencePlatform,
} from '../../activities/platforms/reference';
import { InMemorySecretStore } from '../../activities/secret-stores/in-memory';
import type { ActionInputs, PlatformConnection, TenantPolicy } from '../../shared';
import type { Platform } from '../../shared/platforms';
import { taskQueues } from '../../shared/task-queues';
import { createStores, ensureIndexes } from '../../store';
import { createWorkers } from '../../workers/create-workers';
import { bundleWorkflows, testMongo, timeSkippingEnv, uniqueQueue } from './servers';

/**
 * The product's workers (createWorkers) on a queue set of their own, serving the
 * reference and notification platforms. The notification adapter here is an
 * in-process recorder standing in for the real one (tested on its own against
 * Slack/Teams contract fakes), so tests can see what consumers and reviewers were told.
 */
export async function startLifecycleWorkers(opts: {
  connection: NativeConnection;
  namespace?: string;
  db: Db;
  workflowBundle: WorkflowBundleWithSourceMap;
  /** Real platform adapters served beside the reference platform (e.g. SCIM against its contract fake). */
  adapters?: AdapterFactories;
  /** The reference platform a tenant's runs act on: one per tenant by default. */
  reference?: (tenantId: string) => ReferencePlatform;
  /** Payload codec (encryption); must match the test's client. */
  dataConverter?: DataConverter;
}) {
  const prefix = uniqueQueue('lc') + '-';
  const queues = taskQueues(prefix);
  // Each tenant acts on a reference platform of its own, so no test sees another's accounts.
  const platformOf = opts.reference ?? referencePlatformsPerTenant();
  const secrets = new InMemorySecretStore();
  const notices: ActionInputs['notify'][] = [];
  const notifier: PlatformAdapter = {
    platform: 'notification',
    notify: (input) => (notices.push(input), Promise.resolve({ outcome: 'done' })),
  };
  const stores = createStores(opts.db);
  await ensureIndexes(stores);
  const { tenants, evidence, reviews } = stores;

  const workers = await createWorkers(
    {
      connection: opts.connection,
      namespace: opts.namespace ?? 'default',
      mongo: { db: opts.db },
      dataConverter: opts.dataConverter,
      adapters: { reference: referenceAdapterFactory(platformOf), notification: () => notifier, ...opts.adapters },
      resolveSecretStore: () => Promise.resolve(secrets),
    },
    {
      taskQueuePrefix: prefix,
      workflowBundle: opts.workflowBundle,
      platforms: ['reference', 'notification', 'http-callback', ...(Object.keys(opts.adapters ?? {}) as Platform[])],
    },
  );
  const running = Promise.all(workers.map((w) => w.run()));

  return {
    queues,
    /** The reference platform a tenant's runs act on. */
    platformOf,
    secrets,
    notices,
    tenants,
    evidence,
    reviews,
    /** A tenant connected to the reference platform (and to notifications unless `withNotifications` is false); returns its reference platform. */
    async createTenant(tenantId: string, policy: Partial<TenantPolicy> = {}, withNotifications = true) {
      const connections: PlatformConnection[] = [
        { platform: 'reference' },
        ...(withNotifications ? [{ platform: 'notification' as const }] : []),
      ];
      await tenants.create({ tenantId, name: tenantId, policy, connections });
      return platformOf(tenantId);
    },
    async stop() {
      // A worker that already stopped (its server went away) rejects `running` with the reason.
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
    },
  };
}

export type LifecycleWorkers = Awaited<ReturnType<typeof startLifecycleWorkers>>;

/**
 * A time-skipping server, a database of its own and the lifecycle workers for one
 * test file, started before its tests and stopped after them.
 */
export function lifecycleOnTimeSkipping(name: string): { env: TestWorkflowEnvironment; lc: LifecycleWorkers } {
  const ctx = {} as {
    env: TestWorkflowEnvironment;
    lc: LifecycleWorkers;
    mongo?: Awaited<ReturnType<typeof testMongo>>;
  };
  beforeAll(async () => {
    const [env, mongo, workflowBundle] = await Promise.all([timeSkippingEnv(), testMongo(name), bundleWorkflows()]);
    Object.assign(ctx, {
      env,
      mongo,
      lc: await startLifecycleWorkers({ connection: env.nativeConnection, db: mongo.db, workflowBundle }),
    });
  });
  afterAll(async () => {
    await ctx.lc?.stop();
    await ctx.mongo?.drop();
    await ctx.env?.teardown();
  });
  return ctx;
}
