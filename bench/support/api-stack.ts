/**
 * The service as the API benchmarks drive it: the real API (createApp) listening on a loopback port,
 * this project's workers (createWorkers) on the Temporal dev server and FerretDB of withServers(), and a
 * tenant connected to the six platforms of the standard leaver runbook, each served by an in-process
 * reference platform that answers every call after a random 50–200 ms (a platform's latency; nothing else
 * is simulated). The tenant offboards with the standard runbook minus the manager's notification.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import type { AdapterFactories, AdapterFactory } from '../../activities/platforms/adapter';
import { referenceAdapterFactory, ReferencePlatform } from '../../activities/platforms/reference';
import { createApp } from '../../api/app';
import { createLogger } from '../../infra/logger';
import { STANDARD_OFFBOARDING } from '../../runbooks/offboarding';
import type { Subject } from '../../shared';
import type { Platform } from '../../shared/platforms';
import { taskQueues } from '../../shared/task-queues';
import { SEED_RUNBOOKS } from '../../runbooks';
import { BENCH_RUNBOOK, leaverSubject } from './leavers';
import { createStores, ensureIndexes, type Stores } from '../../store';
import { createWorkers } from '../../workers/create-workers';
import { ADMIN_KEY } from '../../test/support/api';
import { bundleWorkflows, testMongo, testTemporal, uniqueQueue } from '../../test/support/servers';
import { freePort, startProcess, waitForPort } from '../../scripts/processes';
import type { Mongo } from '../../infra/mongo';

Runtime.install({ logger: new DefaultLogger('WARN') });

export const LEAVER_PLATFORMS = ['entra', 'aws-iam', 'okta', 'google-workspace', 'github', 'keycloak'] as const;
export { BENCH_RUNBOOK, offboardingBody } from './leavers';

export interface ApiStack {
  url: string;
  tenantId: string;
  stores: Stores;
  /** The Temporal client the API uses (a benchmark waits for results on it instead of polling the API). */
  client: Client;
  platforms: Record<(typeof LEAVER_PLATFORMS)[number], ReferencePlatform>;
  /** Bearer header of the tenant's service desk. */
  desk: { Authorization: string };
  /** A leaver with sessions, a group and an access key on every platform. */
  seedLeaver(i: number): Subject;
  close(): Promise<void>;
}

/** Every call of the adapter answered after `minMs`–`maxMs`. */
function withLatency(factory: AdapterFactory, minMs: number, maxMs: number): AdapterFactory {
  return (...args) => {
    const adapter = factory(...args);
    return new Proxy(adapter, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return async (...callArgs: unknown[]) => {
          await new Promise((r) => setTimeout(r, minMs + Math.random() * (maxMs - minMs)));
          return (value as (...a: unknown[]) => unknown).apply(target, callArgs);
        };
      },
    });
  };
}

export async function apiStack(
  name: string,
  options: {
    latencyMs?: [number, number];
    rateLimitPerMinute?: number;
    /** Activities per second each platform's queue allows; the product's defaults when unset. */
    platformActivitiesPerSecond?: number;
    /** The API as deployed, in a process of its own (api/server.ts), instead of beside the workers in this one. */
    apiProcess?: boolean;
  } = {},
): Promise<ApiStack> {
  const [minMs, maxMs] = options.latencyMs ?? [50, 200];
  const [mongo, temporal, bundle] = await Promise.all([testMongo(name), testTemporal(), bundleWorkflows()]);
  const stores = createStores(mongo.db);
  await ensureIndexes(stores);
  await stores.runbooks.loadSeeds(SEED_RUNBOOKS);
  const platforms = Object.fromEntries(
    LEAVER_PLATFORMS.map((p) => [p, new ReferencePlatform()]),
  ) as ApiStack['platforms'];
  const adapters: AdapterFactories = {};
  for (const p of LEAVER_PLATFORMS) adapters[p] = withLatency(referenceAdapterFactory(platforms[p]), minMs, maxMs);

  const tenantId = `${name.replace(/_/g, '-')}-tenant`;
  await stores.tenants.create({
    tenantId,
    name: tenantId,
    // Retention 0: the deletion phase is due at once, so a run ends within the benchmark.
    policy: { retentionDays: 0 },
    connections: LEAVER_PLATFORMS.map((platform: Platform) => ({ platform })),
  });
  await stores.runbooks.create(
    tenantId,
    BENCH_RUNBOOK,
    {
      kind: 'offboarding',
      name: 'Standard leaver without the notification',
      steps: STANDARD_OFFBOARDING.steps.filter((s) => s.platform !== 'notification'),
    },
    'bench',
  );

  const prefix = `${uniqueQueue(name)}-`;
  const workers: Worker[] = await createWorkers(
    { connection: temporal.nativeConnection, namespace: 'default', mongo, adapters },
    {
      taskQueuePrefix: prefix,
      workflowBundle: bundle,
      platforms: [...LEAVER_PLATFORMS],
      maxActivitiesPerSecond: options.platformActivitiesPerSecond
        ? Object.fromEntries(LEAVER_PLATFORMS.map((p) => [p, options.platformActivitiesPerSecond]))
        : undefined,
    },
  );
  const running = Promise.all(workers.map((w) => w.run()));
  const rateLimit = options.rateLimitPerMinute ?? 600;
  const api = options.apiProcess
    ? await apiProcess({ db: mongo.db.databaseName, prefix, rateLimit })
    : await apiInProcess({ temporal: temporal.client, mongo, stores, prefix, rateLimit });
  const url = api.url;
  const keyRes = await fetch(`${url}/v1/api-keys`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'bench desk', ownerId: 'bench-desk', grants: [{ role: 'service-desk', tenantId }] }),
  });
  if (keyRes.status !== 201) throw new Error(`could not create the desk key: ${keyRes.status} ${await keyRes.text()}`);
  const desk = { Authorization: `Bearer ${((await keyRes.json()) as { key: string }).key}` };

  return {
    url,
    tenantId,
    stores,
    client: temporal.client,
    platforms,
    desk,
    seedLeaver(i) {
      const subject = leaverSubject(i);
      const userName = subject.userName;
      for (const p of LEAVER_PLATFORMS) {
        platforms[p].seedAccount({ userName: `${userName}-manager` });
        platforms[p].seedAccount({
          userName,
          sessions: 2,
          entitlements: [{ kind: 'group', id: 'engineering' }],
          owned: [`${userName}.doc`],
        });
        platforms[p].seedCredential({ id: `${userName}-key`, kind: 'access-key', ownerId: userName, status: 'active' });
      }
      return subject;
    },
    async close() {
      await api.close();
      workers.forEach((w) => w.shutdown());
      await running;
      await mongo.drop();
      await temporal.close();
    },
  };
}

interface ApiHandle {
  url: string;
  close(): Promise<void>;
}

async function apiInProcess(deps: {
  temporal: Client;
  mongo: Mongo;
  stores: Stores;
  prefix: string;
  rateLimit: number;
}): Promise<ApiHandle> {
  const app = createApp({
    temporal: deps.temporal,
    mongo: deps.mongo,
    stores: deps.stores,
    log: createLogger('silent', 'bench'),
    queues: taskQueues(deps.prefix),
    adminApiKey: ADMIN_KEY,
    rateLimit: { limit: deps.rateLimit, windowMs: 60_000 },
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** api/server.ts with the configuration a deployment gives it, on the benchmark's servers and queues. */
async function apiProcess(options: { db: string; prefix: string; rateLimit: number }): Promise<ApiHandle> {
  const port = await freePort();
  const child = startProcess('api', process.execPath, ['--import', 'tsx', 'api/server.ts'], {
    ...process.env,
    API_PORT: String(port),
    ADMIN_API_KEY: ADMIN_KEY,
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
    MONGODB_URI: process.env.TEST_MONGODB_URI,
    MONGODB_DB: options.db,
    TASK_QUEUE_PREFIX: options.prefix,
    API_RATE_LIMIT_PER_MINUTE: String(options.rateLimit),
    LOG_LEVEL: 'warn',
  });
  await Promise.race([
    waitForPort(port, 'the API'),
    child.exited.then((code) => Promise.reject(new Error(`the API exited with ${code}`))),
  ]);
  return { url: `http://127.0.0.1:${port}`, close: async () => void (await child.stop()) };
}
