import { Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Db } from 'mongodb';
import { createAccessReviewActivities } from '../../activities/access-review';
import { createEvidenceActivities } from '../../activities/evidence';
import { createPlatformActivities } from '../../activities/platform-activities';
import type { PlatformAdapter } from '../../activities/platform-adapter';
import { createReferenceAdapter, ReferencePlatform } from '../../activities/reference';
import { createSecretRotationActivities } from '../../activities/secret-rotation';
import { InMemorySecretStore } from '../../activities/secret-stores/in-memory';
import { createTenantActivities } from '../../activities/tenants';
import type { ActionInputs, Platform, PlatformConnection, TenantPolicy } from '../../shared';
import { taskQueues } from '../../shared/task-queues';
import { EvidenceStore } from '../../store/evidence';
import { ReviewStore } from '../../store/reviews';
import { TenantStore } from '../../store/tenants';
import { uniqueQueue } from './servers';

/**
 * The workers the lifecycle workflows need, on a queue set of their own:
 * workflows, control (evidence, tenants, secret rotation, review store) and the
 * reference and notification platforms. The notification adapter here is an
 * in-process recorder standing in for the real one (another module's), so tests
 * can see what consumers and reviewers were told.
 */
export async function startLifecycleWorkers(opts: { connection: NativeConnection; namespace?: string; db: Db; workflowBundle: WorkflowBundleWithSourceMap }) {
  const prefix = uniqueQueue('lc') + '-';
  const queues = taskQueues(prefix);
  const platform = new ReferencePlatform();
  const secrets = new InMemorySecretStore();
  const notices: ActionInputs['notify'][] = [];
  const adapters: Partial<Record<Platform, PlatformAdapter>> = {
    reference: createReferenceAdapter(platform),
    notification: { platform: 'notification', notify: (input) => (notices.push(input), Promise.resolve({ outcome: 'done' })) },
  };
  const resolveAdapter = (_tenantId: string, p: Platform) => Promise.resolve(adapters[p] ?? { platform: p });
  const resolveSecretStore = () => Promise.resolve(secrets);
  const tenants = new TenantStore(opts.db);
  const evidence = new EvidenceStore(opts.db);
  const reviews = new ReviewStore(opts.db);
  await Promise.all([tenants.ensureIndexes(), evidence.ensureIndexes(), reviews.ensureIndexes()]);

  const common = { connection: opts.connection, namespace: opts.namespace ?? 'default' };
  const workers = await Promise.all([
    Worker.create({ ...common, taskQueue: queues.workflows, workflowBundle: opts.workflowBundle }),
    Worker.create({
      ...common,
      taskQueue: queues.control,
      activities: {
        ...createEvidenceActivities({ evidence }),
        ...createTenantActivities({ tenants }),
        ...createSecretRotationActivities({ resolveAdapter, resolveSecretStore }),
        ...createAccessReviewActivities({ reviews, resolveAdapter }),
      },
    }),
    ...(['reference', 'notification'] as const).map((p) =>
      Worker.create({ ...common, taskQueue: queues.platform(p), activities: createPlatformActivities(p, { resolveAdapter, resolveSecretStore }) }),
    ),
  ]);
  const running = Promise.all(workers.map((w) => w.run()));

  return {
    queues,
    platform,
    secrets,
    notices,
    tenants,
    evidence,
    reviews,
    /** A tenant connected to the reference platform (and to notifications unless `withNotifications` is false). */
    async createTenant(tenantId: string, policy: Partial<TenantPolicy> = {}, withNotifications = true) {
      const connections: PlatformConnection[] = [{ platform: 'reference' }, ...(withNotifications ? [{ platform: 'notification' as const }] : [])];
      await tenants.create({ tenantId, name: tenantId, policy, connections });
    },
    async stop() {
      workers.forEach((w) => w.shutdown());
      await running;
    },
  };
}

export type LifecycleWorkers = Awaited<ReturnType<typeof startLifecycleWorkers>>;
