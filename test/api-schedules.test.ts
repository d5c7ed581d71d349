/**
 * Schedules of rotation campaigns and access reviews as Temporal Schedules on
 * the real dev server. The campaign workflows a trigger starts are TEST-ONLY
 * stand-ins (test/workflows/api-stand-ins.ts) on this file's task queue.
 */
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import request from 'supertest';
import { taskQueues } from '../shared/task-queues';
import { admin, testApi, type TestApi } from './support/api';
import { eventually } from './support/poll';

let api: TestApi;
let worker: Worker;
let running: Promise<void>;
let acmeAdmin: { Authorization: string };
let auditor: { Authorization: string };
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  api = await testApi('api_schedules');
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows/api-stand-ins'),
    logger: quiet,
  });
  worker = await Worker.create({
    connection: api.temporal.nativeConnection,
    taskQueue: taskQueues(api.queuePrefix).workflows,
    workflowBundle,
  });
  running = worker.run();
  // Tenant ids unique to this run: schedules live on the shared dev server.
  await request(api.app).post('/v1/tenants').set(admin).send({ tenantId: tenant, name: 'Acme' }).expect(201);
  await request(api.app).post('/v1/tenants').set(admin).send({ tenantId: otherTenant, name: 'Globex' }).expect(201);
  acmeAdmin = await api.keyFor([{ role: 'admin', tenantId: tenant }], 'ada');
  auditor = await api.keyFor([{ role: 'auditor', tenantId: tenant }], 'al');
});

afterAll(async () => {
  worker.shutdown();
  await running;
  await api.close();
});

const suffix = Math.random().toString(36).slice(2, 8);
const tenant = `acme-${suffix}`;
const otherTenant = `globex-${suffix}`;
const base = () => `/v1/tenants/${tenant}/schedules`;

it('creates a quarterly review schedule and a rotation campaign every 30 days, and lists them', async () => {
  const review = await request(api.app)
    .post(base())
    .set(acmeAdmin)
    .send({ scheduleId: 'quarterly-review', kind: 'access-review', cron: '0 6 1 */3 *' })
    .expect(201);
  expect(review.headers.location).toBe(`${base()}/quarterly-review`);
  expect(review.body).toMatchObject({ scheduleId: 'quarterly-review', kind: 'access-review', paused: false });
  expect(review.body.spec.calendars).toHaveLength(1);
  expect(review.body.nextActionTimes.length).toBeGreaterThan(0);
  const rotation = await request(api.app)
    .post(base())
    .set(acmeAdmin)
    .send({ scheduleId: 'rotate-monthly', kind: 'rotation-campaign', every: '30d', campaign: { maxAgeDays: 90 } })
    .expect(201);
  expect(rotation.body.spec.intervals).toEqual([{ every: 30 * 24 * 3600 * 1000 }]);
  await request(api.app)
    .post(base())
    .set(acmeAdmin)
    .send({ scheduleId: 'rotate-monthly', kind: 'rotation-campaign', every: '30d' })
    .expect(409);

  // The tenant's default schedules (made with the tenant) are listed with the ones made here.
  const listed = await eventually(async () => {
    const res = await request(api.app).get(base()).set(auditor).expect(200);
    return (res.body.items as unknown[]).length === 4 ? (res.body.items as { scheduleId: string }[]) : undefined;
  }, 'schedule visibility');
  expect(listed.map((s) => s.scheduleId).sort()).toEqual([
    'access-review',
    'credential-rotation',
    'quarterly-review',
    'rotate-monthly',
  ]);
});

it('gives every tenant a daily rotation campaign and reviews on its policy’s cadence, following policy changes', async () => {
  const rotation = await request(api.app).get(`${base()}/credential-rotation`).set(auditor).expect(200);
  expect(rotation.body).toMatchObject({ kind: 'rotation-campaign', paused: false });
  const months = async () => {
    const res = await request(api.app).get(`${base()}/access-review`).set(auditor).expect(200);
    return new Set((res.body.nextActionTimes as string[]).map((t) => new Date(t).getUTCMonth()));
  };
  for (const month of await months()) expect([0, 3, 6, 9]).toContain(month);
  await request(api.app)
    .patch(`/v1/tenants/${tenant}`)
    .set(acmeAdmin)
    .send({ policy: { reviewCadence: 'annual' } })
    .expect(200);
  expect(await months()).toEqual(new Set([0]));
});

it('validates the calendar (cron or every, not both, not neither) and the campaign settings', async () => {
  const both = await request(api.app)
    .post(base())
    .set(acmeAdmin)
    .send({ scheduleId: 'x', kind: 'rotation-campaign', cron: '0 0 * * *', every: '1d' })
    .expect(400);
  expect(both.body.errors).toEqual([{ path: 'body.every', message: 'give cron or every, not both' }]);
  const neither = await request(api.app)
    .post(base())
    .set(acmeAdmin)
    .send({ scheduleId: 'x', kind: 'rotation-campaign' })
    .expect(400);
  expect(neither.body.errors).toEqual([{ path: 'body.cron', message: 'give cron or every' }]);
  const reviewSettings = await request(api.app)
    .post(base())
    .set(acmeAdmin)
    .send({ scheduleId: 'x', kind: 'access-review', every: '90d', campaign: { maxAgeDays: 3 } })
    .expect(400);
  expect(reviewSettings.body.errors).toEqual([
    { path: 'body.campaign', message: 'an access review takes its settings from the tenant policy' },
  ]);
  const future = new Date(Date.now() + 86_400_000).toISOString();
  const rotateAll = await request(api.app)
    .post(base())
    .set(acmeAdmin)
    .send({ scheduleId: 'x', kind: 'rotation-campaign', every: '1d', campaign: { createdBefore: future } })
    .expect(400);
  expect(rotateAll.body.errors).toEqual([
    { path: 'body.campaign.createdBefore', message: 'must not be in the future' },
  ]);
  const badCron = await request(api.app)
    .post(base())
    .set(acmeAdmin)
    .send({ scheduleId: 'x', kind: 'access-review', cron: 'every monday' })
    .expect(400);
  expect(badCron.body.errors[0].path).toBe('body.cron');
  // Found by fuzzing: a cron Temporal cannot read, a zero or tab-separated interval, an empty change, all a 400 at once.
  const outOfRange = await request(api.app)
    .post(base())
    .set(acmeAdmin)
    .send({ scheduleId: 'x', kind: 'access-review', cron: '99 99 99 99 99' })
    .expect(400);
  expect(outOfRange.body.errors[0]).toEqual({
    path: 'body.cron',
    message: expect.stringMatching(/^Temporal cannot read this calendar: Minute is not in range/),
  });
  for (const every of ['0d', '93\tm']) {
    expect(
      (
        await request(api.app)
          .post(base())
          .set(acmeAdmin)
          .send({ scheduleId: 'x', kind: 'rotation-campaign', every })
          .expect(400)
      ).body.errors[0].path,
    ).toBe('body.every');
  }
  await request(api.app).patch(`${base()}/credential-rotation`).set(acmeAdmin).send({ cron: 'a b c d e' }).expect(400);
  await request(api.app).patch(`${base()}/credential-rotation`).set(acmeAdmin).send({}).expect(400);
});

it('pauses, resumes and changes the calendar with PATCH', async () => {
  await request(api.app)
    .post(base())
    .set(acmeAdmin)
    .send({ scheduleId: 'rotate-weekly', kind: 'rotation-campaign', every: '7d' })
    .expect(201);
  const paused = await request(api.app)
    .patch(`${base()}/rotate-weekly`)
    .set(acmeAdmin)
    .send({ paused: true, note: 'change freeze' })
    .expect(200);
  expect(paused.body).toMatchObject({ paused: true, note: 'change freeze' });
  const changed = await request(api.app)
    .patch(`${base()}/rotate-weekly`)
    .set(acmeAdmin)
    .send({ paused: false, every: '14d' })
    .expect(200);
  expect(changed.body.paused).toBe(false);
  expect(changed.body.spec.intervals).toEqual([{ every: 14 * 24 * 3600 * 1000 }]);
});

it('triggers a campaign now: it runs with the tenant’s search attributes and shows among the tenant’s runs', async () => {
  await request(api.app)
    .post(base())
    .set(acmeAdmin)
    .send({ scheduleId: 'rotate-now', kind: 'rotation-campaign', every: '90d', campaign: { concurrency: 2 } })
    .expect(201);
  await request(api.app).post(`${base()}/rotate-now/trigger`).set(acmeAdmin).expect(202);
  const run = await eventually(async () => {
    const res = await request(api.app).get(`/v1/tenants/${tenant}/runs?subject=rotate-now`).set(auditor).expect(200);
    return (res.body.items as { runId: string; kind: string }[])[0];
  }, 'the triggered campaign');
  expect(run.kind).toBe('credential-rotation');
  const detail = await request(api.app).get(`/v1/tenants/${tenant}/runs/${run.runId}`).set(auditor).expect(200);
  expect(detail.body).toMatchObject({
    kind: 'credential-rotation',
    subjectId: 'rotate-now',
    requestedBy: { id: 'rotate-now', kind: 'schedule' },
  });
  expect(detail.body.progressAvailable).toBe(true);
  const described = await request(api.app).get(`${base()}/rotate-now`).set(auditor).expect(200);
  expect(described.body.recentActions[0].workflowId).toMatch(new RegExp(`^${tenant}/credential-rotation/rotate-now-`));
});

it('keeps schedules to their tenant and their role', async () => {
  const globexAdmin = await api.keyFor([{ role: 'admin', tenantId: otherTenant }]);
  await request(api.app).get(`${base()}/quarterly-review`).set(globexAdmin).expect(404);
  await request(api.app).get(`/v1/tenants/${otherTenant}/schedules/quarterly-review`).set(globexAdmin).expect(404);
  await request(api.app).delete(`${base()}/quarterly-review`).set(auditor).expect(403);
  await request(api.app).post(`${base()}/quarterly-review/trigger`).set(auditor).expect(403);
});

it('deletes a schedule', async () => {
  await request(api.app).delete(`${base()}/quarterly-review`).set(acmeAdmin).expect(204);
  await request(api.app).get(`${base()}/quarterly-review`).set(acmeAdmin).expect(404);
  await request(api.app).delete(`${base()}/quarterly-review`).set(acmeAdmin).expect(404);
});
