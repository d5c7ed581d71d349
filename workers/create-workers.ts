import type { DataConverter } from '@temporalio/common';
import { Runtime, Worker, type NativeConnection } from '@temporalio/worker';
import { type AdapterFactories, createAdapterResolver } from '../activities/platforms/adapter';
import { tenantSecretReader, type TenantSecretReader } from '../activities/connection-secrets';
import { createRotationCampaignActivities } from '../activities/rotation-campaign';
import { createAccessReviewActivities } from '../activities/access-review';
import { createConnectionCheckActivities } from '../activities/connection-check';
import { createDiagnosticsActivities } from '../activities/diagnostics';
import { createEvidenceActivities } from '../activities/evidence';
import { createHttpCallbackActivities } from '../activities/http-callback';
import { createPlatformActivities } from '../activities/platform-activities';
import { referencePlatformsPerTenant } from '../activities/platforms/reference';
import { adapterFactories } from '../activities/platforms/registry';
import { createRunbookActivities } from '../activities/runbooks';
import type { SecretStoreResolver } from '../activities/secret-store';
import { embeddedSecretStore } from '../activities/secret-stores/embedded';
import { tenantSecretStores } from '../activities/secret-stores/tenant-secret-stores';
import { createSecretRotationActivities } from '../activities/secret-rotation';
import { createTenantActivities } from '../activities/tenants';
import type { Mongo } from '../infra/mongo';
import type { SecretCipher } from '../infra/secret-cipher';
import { seedDemoPlatform } from '../runbooks/demo';
import { PLATFORM_DEFAULTS } from '../shared/platform-defaults';
import type { Platform } from '../shared/platforms';
import { taskQueues } from '../shared/task-queues';
import { createStores } from '../store';
import { ProgressWriter, WORKFLOW_INTERCEPTOR_MODULES } from './progress-writer';

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  /** The product database (stores, and the worker's own store check). */
  mongo: Pick<Mongo, 'db'>;
  /** Platform adapters of this build (activities/platforms/registry.ts by default). */
  adapters?: AdapterFactories;
  /** Seals the embedded secret store (SECRET_STORE_KEYS); without it no secret can be stored or read there. */
  secretCipher?: SecretCipher;
  /** Tests only: another store for rotated secrets (production: the tenant's choice, else the embedded store). */
  resolveSecretStore?: SecretStoreResolver;
  /** Tests only: another resolver of connection secret references (production: tenantSecretReader). */
  readSecrets?: TenantSecretReader;
  /** The API's public URL, where customer systems call back for `callAndWait` steps. */
  publicBaseUrl?: string;
  /** The tenant whose reference platform starts as the demo company (runbooks/demo.ts); none by default. */
  demoTenant?: string;
  /** Payload codec (encryption) and friends; must match the clients'. */
  dataConverter?: DataConverter;
}

export interface WorkerOptions {
  /** Queue-set prefix (tests, blue/green fleets); '' in production. */
  taskQueuePrefix?: string;
  /** Prebuilt workflow bundle (tests bundle once per file); bundled from source otherwise. */
  workflowBundle?: { code: string };
  /** Platform queues this process serves (--platforms / WORKER_PLATFORMS); every platform with an adapter by default. */
  platforms?: readonly Platform[];
  /** Activities per second a platform's queue allows, instead of its default (shared/platform-defaults.ts). */
  maxActivitiesPerSecond?: Partial<Record<Platform, number>>;
}

/**
 * Every worker of one process: the workflows queue, the control queue (runbooks,
 * tenants, evidence, secret rotation, access-review store) and one worker per platform queue, each rate
 * limited for all workers of that queue at once (a platform's API limit is global).
 */
export async function createWorkers(deps: WorkerDeps, options: WorkerOptions = {}): Promise<Worker[]> {
  const queues = taskQueues(options.taskQueuePrefix);
  const common = { connection: deps.connection, namespace: deps.namespace, dataConverter: deps.dataConverter };
  const workflowSource = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : {
        workflowsPath: require.resolve('../workflows'),
        interceptors: { workflowModules: WORKFLOW_INTERCEPTOR_MODULES },
      };
  const stores = createStores(deps.mongo.db, { secretCipher: deps.secretCipher });
  // Chat notifications link to the console's screen for what waits (served by the API at /console/).
  const consoleUrl = deps.publicBaseUrl ? `${deps.publicBaseUrl.replace(/\/$/, '')}/console/` : undefined;
  const demoTenant = deps.demoTenant;
  const reference = referencePlatformsPerTenant(
    demoTenant
      ? (tenantId, platform) => {
          if (tenantId === demoTenant) seedDemoPlatform(platform);
        }
      : undefined,
  );
  const adapters = deps.adapters ?? adapterFactories(stores, reference, { consoleUrl });
  const readSecrets = deps.readSecrets ?? tenantSecretReader(stores.secrets);
  const resolveSecretStore =
    deps.resolveSecretStore ??
    tenantSecretStores(stores.tenants, readSecrets, (tenantId) => embeddedSecretStore(stores.secrets, tenantId));
  const resolveAdapter = createAdapterResolver(stores.tenants, adapters, readSecrets);
  const platforms = options.platforms ?? [...(Object.keys(adapters) as Platform[]), 'http-callback'];
  const unserved = platforms.filter((p) => !adapters[p] && p !== 'http-callback');
  if (unserved.length) throw new Error(`no adapter for ${unserved.join(', ')} in this build`);

  const reviewActivities = createAccessReviewActivities({ reviews: stores.reviews, resolveAdapter });
  const campaignActivities = createRotationCampaignActivities({
    candidates: stores.rotationCandidates,
    resolveAdapter,
  });
  const control = {
    ...createDiagnosticsActivities(deps.mongo),
    ...createRunbookActivities(stores),
    ...createTenantActivities(stores),
    ...createEvidenceActivities(stores),
    ...createSecretRotationActivities({ resolveAdapter, resolveSecretStore }),
    ...reviewActivities,
    rotationCandidates: campaignActivities.rotationCandidates.bind(campaignActivities),
  };
  // A review's collection and revocations, and a rotation campaign's inventory, call the platform: they run on its queue, under its rate limit.
  const onPlatform = {
    collectReviewItems: reviewActivities.collectReviewItems.bind(reviewActivities),
    applyRevocationBatch: reviewActivities.applyRevocationBatch.bind(reviewActivities),
    collectRotationCandidates: campaignActivities.collectRotationCandidates.bind(campaignActivities),
  };
  return Promise.all([
    Worker.create({
      ...common,
      ...workflowSource,
      taskQueue: queues.workflows,
      sinks: new ProgressWriter(stores.runProgress, Runtime.instance().logger).sinks(),
    }),
    Worker.create({ ...common, taskQueue: queues.control, activities: control }),
    ...platforms.map((platform) =>
      Worker.create({
        ...common,
        taskQueue: queues.platform(platform),
        activities:
          platform === 'http-callback'
            ? // Completes asynchronously (CompleteAsyncError), so not through createPlatformActivities.
              createHttpCallbackActivities({
                callbacks: stores.callbacks,
                callbackBaseUrl: deps.publicBaseUrl ?? 'http://127.0.0.1:3000',
                connection: (tenantId) => stores.tenants.connection(tenantId, 'http-callback'),
                readSecrets,
              })
            : {
                ...createPlatformActivities(platform, { resolveAdapter, resolveSecretStore }),
                ...onPlatform,
                ...createConnectionCheckActivities(platform, resolveAdapter),
              },
        maxTaskQueueActivitiesPerSecond:
          options.maxActivitiesPerSecond?.[platform] ?? PLATFORM_DEFAULTS[platform].maxActivitiesPerSecond,
      }),
    ),
  ]);
}
