/**
 * Reliability: the store (FerretDB, a process of this test's own with its data on disk) crashes (SIGKILL) while
 * offboardings accepted through the API are in flight on a SCIM platform (the SCIM contract fake, 300 ms a
 * call), and started again on the same port and data. The API, its Mongo client and the workers are not
 * restarted. While the store is away the API answers 503 with Retry-After for what needs it; once it is back
 * the same API accepts again by itself, every accepted offboarding completes with its evidence, and every
 * platform effect happened exactly once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import request from 'supertest';
import { createApp } from '../../api/app';
import { decodeRunId } from '../../api/runs';
import { scimAdapterFactory } from '../../activities/platforms/scim';
import { createLogger } from '../../infra/logger';
import { connectMongo, type Mongo } from '../../infra/mongo';
import { ferretDbArgs, freePort, startProcess, waitForPort, type Supervised } from '../../scripts/processes';
import { taskQueues } from '../../shared/task-queues';
import { createStores } from '../../store';
import { createWorkers } from '../../workers/create-workers';
import { ADMIN_KEY, admin } from '../support/api';
import { SCIM_LEAVER_RUNBOOK, scimLeaverTenant } from '../support/scim-leavers';
import { FakeScim, type FakeScimUser } from '../fakes/scim';
import { bundleWorkflows, testTemporal, uniqueQueue } from '../support/servers';
import { TOOLS_BIN } from '../support/tools';
import { eventually } from '../support/poll';

const TENANT = 'store-outage';
const LEAVERS = 30;
const TOKEN = 'scim-bearer-for-the-store-outage-test';

let storePort: number;
let storeDir: string;
let store: Supervised | undefined;
let mongo: Mongo;
let temporal: Awaited<ReturnType<typeof testTemporal>>;
let scim: FakeScim;
let workers: Worker[] = [];
let running: Promise<unknown> | undefined;

async function startStore(): Promise<void> {
  store = startProcess('ferretdb', join(TOOLS_BIN, 'ferretdb'), ferretDbArgs({ port: storePort, dataDir: storeDir }));
  await waitForPort(storePort, 'FerretDB');
}

beforeAll(async () => {
  storeDir = mkdtempSync(join(tmpdir(), 'irb-ferretdb-outage-'));
  [storePort, temporal, scim] = await Promise.all([freePort(), testTemporal(), new FakeScim(TOKEN).start()]);
  await startStore();
  mongo = await connectMongo({ MONGODB_URI: `mongodb://127.0.0.1:${storePort}/`, MONGODB_DB: 'store_outage' });
  process.env.TENANT_STORE_OUTAGE__SCIM_TOKEN = TOKEN;
  scim.http.latencyMs = 300;
  await scimLeaverTenant(mongo.db, TENANT, scim, 'TENANT_STORE_OUTAGE__SCIM_TOKEN');
}, 120_000);

afterAll(async () => {
  workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
  await running?.catch(() => undefined);
  await mongo?.client.close();
  await temporal?.close();
  await store?.stop();
  await scim?.stop();
});

it('answers 503 with Retry-After while the store is down, recovers by itself, and loses no accepted offboarding', async () => {
  const group = scim.addGroup('engineering');
  const leavers: FakeScimUser[] = Array.from({ length: LEAVERS + 1 }, (_, i) =>
    scim.addUser(`leaver-${i}@example.com`),
  );
  leavers.forEach((u) => group.members.add(u.id));
  const late = leavers.pop()!;
  const expected = new Set([
    ...[...leavers, late].map((u) => `deactivate:${u.id}`),
    ...[...leavers, late].map((u) => `leave:${group.id}:${u.id}`),
  ]);

  const prefix = `${uniqueQueue('outage')}-`;
  workers = await createWorkers(
    { connection: temporal.nativeConnection, namespace: 'default', mongo, adapters: { scim: scimAdapterFactory } },
    { taskQueuePrefix: prefix, workflowBundle: await bundleWorkflows(), platforms: ['scim'] },
  );
  running = Promise.all(workers.map((w) => w.run()));
  const app = createApp({
    temporal: temporal.client,
    mongo,
    stores: createStores(mongo.db),
    log: createLogger('silent', 'test'),
    queues: taskQueues(prefix),
    adminApiKey: ADMIN_KEY,
    allowInsecurePlatformUrls: true,
  });
  const offboard = (u: FakeScimUser) =>
    request(app)
      .post(`/v1/tenants/${TENANT}/offboardings`)
      .set(admin)
      .set('Idempotency-Key', `outage-${u.id}`)
      .send({ runbookId: SCIM_LEAVER_RUNBOOK, subject: { subjectId: u.id, userName: u.userName }, mode: 'immediate' });

  const accepted = await Promise.all(
    leavers.map(async (u) => {
      const res = await offboard(u);
      expect(res.status).toBe(202);
      return res.headers.location!;
    }),
  );
  await eventually(
    () => Promise.resolve(scim.applied.size >= 3 || undefined),
    'the first effects on the platform',
    120_000,
  );

  await store!.kill();
  const appliedWhenStopped = scim.applied.size;
  expect(appliedWhenStopped).toBeLessThan(expected.size);
  const refused = await offboard(late);
  expect(refused.status).toBe(503);
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
  const ready = await request(app).get('/readyz');
  expect(ready.status).toBe(503);
  expect(ready.headers['retry-after']).toBeDefined();
  // The runs meet the outage too: their store activities fail and are retried while it lasts.
  await new Promise((r) => setTimeout(r, 5_000));

  await startStore();
  process.stdout.write(`store restarted with ${appliedWhenStopped} of ${expected.size} effects applied\n`);
  // The same app and Mongo client, nothing restarted: the refused request goes through once the store is back.
  const retried = await eventually(
    async () => {
      const res = await offboard(late);
      return res.status === 202 ? res : undefined;
    },
    'the API to accept again',
    120_000,
  );
  accepted.push(retried.headers.location!);

  const finished = await Promise.all(
    accepted.map((location) =>
      eventually(
        async () => {
          const res = await request(app).get(location).set(admin);
          return res.status === 200 && ['completed', 'failed'].includes(res.body.status as string)
            ? (res.body as { status: string; runId: string })
            : undefined;
        },
        `run ${location}`,
        240_000,
      ),
    ),
  );
  expect(finished.map((r) => r.status)).toEqual(accepted.map(() => 'completed'));
  expect(new Set(scim.applied.keys())).toEqual(expected);
  expect([...scim.applied.values()].every((n) => n === 1)).toBe(true);
  // Every accepted run's evidence reached the store, down to its end, and the auditor's export shows it.
  const trails = await Promise.all(
    accepted.map(async (location) => {
      const res = await request(app).get(`${location}/evidence`).set(admin).expect(200);
      return res.body.records as { event: string }[];
    }),
  );
  expect(trails.map((t) => t.some((e) => e.event === 'finished'))).toEqual(accepted.map(() => true));
  // The runs' progress read model (written by the worker at the end of each workflow task) caught up too: the
  // writes it could not make while the store was away were made once it was back.
  const progress = createStores(mongo.db).runProgress;
  const stored = await eventually(
    async () => {
      const statuses = await Promise.all(
        accepted.map(async (location) => {
          const ref = decodeRunId(location.split('/').at(-1)!)!;
          return (await progress.get(`${TENANT}/${ref.idInTenant}`, ref.firstRunId))?.progress.status;
        }),
      );
      return statuses.every((s) => s === 'completed') ? statuses : undefined;
    },
    'the progress read model',
    60_000,
  );
  expect(stored).toHaveLength(accepted.length);
}, 420_000);
