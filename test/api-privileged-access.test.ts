/**
 * Privileged access driven through the API on the real privilegedAccess
 * workflow (lifecycles), the real Temporal dev server and FerretDB, against
 * the stateful reference platform: request, approval rules, grant, extension,
 * early end and revoke, and the evidence of it all.
 */
import request from 'supertest';
import { approvalUpdate } from '../shared/messages';
import { admin, testApi, type TestApi } from './support/api';
import { startLifecycleWorkers, type LifecycleWorkers } from './support/lifecycle-workers';
import { bundleWorkflows } from './support/servers';
import { eventually } from './support/poll';

let api: TestApi;
let lc: LifecycleWorkers;
let app: TestApi['app'];
type Auth = { Authorization: string };
let desk: Auth;
let approver: Auth;
let otherApprover: Auth;

beforeAll(async () => {
  api = await testApi('api_pam');
  lc = await startLifecycleWorkers({
    connection: api.temporal.nativeConnection,
    db: api.mongo.db,
    workflowBundle: await bundleWorkflows(),
  });
  app = api.appWith({ queues: lc.queues });
  await lc.createTenant('pam-acme', { privilegedAccessMaxMinutes: 120, approvers: ['approver-1'] });
  desk = await api.keyFor([{ role: 'service-desk', tenantId: 'pam-acme' }], 'desk-dana');
  approver = await api.keyFor([{ role: 'approver', tenantId: 'pam-acme' }], 'approver-1');
  otherApprover = await api.keyFor([{ role: 'approver', tenantId: 'pam-acme' }], 'approver-2');
});

afterAll(async () => {
  await lc?.stop();
  await api.close();
});

it('requests, approves, grants, extends, ends early and revokes, all through the API', async () => {
  lc.platformOf('pam-acme').seedAccount({ userName: 'ada' });
  const hasAdmin = () =>
    lc
      .platformOf('pam-acme')
      .accounts.get('ada')!
      .entitlements.some((e) => e.id === 'global-admin');
  const started = await request(app)
    .post('/v1/tenants/pam-acme/privileged-access')
    .set(desk)
    .send({
      subject: { subjectId: 'ada', userName: 'ada' },
      platform: 'reference',
      entitlementId: 'global-admin',
      durationMinutes: 60,
      justification: 'INC-4711 production outage',
    })
    .expect(202);
  const run = started.headers.location!;
  const status = (want: string) =>
    eventually(async () => {
      const res = await request(app).get(run).set(desk).expect(200);
      return res.body.status === want
        ? (res.body as { needsHuman: string[]; steps: { stepId: string; status: string }[] })
        : undefined;
    }, `status ${want}`);

  const waiting = await status('waiting-for-approval');
  expect(waiting.needsHuman).toEqual(['approve or deny the privileged access request']);
  expect(hasAdmin()).toBe(false);

  // An approver the tenant does not list: the run's validator refuses it (the step's role decides who may approve).
  const unlisted = await request(app)
    .post(`${run}/approvals`)
    .set(otherApprover)
    .send({ decision: 'approve' })
    .expect(422);
  expect(unlisted.body.detail).toBe('approver-2 is not an approver of this tenant');
  await request(app)
    .post(`${run}/approvals`)
    .set(approver)
    .send({ decision: 'approve', comment: 'confirmed with on-call' })
    .expect(200, { accepted: true });
  await request(app).post(`${run}/approvals`).set(approver).send({ decision: 'deny', comment: 'again' }).expect(422);

  const granted = await status('waiting');
  expect(granted.steps).toEqual([expect.objectContaining({ stepId: 'grant', status: 'succeeded' })]);
  expect(hasAdmin()).toBe(true);

  const extended = await request(app).post(`${run}/extend`).set(approver).send({ minutes: 30 }).expect(200);
  expect(Date.parse(extended.body.expiresAt as string)).toBeGreaterThan(Date.now() + 80 * 60_000);
  const over = await request(app).post(`${run}/extend`).set(approver).send({ minutes: 60 }).expect(422);
  expect(over.body.detail).toBe('the time-box may not exceed 120 minutes in total');

  await request(app).post(`${run}/end`).set(desk).send({ comment: 'incident resolved' }).expect(202);
  await expect(
    api.temporal.client.workflow.getHandle('pam-acme/privileged-access/ada:reference:global-admin').result(),
  ).resolves.toMatchObject({ outcome: 'ended-early' });
  expect(hasAdmin()).toBe(false);
  expect((await status('completed')).steps.map((s) => s.stepId)).toEqual(['grant', 'revoke']);

  const evidence = await eventually(async () => {
    const res = await request(app).get(`${run}/evidence`).set(admin).expect(200);
    const records = res.body.records as { event: string; actor: { id: string } }[];
    return records.some((r) => r.event === 'POST /v1/tenants/:tenantId/runs/:runId/end') ? records : undefined;
  }, 'the evidence');
  const events = evidence.map((r) => `${r.event} by ${r.actor.id}`);
  expect(events).toEqual(
    expect.arrayContaining([
      'access-requested by desk-dana',
      'approval by approver-1',
      'POST /v1/tenants/:tenantId/runs/:runId/approvals by approver-1',
      'POST /v1/tenants/:tenantId/runs/:runId/end by desk-dana',
    ]),
  );
});

it('refuses a self-approval (the subject approving their own elevation) in the API and in the run', async () => {
  lc.platformOf('pam-acme').seedAccount({ userName: 'approver-1' });
  const started = await request(app)
    .post('/v1/tenants/pam-acme/privileged-access')
    .set(desk)
    .send({
      subject: { subjectId: 'approver-1', userName: 'approver-1' },
      platform: 'reference',
      entitlementId: 'global-admin',
      durationMinutes: 30,
      justification: 'self-service elevation attempt',
    })
    .expect(202);
  await eventually(
    async () =>
      (await request(app).get(started.headers.location!).set(desk)).body.status === 'waiting-for-approval'
        ? true
        : undefined,
    'waiting',
  );
  const res = await request(app)
    .post(`${started.headers.location!}/approvals`)
    .set(approver)
    .send({ decision: 'approve' })
    .expect(403);
  expect(res.body.detail).toBe('the subject cannot approve their own access');
  // The same refusal reaches a client that skips the API.
  const handle = api.temporal.client.workflow.getHandle('pam-acme/privileged-access/approver-1:reference:global-admin');
  await expect(
    handle.executeUpdate(approvalUpdate, { args: [{ approved: true, approver: { id: 'approver-1', kind: 'user' } }] }),
  ).rejects.toThrow();
  await request(app).post(`${started.headers.location!}/cancel`).set(desk).expect(202);
});
