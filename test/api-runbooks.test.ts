/** Runbook routes over the runbook store on FerretDB: versions, If-Match, archive, every problem listed, roles and tenants. */
import request from 'supertest';
import { SEED_RUNBOOKS } from '../runbooks';
import { admin, testApi, type TestApi } from './support/api';

let api: TestApi;
let acmeAdmin: { Authorization: string };
let desk: { Authorization: string };

beforeAll(async () => {
  api = await testApi('api_runbooks');
  await api.stores.runbooks.loadSeeds(SEED_RUNBOOKS);
  for (const tenantId of ['acme', 'globex'])
    await request(api.app).post('/v1/tenants').set(admin).send({ tenantId, name: tenantId }).expect(201);
  acmeAdmin = await api.keyFor([{ role: 'admin', tenantId: 'acme' }], 'ada');
  desk = await api.keyFor([{ role: 'service-desk', tenantId: 'acme' }], 'dana');
});
afterAll(() => api.close());

const base = '/v1/tenants/acme/runbooks';
const leaver = (name: string) => ({
  kind: 'offboarding',
  name,
  steps: [
    { id: 'disable-okta', platform: 'okta', action: 'disableAccount', phase: 1, onFailure: 'continue' },
    {
      id: 'sessions-okta',
      platform: 'okta',
      action: 'revokeSessions',
      phase: 1,
      after: ['disable-okta'],
      onFailure: 'continue',
    },
  ],
});

it('creates version 1, stores each change as a new version, and keeps the history', async () => {
  const created = await request(api.app)
    .post(base)
    .set(acmeAdmin)
    .send({ runbookId: 'okta-leaver', ...leaver('Okta leaver') })
    .expect(201);
  expect(created.body).toMatchObject({ tenantId: 'acme', runbookId: 'okta-leaver', version: 1, createdBy: 'ada' });
  expect(created.headers.etag).toBe('"1"');
  await request(api.app)
    .post(base)
    .set(acmeAdmin)
    .send({ runbookId: 'okta-leaver', ...leaver('again') })
    .expect(409);

  const v2 = await request(api.app)
    .put(`${base}/okta-leaver`)
    .set(acmeAdmin)
    .set('If-Match', '"1"')
    .send(leaver('Okta leaver v2'))
    .expect(200);
  expect(v2.body.version).toBe(2);
  const stale = await request(api.app)
    .put(`${base}/okta-leaver`)
    .set(acmeAdmin)
    .set('If-Match', '"1"')
    .send(leaver('lost update'))
    .expect(412);
  expect(stale.body.type).toMatch(/version-mismatch$/);

  const versions = await request(api.app).get(`${base}/okta-leaver/versions`).set(desk).expect(200);
  expect((versions.body.items as { version: number }[]).map((r) => r.version)).toEqual([2, 1]);
  const first = await request(api.app).get(`${base}/okta-leaver?version=1`).set(desk).expect(200);
  expect(first.body.name).toBe('Okta leaver');
  expect((await request(api.app).get(`${base}/okta-leaver`).set(desk).expect(200)).body.name).toBe('Okta leaver v2');
});

it('lists every problem of an invalid runbook as a field error', async () => {
  const res = await request(api.app)
    .post(base)
    .set(acmeAdmin)
    .send({
      runbookId: 'broken',
      kind: 'offboarding',
      name: 'Broken',
      colour: 'red',
      steps: [
        { id: 'a', platform: 'okta', action: 'transferOwnership', onFailure: 'halt' },
        { id: 'a', platform: 'mainframe', action: 'disableAccount', onFailure: 'halt', after: ['nowhere'] },
      ],
    })
    .expect(400);
  const paths = (res.body.errors as { path: string }[]).map((e) => e.path).sort();
  expect(paths).toEqual([
    'body',
    'body.steps.0.action',
    'body.steps.1.after.0',
    'body.steps.1.id',
    'body.steps.1.platform',
  ]);
});

it('archives: gone from the list and from new runs, still readable for audits', async () => {
  await request(api.app)
    .post(base)
    .set(acmeAdmin)
    .send({ runbookId: 'old-leaver', ...leaver('Old') })
    .expect(201);
  await request(api.app).delete(`${base}/old-leaver`).set(acmeAdmin).expect(204);
  const list = await request(api.app).get(base).set(desk).expect(200);
  expect((list.body.items as { runbookId: string }[]).map((r) => r.runbookId)).not.toContain('old-leaver');
  expect((await request(api.app).get(`${base}/old-leaver`).set(desk).expect(200)).body.archived).toBe(true);
  const run = await request(api.app)
    .post('/v1/tenants/acme/offboardings')
    .set(desk)
    .send({ runbookId: 'old-leaver', subject: { subjectId: 'e1', userName: 'e1' } })
    .expect(400);
  expect(run.body.errors).toEqual([{ path: 'body.runbookId', message: 'is archived' }]);
  const unknown = await request(api.app)
    .post('/v1/tenants/acme/offboardings')
    .set(desk)
    .send({ runbookId: 'standard-onboarding', subject: { subjectId: 'e1', userName: 'e1' } })
    .expect(400);
  expect(unknown.body.errors[0].message).toBe('is a runbook of kind onboarding, not offboarding');
  await request(api.app).delete(`${base}/nothing-here`).set(acmeAdmin).expect(404);
});

it('shows product runbooks to every tenant', async () => {
  const res = await request(api.app).get(`${base}/standard-offboarding`).set(desk).expect(200);
  expect(res.body).toMatchObject({ tenantId: '_product', kind: 'offboarding' });
});

it('lets the service desk read but not write, and hides other tenants', async () => {
  await request(api.app)
    .post(base)
    .set(desk)
    .send({ runbookId: 'x', ...leaver('x') })
    .expect(403);
  await request(api.app).put(`${base}/okta-leaver`).set(desk).send(leaver('x')).expect(403);
  await request(api.app).get('/v1/tenants/globex/runbooks').set(acmeAdmin).expect(404);
  await request(api.app).get('/v1/tenants/globex/runbooks/okta-leaver').set(admin).expect(404);
});
