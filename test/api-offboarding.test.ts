/**
 * Acceptance: a whole offboarding driven through the API to completion, on the
 * real Temporal dev server, FerretDB and this project's workers (createWorkers
 * with the product's workflows and seed runbooks) acting on the stateful
 * reference platform. The test checks effects on the platform, the run as the
 * API reports it, and the evidence trail with the callers' identities.
 */
import type { Worker } from '@temporalio/worker';
import request from 'supertest';
import { referenceAdapterFactory, ReferencePlatform } from '../activities/platforms/reference';
import { taskQueues } from '../shared/task-queues';
import { runWorkflowId } from '../shared/workflow-ids';
import { SEED_RUNBOOKS } from '../runbooks';
import { createWorkers } from '../workers/create-workers';
import { admin, testApi, type TestApi } from './support/api';
import { bundleWorkflows, uniqueQueue } from './support/servers';
import { eventually } from './support/poll';
import { seedLeaver } from './support/leavers';

let api: TestApi;
let workers: Worker[];
let running: Promise<unknown>;
let app: TestApi['app'];
const reference = new ReferencePlatform();
type Auth = { Authorization: string };
let desk: Auth;
let auditor: Auth;

beforeAll(async () => {
  api = await testApi('api_offboarding');
  await api.stores.runbooks.loadSeeds(SEED_RUNBOOKS);
  const prefix = `${uniqueQueue('offb')}-`;
  workers = await createWorkers(
    {
      connection: api.temporal.nativeConnection,
      namespace: 'default',
      mongo: api.mongo,
      adapters: { reference: referenceAdapterFactory(reference) },
    },
    { taskQueuePrefix: prefix, workflowBundle: await bundleWorkflows() },
  );
  running = Promise.all(workers.map((w) => w.run()));
  app = api.appWith({ queues: taskQueues(prefix) });
  // Retention 0: the deletion phase is due at once, so the run completes on a real-time server.
  await request(app)
    .post('/v1/tenants')
    .set(admin)
    .send({
      tenantId: 'offb-acme',
      name: 'Acme',
      policy: { retentionDays: 0 },
      connections: [{ platform: 'reference' }],
    })
    .expect(201);
  await request(app)
    .post('/v1/tenants')
    .set(admin)
    .send({
      tenantId: 'offb-globex',
      name: 'Globex',
      policy: { retentionDays: 30 },
      connections: [{ platform: 'reference' }],
    })
    .expect(201);
  desk = await api.keyFor(
    [
      { role: 'service-desk', tenantId: 'offb-acme' },
      { role: 'service-desk', tenantId: 'offb-globex' },
    ],
    'desk-dana',
  );
  auditor = await api.keyFor(
    [
      { role: 'auditor', tenantId: 'offb-acme' },
      { role: 'auditor', tenantId: 'offb-globex' },
    ],
    'audit-al',
  );
});

afterAll(async () => {
  workers?.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
  await running;
  await api.close();
});

type RunView = {
  status: string;
  closedAt?: string;
  runbook?: { id: string; version: number };
  steps: { stepId: string; status: string }[];
  needsHuman: string[];
};
const runStatus = (location: string, done: (run: RunView) => boolean) =>
  eventually(
    async () => {
      const res = await request(app).get(location).set(desk).expect(200);
      return done(res.body as RunView) ? (res.body as RunView) : undefined;
    },
    `run ${location}`,
    60_000,
  );

it('offboards a leaver everywhere through the API: contained, revoked, handed over, deleted, with evidence', async () => {
  const subject = seedLeaver(reference, 'ada');
  const body = { runbookId: 'reference-offboarding', subject, mode: 'immediate', ticketRef: 'HR-1001' };
  const started = await request(app)
    .post('/v1/tenants/offb-acme/offboardings')
    .set(desk)
    .set('Idempotency-Key', 'hr-1001-offboard')
    .send(body)
    .expect(202);
  const retried = await request(app)
    .post('/v1/tenants/offb-acme/offboardings')
    .set(desk)
    .set('Idempotency-Key', 'hr-1001-offboard')
    .send(body)
    .expect(202);
  expect(retried.body.runId).toBe(started.body.runId);

  const done = await runStatus(started.headers.location!, (r) => r.status === 'completed');
  expect(done.runbook).toEqual({ id: 'reference-offboarding', version: 1 });
  expect(done.needsHuman).toEqual([]);
  expect(done.steps.length).toBeGreaterThanOrEqual(6);
  expect(done.steps.filter((s) => !['succeeded', 'already-done'].includes(s.status))).toEqual([]);

  // Containment first: sign-in off and sessions revoked were scheduled at the highest task-queue priority, so
  // behind a platform's rate limit they go ahead of other runs' later phases; every other call keeps the default.
  const history = await api.temporal.client.workflow
    .getHandle(runWorkflowId('offb-acme', 'offboarding', subject.subjectId))
    .fetchHistory();
  const priorities = (history.events ?? []).flatMap((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes;
    return scheduled?.taskQueue?.name?.endsWith('platform-reference')
      ? [`${scheduled.activityType?.name}:${scheduled.priority?.priorityKey ?? 'default'}`]
      : [];
  });
  expect(priorities.filter((p) => p.endsWith(':1')).sort()).toEqual(['disableAccount:1', 'revokeSessions:1']);
  expect(priorities.filter((p) => !p.endsWith(':1')).every((p) => p.endsWith(':default'))).toBe(true);
  expect(priorities.length).toBeGreaterThanOrEqual(6);
  // On the control queue, what containment waits for: the runbook, the policy and the containment's evidence.
  const control = (history.events ?? []).flatMap((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes;
    return scheduled?.taskQueue?.name?.endsWith('-control') && scheduled.priority?.priorityKey === 1
      ? [scheduled.activityType?.name]
      : [];
  });
  expect(control.sort()).toEqual([
    'loadRunbook',
    'loadTenantPolicy',
    'recordEvidence',
    'recordEvidence',
    'recordEvidence',
  ]);

  // The effects, on the platform itself.
  expect(reference.accounts.has('ada')).toBe(false);
  expect(reference.credentials.get('ada-key')?.status).toBe('inactive');
  expect(reference.accounts.get('ada-manager')?.owned).toEqual(['ada-roadmap.doc']);

  const listed = await eventually(async () => {
    const res = await request(app)
      .get('/v1/tenants/offb-acme/runs?kind=offboarding&status=completed&subject=e-ada')
      .set(auditor)
      .expect(200);
    return (res.body.items as { runId: string }[])[0];
  }, 'the completed run in visibility');
  expect(listed.runId).toBe(started.body.runId);

  const evidence = await request(app).get(`${started.headers.location!}/evidence`).set(auditor).expect(200);
  const records = evidence.body.records as {
    event: string;
    actor: { id: string };
    outcome?: string;
    platform?: string;
  }[];
  expect(records[0]).toMatchObject({ actor: { id: 'desk-dana' } });
  // Both calls are on record (the retry too), then the run's own trail under the same id, ending with the outcome.
  expect(records.filter((r) => r.event === 'POST /v1/tenants/:tenantId/offboardings').map((r) => r.outcome)).toEqual([
    '202',
    '202',
  ]);
  expect(records.find((r) => r.event === 'requested')).toMatchObject({ actor: { id: 'desk-dana' } });
  expect(records.at(-1)).toMatchObject({ event: 'finished', outcome: 'completed' });
  expect(records.filter((r) => r.platform === 'reference').length).toBeGreaterThanOrEqual(5);
  const csv = await request(app)
    .get(`${started.headers.location!}/evidence`)
    .set(auditor)
    .set('Accept', 'text/csv')
    .expect(200);
  expect(csv.text.trim().split('\r\n')).toHaveLength(records.length + 1);
});

it('shows a step the platform keeps failing as retrying, with the attempt, the platform’s error and the next attempt, until it succeeds', async () => {
  const subject = seedLeaver(reference, 'bea');
  // Seven failures of eight attempts: the later retry intervals (3.2 s, 6.4 s) leave a loaded machine time to look.
  reference.failNext('disableAccount', 'server', 7);
  const started = await request(app)
    .post('/v1/tenants/offb-acme/offboardings')
    .set(desk)
    .send({ runbookId: 'reference-offboarding', subject, mode: 'immediate' })
    .expect(202);
  type Retrying = {
    stepId: string;
    status: string;
    attempt?: number;
    maximumAttempts?: number;
    lastError?: string;
    nextAttemptAt?: string;
  };
  const retrying = await eventually(
    async () => {
      const res = await request(app).get(started.headers.location!).set(desk).expect(200);
      return (res.body.steps as Retrying[]).find(
        (s) => s.status === 'retrying' && (s.attempt ?? 0) >= 2 && s.nextAttemptAt !== undefined,
      );
    },
    'the retrying step',
    60_000,
  );
  expect(retrying).toMatchObject({ maximumAttempts: 8, lastError: 'reference disableAccount failed (server)' });
  expect(Date.parse(retrying.nextAttemptAt!)).toBeGreaterThan(Date.parse('2026-01-01'));
  const done = await runStatus(started.headers.location!, (r) => r.status === 'completed');
  expect(done.steps.find((s) => s.stepId === retrying.stepId)).toMatchObject({ status: 'succeeded', attempts: 8 });
  // The evidence says so when it ends.
  const evidence = await request(app).get(`${started.headers.location!}/evidence`).set(auditor).expect(200);
  const succeeded = (
    evidence.body.records as { event: string; detail?: { stepId?: string; attempts?: number } }[]
  ).find((r) => r.event === 'step-succeeded' && r.detail?.stepId === retrying.stepId);
  expect(succeeded?.detail?.attempts).toBe(8);
});

it('stops the retention deletion when legal hold is placed through the API', async () => {
  const subject = seedLeaver(reference, 'ben');
  const started = await request(app)
    .post('/v1/tenants/offb-globex/offboardings')
    .set(desk)
    .send({
      runbookId: 'reference-offboarding',
      subject,
      mode: 'standard',
      leaveDate: new Date(Date.now() - 86_400_000).toISOString(),
    })
    .expect(202);
  // Contained at once (a past leave date is caught up), then waiting out the 30-day retention.
  await runStatus(started.headers.location!, (r) =>
    r.steps.some((s) => s.stepId === 'delete-reference' && s.status === 'waiting'),
  );
  expect(reference.accounts.get('ben')?.enabled).toBe(false);

  await request(app)
    .post(`${started.headers.location!}/legal-hold`)
    .set(desk)
    .send({ reason: 'litigation hold LH-7' })
    .expect(202);
  const done = await runStatus(started.headers.location!, (r) => r.status === 'completed');
  expect(done.steps.find((s) => s.stepId === 'delete-reference')?.status).toBe('skipped');
  expect(reference.accounts.has('ben')).toBe(true);
  const evidence = await request(app).get(`${started.headers.location!}/evidence`).set(auditor).expect(200);
  expect(evidence.body.records).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        event: 'legal-hold',
        actor: expect.objectContaining({ id: 'desk-dana' }),
        outcome: 'deletion-stopped',
      }),
    ]),
  );
});

// Last in this file: it stops the workers.
it("shows a finished run's steps from its history when no worker is there to answer a query", async () => {
  const subject = seedLeaver(reference, 'quinn');
  const started = await request(app)
    .post('/v1/tenants/offb-acme/offboardings')
    .set(desk)
    .send({ runbookId: 'reference-offboarding', subject, mode: 'immediate' })
    .expect(202);
  // Closed in Temporal, not only finished in its own progress report.
  const done = await runStatus(started.headers.location!, (r) => r.status === 'completed' && Boolean(r.closedAt));
  workers.forEach((w) => w.shutdown());
  await running;

  const res = await request(app).get(started.headers.location!).set(desk).expect(200);
  expect(res.body).toMatchObject({ status: 'completed', progressAvailable: true, needsHuman: [] });
  expect(res.body.steps).toEqual(done.steps);
  expect((res.body.steps as unknown[]).length).toBeGreaterThan(5);
});
