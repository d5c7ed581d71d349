/**
 * The demo `npm start` offers (runbooks/demo.ts, scripts/demo.ts), prepared through the real API on a
 * port with the lifecycle workers on the Temporal dev server and FerretDB: each persona's key does
 * what the demo promises — the manager has a review share waiting, the approver an elevation whose
 * approval grants on the platform, the service desk an offboarding that runs to completion on the
 * tenant's default runbook. Preparing again (a restart) keeps the keys and starts nothing twice.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import {
  DEMO_ELEVATION,
  DEMO_PERSONAS,
  DEMO_REVIEW_ID,
  seedDemoPlatform,
  setDemoRunbookDefaults,
} from '../runbooks/demo';
import { SEED_RUNBOOKS } from '../runbooks';
import { prepareDemo, type DemoKeys } from '../scripts/demo';
import { ADMIN_KEY, testApi, type TestApi } from './support/api';
import { startLifecycleWorkers, type LifecycleWorkers } from './support/lifecycle-workers';
import { bundleWorkflows } from './support/servers';
import { eventually } from './support/poll';

const TENANT = 'demo-t';
let api: TestApi;
let lc: LifecycleWorkers;
let app: TestApi['app'];
let server: Server;
let apiUrl: string;
let dir: string;
let keys: DemoKeys;
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'irb-demo-'));
  api = await testApi('demo');
  await api.stores.runbooks.loadSeeds(SEED_RUNBOOKS);
  lc = await startLifecycleWorkers({
    connection: api.temporal.nativeConnection,
    db: api.mongo.db,
    workflowBundle: await bundleWorkflows(),
  });
  // What the worker does for DEMO_TENANT (workers/create-workers.ts, workers/main.ts).
  seedDemoPlatform(lc.platformOf(TENANT));
  expect(await setDemoRunbookDefaults(api.stores, TENANT)).toBe(true);
  app = api.appWith({ queues: lc.queues });
  server = createServer((req, res) => void app(req, res)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  keys = (await prepareDemo({ apiUrl, adminKey: ADMIN_KEY, tenantId: TENANT, keysFile: join(dir, 'keys.json') })).keys;
});

afterAll(async () => {
  server?.close();
  await lc?.stop();
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('keeps the personas’ keys in a file only its owner reads, each key holding one role on the demo tenant', async () => {
  expect(statSync(join(dir, 'keys.json')).mode & 0o777).toBe(0o600);
  expect(JSON.parse(readFileSync(join(dir, 'keys.json'), 'utf8'))).toEqual(keys);
  for (const persona of Object.keys(DEMO_PERSONAS) as (keyof typeof DEMO_PERSONAS)[]) {
    const me = await request(app).get('/v1/me').set(bearer(keys[persona])).expect(200);
    expect(JSON.stringify(me.body)).toContain(DEMO_PERSONAS[persona].ownerId);
    expect(JSON.stringify(me.body)).toContain(DEMO_PERSONAS[persona].role);
  }
  // The reviewer cannot act as the service desk.
  await request(app)
    .post(`/v1/tenants/${TENANT}/offboardings`)
    .set(bearer(keys.reviewer))
    .send({ subject: { subjectId: 'carol', userName: 'carol' }, mode: 'immediate' })
    .expect(403);
});

it('the manager has a review share waiting, with the decision helper recommending to revoke unused access', async () => {
  type Item = { itemId: string; subjectId: string; entitlementId: string; recommendation?: string };
  const items = await eventually(
    async () => {
      const res = await request(app)
        .get(`/v1/tenants/${TENANT}/reviews/${DEMO_REVIEW_ID}/items?reviewer=me`)
        .set(bearer(keys.reviewer));
      const found = res.status === 200 ? (res.body.items as Item[]) : [];
      return found.length >= 9 ? found : undefined;
    },
    'the manager’s review share',
    60_000,
  );
  const byEntitlement = (subjectId: string, entitlementId: string) =>
    items.find((i) => i.subjectId === subjectId && i.entitlementId === entitlementId);
  expect(byEntitlement('ada', 'finance-reports')?.recommendation).toBe('revoke');
  expect(byEntitlement('ada', 'engineering')?.recommendation).toBe('approve');
  expect(byEntitlement('svc-legacy-export', 'storage-reader')).toBeDefined();
});

it('the approver approves the waiting elevation and the grant happens on the platform', async () => {
  const platform = lc.platformOf(TENANT);
  const hasGrant = () => platform.accounts.get('ada')!.entitlements.some((e) => e.id === DEMO_ELEVATION.entitlementId);
  type Pending = { runId: string; subjectId: string; stepId?: string };
  const [pending] = await eventually(
    async () => {
      const res = await request(app).get(`/v1/tenants/${TENANT}/approvals`).set(bearer(keys.approver)).expect(200);
      const items = res.body.items as Pending[];
      return items.length ? items : undefined;
    },
    'the waiting elevation',
    60_000,
  );
  expect(pending!.subjectId).toBe('ada');
  expect(hasGrant()).toBe(false);
  // Four eyes: the service desk that asked cannot approve it.
  await request(app)
    .post(`/v1/tenants/${TENANT}/runs/${pending!.runId}/approvals`)
    .set(bearer(keys.desk))
    .send({ decision: 'approve', comment: 'mine' })
    .expect(403);
  await request(app)
    .post(`/v1/tenants/${TENANT}/runs/${pending!.runId}/approvals`)
    .set(bearer(keys.approver))
    .send({ decision: 'approve', comment: 'backup restore confirmed', stepId: pending!.stepId })
    .expect(200);
  await eventually(() => Promise.resolve(hasGrant() || undefined), 'the grant on the platform', 60_000);
});

it('the service desk offboards bob on the default runbook and the run completes, every step done', async () => {
  const platform = lc.platformOf(TENANT);
  const started = await request(app)
    .post(`/v1/tenants/${TENANT}/offboardings`)
    .set(bearer(keys.desk))
    .send({
      subject: { subjectId: 'bob', userName: 'bob', email: 'bob@demo.example', managerId: 'morgan-manager' },
      mode: 'immediate',
      reason: 'resigned',
    })
    .expect(202);
  type Run = { status: string; runbook?: { id: string }; steps: { status: string }[]; needsHuman: string[] };
  const done = await eventually(
    async () => {
      const res = await request(app).get(started.headers.location!).set(bearer(keys.desk)).expect(200);
      return (res.body as Run).status === 'completed' ? (res.body as Run) : undefined;
    },
    'the offboarding',
    90_000,
  );
  expect(done.runbook?.id).toBe('reference-offboarding');
  expect(done.needsHuman).toEqual([]);
  expect(done.steps.filter((s) => !['succeeded', 'already-done'].includes(s.status))).toEqual([]);
  expect(platform.accounts.get('bob')).toBeUndefined();
  expect(platform.accounts.get('morgan-manager')!.owned).toContain('bob/roadmap-2027.doc');
});

it('preparing again (a restart) keeps the keys and the tenant', async () => {
  const again = await prepareDemo({ apiUrl, adminKey: ADMIN_KEY, tenantId: TENANT, keysFile: join(dir, 'keys.json') });
  expect(again.keys).toEqual(keys);
  const keyList = await request(app).get('/v1/api-keys').set(bearer(ADMIN_KEY)).expect(200);
  const demoKeys = (keyList.body.items as { ownerId: string; revokedAt?: string }[]).filter((k) =>
    Object.values(DEMO_PERSONAS).some((p) => p.ownerId === k.ownerId),
  );
  expect(demoKeys).toHaveLength(3);
});

it('never switches a tenant connected to real platforms to the reference runbooks (a DEMO_TENANT left in production)', async () => {
  await api.stores.tenants.create({
    tenantId: 'real-client',
    name: 'A real client',
    connections: [{ platform: 'okta', baseUrl: 'https://real-client.okta.example', credentials: {} }],
  });
  expect(await setDemoRunbookDefaults(api.stores, 'real-client')).toBe(false);
  expect((await api.stores.runbooks.resolve('real-client', 'offboarding'))?.runbookId).not.toBe(
    'reference-offboarding',
  );
});
