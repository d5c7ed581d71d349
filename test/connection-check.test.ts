/**
 * Testing a tenant's platform connection (POST /v1/tenants/{tenantId}/connections/{platform}/test) through the
 * real API, the Temporal dev server and the workers: the check runs on the platform's own queue with the
 * tenant's own credentials, against the SCIM contract fake and the reference platform. A good secret answers
 * `ok` after a real call to the platform; a wrong one answers `failed` with the platform's refusal and no
 * secret; a platform without a connection, another tenant's admin and a non-admin role are refused at once.
 */
import request from 'supertest';
import { scimAdapterFactory } from '../activities/platforms/scim';
import { FakeScim } from './fakes/scim';
import { admin, testApi, type TestApi } from './support/api';
import { keepHistory } from './support/histories';
import { startLifecycleWorkers, type LifecycleWorkers } from './support/lifecycle-workers';
import { bundleWorkflows } from './support/servers';
import { eventually } from './support/poll';

const GOOD = 'cc-good';
const BAD = 'cc-bad';
const GOOD_TOKEN = 'scim-token-good-0123456789';
const WRONG_TOKEN = 'scim-token-wrong-9876543210';
let api: TestApi;
let lc: LifecycleWorkers;
let app: TestApi['app'];
let scim: FakeScim;

beforeAll(async () => {
  scim = await new FakeScim(GOOD_TOKEN).start();
  scim.users.set('u1', { id: 'u1', userName: 'ada', active: true });
  process.env.TENANT_CC_GOOD__SCIM_TOKEN = GOOD_TOKEN;
  process.env.TENANT_CC_BAD__SCIM_TOKEN = WRONG_TOKEN;
  api = await testApi('connection-check');
  lc = await startLifecycleWorkers({
    connection: api.temporal.nativeConnection,
    db: api.mongo.db,
    workflowBundle: await bundleWorkflows(),
    adapters: { scim: scimAdapterFactory },
  });
  app = api.appWith({ queues: lc.queues });
  for (const [tenantId, variable] of [
    [GOOD, 'TENANT_CC_GOOD__SCIM_TOKEN'],
    [BAD, 'TENANT_CC_BAD__SCIM_TOKEN'],
  ] as const)
    await lc.tenants.create({
      tenantId,
      name: tenantId,
      connections: [
        { platform: 'reference' },
        { platform: 'scim', baseUrl: scim.baseUrl, credentials: { token: `env:${variable}` } },
      ],
    });
});

afterAll(async () => {
  await lc?.stop();
  await api?.close();
  await scim?.stop();
});

type Check = { platform: string; status: string; failure?: string; detail: string; checkedAt: string };
const test = (tenantId: string, platform: string, auth: Record<string, string> = admin) =>
  request(app).post(`/v1/tenants/${tenantId}/connections/${platform}/test`).set(auth);

it('answers ok after a real read on the platform with the tenant’s own secret', async () => {
  const listedBefore = scim.http.requests.filter((r) => r.method === 'GET' && r.path === '/scim/v2/Users').length;
  const res = await test(GOOD, 'scim').expect(200);
  expect(res.body as Check).toMatchObject({ platform: 'scim', status: 'ok' });
  expect((res.body as Check).detail).toContain('at least one');
  const listed = scim.http.requests.filter((r) => r.method === 'GET' && r.path === '/scim/v2/Users');
  expect(listed.length).toBe(listedBefore + 1);
  // The fake answers only its own bearer token: ok means the tenant's secret was the one sent.
  expect((await test(GOOD, 'reference').expect(200)).body).toMatchObject({ platform: 'reference', status: 'ok' });

  const [run] = await eventually(async () => {
    const found = [];
    for await (const w of api.temporal.client.workflow.list({
      query: `WorkflowType = 'connectionCheck' AND WorkflowId STARTS_WITH '${GOOD}/connection-check/scim/'`,
    }))
      found.push(w);
    return found.length ? found : undefined;
  }, 'the check’s workflow in visibility');
  await keepHistory('connection-check-ok', api.temporal.client.workflow.getHandle(run!.workflowId));
});

it('answers failed with the platform’s refusal of a wrong secret, and never shows the secret', async () => {
  const res = await test(BAD, 'scim').expect(200);
  expect(res.body as Check).toMatchObject({ platform: 'scim', status: 'failed', failure: 'PlatformForbidden' });
  expect(JSON.stringify(res.body)).not.toContain(WRONG_TOKEN);
  expect(JSON.stringify(res.body)).not.toContain(GOOD_TOKEN);
});

it('refuses at once what it cannot test: a platform without a connection, another tenant, a non-admin', async () => {
  const missing = await test(GOOD, 'okta').expect(404);
  expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
  const otherAdmin = await api.keyFor([{ role: 'admin', tenantId: BAD }], 'bad-admin');
  await test(GOOD, 'scim', otherAdmin).expect(404);
  const desk = await api.keyFor([{ role: 'service-desk', tenantId: GOOD }], 'desk');
  await test(GOOD, 'scim', desk).expect(403);
  await test(GOOD, 'not-a-platform').expect(400);
});

it('runs one test at a time per tenant: another while one is running is refused with Retry-After', async () => {
  scim.http.latencyMs = 1_500;
  try {
    const [first, second] = await Promise.all([test(GOOD, 'scim'), test(GOOD, 'scim')]);
    expect([first.status, second.status].sort()).toEqual([200, 429]);
    const refused = first.status === 429 ? first : second;
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.body.type).toMatch(/connection-test-running$/);
  } finally {
    scim.http.latencyMs = 0;
  }
  // Once it has answered, the tenant may test again.
  expect((await test(GOOD, 'reference').expect(200)).body.status).toBe('ok');
});
