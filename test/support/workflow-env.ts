import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { AdapterFactories } from '../../activities/adapters';
import { referenceAdapterFactory, ReferencePlatform } from '../../activities/reference';
import type { Platform } from '../../shared/platforms';
import type { TenantPolicy } from '../../shared/runbooks';
import { taskQueues, type TaskQueues } from '../../shared/task-queues';
import { createStores, ensureIndexes, type Stores } from '../../store';
import { SEED_RUNBOOKS } from '../../store/seeds';
import { createWorkers } from '../../workers/create-workers';
import { bundleWorkflows, testMongo, timeSkippingEnv, uniqueQueue } from './servers';

export interface WorkflowEnv {
  env: TestWorkflowEnvironment;
  stores: Stores;
  /** The reference platform the `reference` queue acts on; `extra` platforms get their own instance each. */
  reference: ReferencePlatform;
  extra: Partial<Record<Platform, ReferencePlatform>>;
  queues: TaskQueues;
  tenant(policy?: Partial<TenantPolicy>): Promise<string>;
  teardown(): Promise<void>;
}

/**
 * A time-skipping Temporal server, a FerretDB database with the product seeds,
 * and this project's real workers (createWorkers) on a queue set of their own,
 * acting on in-process reference platforms. `extraPlatforms` are served by
 * further reference platforms, so a test can take one "platform" down.
 */
export async function workflowEnv(name: string, extraPlatforms: Platform[] = []): Promise<WorkflowEnv> {
  const [env, mongo, bundle] = await Promise.all([timeSkippingEnv(), testMongo(name), bundleWorkflows()]);
  const stores = createStores(mongo.db);
  await ensureIndexes(stores);
  await stores.runbooks.loadSeeds(SEED_RUNBOOKS);
  const reference = new ReferencePlatform();
  const extra = Object.fromEntries(extraPlatforms.map((p) => [p, new ReferencePlatform()])) as Partial<Record<Platform, ReferencePlatform>>;
  const adapters: AdapterFactories = { reference: referenceAdapterFactory(reference) };
  for (const [platform, instance] of Object.entries(extra)) adapters[platform as Platform] = referenceAdapterFactory(instance);
  const prefix = `${uniqueQueue(name)}-`;
  const workers: Worker[] = await createWorkers(
    { connection: env.nativeConnection, namespace: env.namespace ?? 'default', mongo, adapters },
    { taskQueuePrefix: prefix, workflowBundle: bundle },
  );
  const running = Promise.all(workers.map((w) => w.run()));
  let tenants = 0;
  return {
    env,
    stores,
    reference,
    extra,
    queues: taskQueues(prefix),
    async tenant(policy) {
      tenants += 1;
      const tenantId = `${name}-t${tenants}`;
      await stores.tenants.create({ tenantId, name: tenantId, policy });
      return tenantId;
    },
    async teardown() {
      workers.forEach((w) => w.shutdown());
      await running;
      await mongo.drop();
      await env.teardown();
    },
  };
}
