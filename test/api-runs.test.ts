/**
 * Run routes over the real Temporal dev server and FerretDB: starting (with
 * idempotency and joining an open run), visibility listing, progress, cancel,
 * evidence, approvals, legal hold and review decisions. The workflows behind
 * them are TEST-ONLY stand-ins (test/workflows/api-stand-ins.ts) answering the
 * shared messages; the acceptance tests drive the real lifecycle workflows.
 */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import request from 'supertest';
import { createApp } from '../api/app';
import { createLogger } from '../infra/logger';
import type { ReviewItem } from '../shared/runs';
import { taskQueues } from '../shared/task-queues';
import { reviewerWorkflowId } from '../shared/workflow-ids';
import { admin, ADMIN_KEY, testApi, type TestApi } from './support/api';
import type { reviewerAssignments } from './workflows/api-stand-ins';
import { eventually } from './support/poll';

let api: TestApi;
let worker: Worker;
let running: Promise<void>;
type Auth = { Authorization: string };
let desk: Auth;
let approver: Auth;
let auditor: Auth;

beforeAll(async () => {
  api = await testApi('api_runs');
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows/api-stand-ins'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  worker = await Worker.create({
    connection: api.temporal.nativeConnection,
    taskQueue: taskQueues(api.queuePrefix).workflows,
    workflowBundle,
  });
  running = worker.run();
  for (const tenantId of ['runs-acme', 'runs-globex'])
    await request(api.app)
      .post('/v1/tenants')
      .set(admin)
      .send({ tenantId, name: tenantId, policy: { privilegedAccessMaxMinutes: 60 } })
      .expect(201);
  desk = await api.keyFor([{ role: 'service-desk', tenantId: 'runs-acme' }], 'desk-dana');
  approver = await api.keyFor([{ role: 'approver', tenantId: 'runs-acme' }], 'boss-bo');
  auditor = await api.keyFor([{ role: 'auditor', tenantId: 'runs-acme' }], 'audit-al');
});

afterAll(async () => {
  worker.shutdown();
  await running;
  await api.close();
});

const leaver = (subjectId: string) => ({
  subject: { subjectId, userName: `${subjectId}@runs-acme.example`, email: `${subjectId}@runs-acme.example` },
  mode: 'immediate',
});

async function startOffboarding(subjectId: string, headers: Auth = desk) {
  return request(api.app).post('/v1/tenants/runs-acme/offboardings').set(headers).send(leaver(subjectId)).expect(202);
}

describe('starting runs', () => {
  it('starts an offboarding: 202, a Location to the run, and the run reports its progress', async () => {
    const started = await startOffboarding('emp-100');
    expect(started.body).toMatchObject({
      kind: 'offboarding',
      subjectId: 'emp-100',
      status: 'running',
      joinedExisting: false,
    });
    expect(started.headers.location).toBe(`/v1/tenants/runs-acme/runs/${started.body.runId}`);
    const run = await request(api.app).get(started.headers.location!).set(desk).expect(200);
    expect(run.body).toMatchObject({
      kind: 'offboarding',
      subjectId: 'emp-100',
      status: 'waiting-for-approval',
      progressAvailable: true,
      requestedBy: { id: 'desk-dana', kind: 'api-key' },
    });
    expect(run.body.steps).toEqual([
      expect.objectContaining({ stepId: 'gate', platform: 'reference', status: 'waiting' }),
    ]);
    const description = await api.temporal.client.workflow.getHandle('runs-acme/offboarding/emp-100').describe();
    expect(description.searchAttributes).toMatchObject({
      TenantId: ['runs-acme'],
      RunbookKind: ['offboarding'],
      SubjectId: ['emp-100'],
    });
  });

  it('returns the open offboarding when the same subject is offboarded again', async () => {
    const first = await startOffboarding('emp-101');
    const again = await request(api.app)
      .post('/v1/tenants/runs-acme/offboardings')
      .set(desk)
      .send({ ...leaver('emp-101'), mode: 'standard' })
      .expect(200);
    expect(again.body).toMatchObject({ runId: first.body.runId, joinedExisting: true });
    expect(again.headers.location).toBe(first.headers.location);
  });

  it('replays the answer for a repeated Idempotency-Key and refuses the key with another body', async () => {
    const key = 'desk-ticket-4711';
    const first = await request(api.app)
      .post('/v1/tenants/runs-acme/offboardings')
      .set(desk)
      .set('Idempotency-Key', key)
      .send(leaver('emp-102'))
      .expect(202);
    const replay = await request(api.app)
      .post('/v1/tenants/runs-acme/offboardings')
      .set(desk)
      .set('Idempotency-Key', key)
      .send(leaver('emp-102'))
      .expect(202);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const other = await request(api.app)
      .post('/v1/tenants/runs-acme/offboardings')
      .set(desk)
      .set('Idempotency-Key', key)
      .send(leaver('emp-103'))
      .expect(409);
    expect(other.body.type).toMatch(/idempotency-key-reused$/);
    await request(api.app).get('/v1/tenants/runs-acme/runs?subject=emp-103').set(desk).expect(200, { items: [] });
    const badKey = await request(api.app)
      .post('/v1/tenants/runs-acme/offboardings')
      .set(desk)
      .set('Idempotency-Key', 'x y')
      .send(leaver('emp-104'))
      .expect(400);
    expect(badKey.body.errors[0].path).toBe('headers.idempotency-key');
  });

  it('names every wrong field, and checks the tenant’s policy limits', async () => {
    const res = await request(api.app)
      .post('/v1/tenants/runs-acme/offboardings')
      .set(desk)
      .send({ subject: { userName: 'x' }, mode: 'fast', extra: 1 })
      .expect(400);
    expect((res.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
      'body',
      'body.mode',
      'body.subject.subjectId',
    ]);
    const tooLong = await request(api.app)
      .post('/v1/tenants/runs-acme/privileged-access')
      .set(desk)
      .send({
        subject: { subjectId: 'emp-1', userName: 'e1' },
        platform: 'aws-iam',
        entitlementId: 'arn:aws:iam::123456789012:policy/Admin',
        durationMinutes: 120,
        justification: 'incident INC-1 needs prod access',
      })
      .expect(400);
    expect(tooLong.body.errors).toEqual([
      { path: 'body.durationMinutes', message: "must be at most 60 (the tenant's policy)" },
    ]);
  });

  it('refuses roles that may not start runs (403) and callers of other tenants (404)', async () => {
    await request(api.app).post('/v1/tenants/runs-acme/offboardings').set(auditor).send(leaver('emp-105')).expect(403);
    const globexDesk = await api.keyFor([{ role: 'service-desk', tenantId: 'runs-globex' }]);
    await request(api.app)
      .post('/v1/tenants/runs-acme/offboardings')
      .set(globexDesk)
      .send(leaver('emp-105'))
      .expect(404);
  });

  it('answers 503 with Retry-After when Temporal is unreachable', async () => {
    const deadConnection = Connection.lazy({ address: '127.0.0.1:9', connectTimeout: 500 });
    const downApp = createApp({
      temporal: new Client({ connection: deadConnection }),
      mongo: api.mongo,
      stores: api.stores,
      log: createLogger('silent', 'test'),
      queues: taskQueues(api.queuePrefix),
      adminApiKey: ADMIN_KEY,
      temporalDeadlineMs: 2000,
    });
    const res = await request(downApp)
      .post('/v1/tenants/runs-acme/offboardings')
      .set(desk)
      .send(leaver('emp-106'))
      .expect(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(JSON.stringify(res.body)).not.toMatch(/127\.0\.0\.1|stack|at /);
    await deadConnection.close();
  });
});

describe('reading runs', () => {
  it('lists a tenant’s runs by kind, status and subject, page by page', async () => {
    await startOffboarding('emp-200');
    await startOffboarding('emp-201');
    await request(api.app)
      .post('/v1/tenants/runs-acme/rotations')
      .set(desk)
      .send({ credential: { platform: 'github', ownerId: 'svc-ci', kind: 'deploy-key', credentialId: 'key-9' } })
      .expect(202);
    const listed = await eventually<{ items: { kind: string }[] }>(async () => {
      const res = await request(api.app)
        .get('/v1/tenants/runs-acme/runs?kind=offboarding&status=running')
        .set(auditor)
        .expect(200);
      const subjects = (res.body.items as { subjectId: string }[]).map((i) => i.subjectId);
      return subjects.includes('emp-200') && subjects.includes('emp-201')
        ? (res.body as { items: { kind: string }[] })
        : undefined;
    }, 'visibility');
    expect((listed.items as { kind: string }[]).every((i) => i.kind === 'offboarding')).toBe(true);

    const rotation = await eventually<object>(
      async () =>
        (await request(api.app).get('/v1/tenants/runs-acme/runs?subject=svc-ci').set(auditor)).body.items[0] as
          object | undefined,
      'the rotation',
    );
    expect(rotation).toMatchObject({ kind: 'credential-rotation', subjectId: 'svc-ci', status: 'running' });

    const page1 = await request(api.app)
      .get('/v1/tenants/runs-acme/runs?kind=offboarding&pageSize=1')
      .set(auditor)
      .expect(200);
    expect(page1.body.items).toHaveLength(1);
    const page2 = await request(api.app)
      .get(`/v1/tenants/runs-acme/runs?kind=offboarding&pageSize=1&cursor=${page1.body.nextCursor as string}`)
      .set(auditor)
      .expect(200);
    expect(page2.body.items[0].runId).not.toBe(page1.body.items[0].runId);

    await request(api.app).get('/v1/tenants/runs-globex/runs').set(admin).expect(200, { items: [] });
    const bad = await request(api.app)
      .get("/v1/tenants/runs-acme/runs?subject=x'%20OR%201=1&status=sleeping")
      .set(auditor)
      .expect(400);
    expect((bad.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
      'query.status',
      'query.subject',
    ]);
  });

  it('finds no run of one tenant under another tenant’s path', async () => {
    const started = await startOffboarding('emp-202');
    await request(api.app)
      .get(`/v1/tenants/runs-globex/runs/${started.body.runId as string}`)
      .set(admin)
      .expect(404);
    await request(api.app).get('/v1/tenants/runs-acme/runs/not-a-run-id').set(admin).expect(404);
  });
});

describe('cancel, evidence and decisions', () => {
  it('cancels a run once; a second cancel is 409', async () => {
    const started = await startOffboarding('emp-300');
    await request(api.app).post(`${started.headers.location!}/cancel`).set(desk).expect(202);
    const run = await eventually<{ closedAt?: string; needsHuman: string[] }>(async () => {
      const res = await request(api.app).get(started.headers.location!).set(desk).expect(200);
      return res.body.status === 'cancelled' ? (res.body as { closedAt?: string; needsHuman: string[] }) : undefined;
    }, 'cancellation');
    expect(run.closedAt).toBeDefined();
    const again = await request(api.app).post(`${started.headers.location!}/cancel`).set(desk).expect(409);
    expect(again.body.type).toMatch(/run-closed$/);
  });

  it('approves through a workflow update: the requester cannot approve, the run refuses an invalid decision (422), a closed run is 409', async () => {
    const started = await request(api.app)
      .post('/v1/tenants/runs-acme/privileged-access')
      .set(desk)
      .send({
        subject: { subjectId: 'emp-301', userName: 'e301' },
        platform: 'aws-iam',
        entitlementId: 'arn:aws:iam::123456789012:policy/Admin',
        durationMinutes: 30,
        justification: 'incident INC-7 needs prod access',
      })
      .expect(202);
    const approvals = `${started.headers.location!}/approvals`;
    const deskApprover = await api.keyFor([{ role: 'approver', tenantId: 'runs-acme' }], 'desk-dana');
    const own = await request(api.app).post(approvals).set(deskApprover).send({ decision: 'approve' }).expect(403);
    expect(own.body.detail).toBe('an approver cannot approve their own request');
    await request(api.app).post(approvals).set(desk).send({ decision: 'approve' }).expect(403);

    const refused = await request(api.app).post(approvals).set(approver).send({ decision: 'deny' }).expect(422);
    expect(refused.body).toMatchObject({
      type: expect.stringMatching(/decision-rejected$/),
      detail: 'a denial needs a comment',
    });
    await request(api.app)
      .post(approvals)
      .set(approver)
      .send({ decision: 'approve', comment: 'INC-7 confirmed' })
      .expect(200, { accepted: true });
    await api.temporal.client.workflow
      .getHandle('runs-acme/privileged-access/emp-301:aws-iam:arn:aws:iam::123456789012:policy/Admin')
      .result();
    const done = await request(api.app).get(started.headers.location!).set(approver).expect(200);
    expect(done.body.status).toBe('completed');
    const late = await request(api.app)
      .post(approvals)
      .set(approver)
      .send({ decision: 'deny', comment: 'too late' })
      .expect(409);
    expect(late.body.type).toMatch(/run-closed$/);
  });

  it('places a legal hold on an offboarding by signal, and only on an offboarding', async () => {
    const started = await startOffboarding('emp-302');
    await request(api.app)
      .post(`${started.headers.location!}/legal-hold`)
      .set(desk)
      .send({ reason: 'litigation hold LH-12' })
      .expect(202);
    const run = await eventually<{ closedAt?: string; needsHuman: string[] }>(async () => {
      const res = await request(api.app).get(started.headers.location!).set(desk);
      return (res.body.needsHuman as string[]).length > 0
        ? (res.body as { closedAt?: string; needsHuman: string[] })
        : undefined;
    }, 'the hold');
    expect(run.needsHuman).toEqual(['legal hold: litigation hold LH-12']);
    const rotation = await request(api.app)
      .post('/v1/tenants/runs-acme/rotations')
      .set(desk)
      .send({ credential: { platform: 'okta', ownerId: 'svc-okta', kind: 'api-token' } })
      .expect(202);
    await request(api.app)
      .post(`${rotation.headers.location!}/legal-hold`)
      .set(desk)
      .send({ reason: 'not applicable' })
      .expect(409);
  });

  it('passes the blast-radius go-ahead, time-box extensions and early ends to the run', async () => {
    const started = await startOffboarding('emp-304');
    await request(api.app)
      .post(`${started.headers.location!}/go-ahead`)
      .set(approver)
      .send({ comment: 'expected: whole team leaves' })
      .expect(202);
    const run = await eventually(async () => {
      const res = await request(api.app).get(started.headers.location!).set(approver);
      return (res.body.needsHuman as string[]).length > 0 ? (res.body as { needsHuman: string[] }) : undefined;
    }, 'the go-ahead');
    expect(run.needsHuman).toEqual(['go-ahead by boss-bo']);
    await request(api.app).post(`${started.headers.location!}/extend`).set(approver).send({ minutes: 30 }).expect(409);

    const elevation = await request(api.app)
      .post('/v1/tenants/runs-acme/privileged-access')
      .set(desk)
      .send({
        subject: { subjectId: 'emp-305', userName: 'e305' },
        platform: 'okta',
        entitlementId: 'super-admin',
        durationMinutes: 15,
        justification: 'break-glass for INC-9',
      })
      .expect(202);
    await request(api.app)
      .post(`${elevation.headers.location!}/extend`)
      .set(approver)
      .send({ minutes: 30 })
      .expect(200, { expiresAt: '2030-01-01T00:30:00.000Z' });
    await request(api.app).post(`${elevation.headers.location!}/extend`).set(approver).send({ minutes: 0 }).expect(400);
    await request(api.app)
      .post(`${elevation.headers.location!}/end`)
      .set(desk)
      .send({ comment: 'incident closed' })
      .expect(202);
    await api.temporal.client.workflow.getHandle('runs-acme/privileged-access/emp-305:okta:super-admin').result();
  });

  it('serves the run’s evidence, with the API calls and their callers, as JSON and CSV', async () => {
    const started = await startOffboarding('emp-303');
    await request(api.app)
      .post(`${started.headers.location!}/approvals`)
      .set(approver)
      .send({ decision: 'approve' })
      .expect(200);
    const evidence = await eventually<{ records: object[] }>(async () => {
      const res = await request(api.app).get(`${started.headers.location!}/evidence`).set(auditor).expect(200);
      return res.body.records.length >= 2 ? (res.body as { records: object[] }) : undefined;
    }, 'audit records');
    expect(evidence.records).toEqual([
      expect.objectContaining({
        event: 'POST /v1/tenants/:tenantId/offboardings',
        actor: { id: 'desk-dana', kind: 'api-key' },
        outcome: '202',
        subjectId: 'emp-303',
      }),
      expect.objectContaining({
        event: 'POST /v1/tenants/:tenantId/runs/:runId/approvals',
        actor: { id: 'boss-bo', kind: 'api-key' },
        outcome: '200',
      }),
    ]);
    const csv = await request(api.app)
      .get(`${started.headers.location!}/evidence`)
      .set(auditor)
      .set('Accept', 'text/csv')
      .expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('at,event,actorId,actorKind,subjectId,platform,action,outcome,detail');
    expect(lines.slice(1).map((l) => l.split(',')[2])).toEqual(['desk-dana', 'boss-bo']);
    await request(api.app).get(`${started.headers.location!}/evidence`).set(desk).expect(403);
  });
});

describe('access review decisions', () => {
  const item = (itemId: string, reviewerId: string): ReviewItem => ({
    itemId,
    reviewerId,
    subjectId: `emp-${itemId}`,
    platform: 'github',
    entitlementId: 'team-admins',
  });
  let rita: Auth;

  beforeAll(async () => {
    for (const [reviewer, items] of [
      ['rita', [item('r1', 'rita'), item('r2', 'rita')]],
      ['ray', [item('y1', 'ray')]],
    ] as const) {
      await api.temporal.client.workflow.start<typeof reviewerAssignments>('reviewerAssignments', {
        workflowId: reviewerWorkflowId('runs-acme', 'q3-2026', reviewer),
        taskQueue: taskQueues(api.queuePrefix).workflows,
        args: [reviewer, [...items]],
      });
    }
    rita = await api.keyFor([{ role: 'reviewer', tenantId: 'runs-acme' }], 'rita');
  });

  it('shows a reviewer their own items, and others’ only to admins and auditors', async () => {
    const mine = await request(api.app)
      .get('/v1/tenants/runs-acme/reviews/q3-2026/items?reviewer=me')
      .set(rita)
      .expect(200);
    expect((mine.body.items as ReviewItem[]).map((i) => i.itemId)).toEqual(['r1', 'r2']);
    await request(api.app).get('/v1/tenants/runs-acme/reviews/q3-2026/items?reviewer=ray').set(rita).expect(403);
    const rays = await request(api.app)
      .get('/v1/tenants/runs-acme/reviews/q3-2026/items?reviewer=ray')
      .set(auditor)
      .expect(200);
    expect(rays.body.items).toHaveLength(1);
    await request(api.app).get('/v1/tenants/runs-acme/reviews/q4-2026/items').set(rita).expect(404);
  });

  it('records a reviewer’s decisions through an update; items of another reviewer are refused by the run', async () => {
    const url = '/v1/tenants/runs-acme/reviews/q3-2026/decisions';
    const noComment = await request(api.app)
      .post(url)
      .set(rita)
      .send({ decisions: [{ itemId: 'r1', decision: 'revoke' }] })
      .expect(400);
    expect(noComment.body.errors).toEqual([
      { path: 'body.decisions.0.comment', message: 'a revocation needs a comment' },
    ]);
    const foreign = await request(api.app)
      .post(url)
      .set(rita)
      .send({ decisions: [{ itemId: 'y1', decision: 'approve' }] })
      .expect(422);
    expect(foreign.body.detail).toBe('not assigned to you: y1');
    await request(api.app)
      .post(url)
      .set(rita)
      .send({ decisions: [{ itemId: 'r1', decision: 'revoke', comment: 'left the team' }] })
      .expect(200, { recorded: 1, remaining: 1 });
    const items = await request(api.app).get('/v1/tenants/runs-acme/reviews/q3-2026/items').set(rita).expect(200);
    expect(items.body.items[0]).toMatchObject({ itemId: 'r1', decision: 'revoke', comment: 'left the team' });
    await request(api.app)
      .post(url)
      .set(desk)
      .send({ decisions: [{ itemId: 'r2', decision: 'approve' }] })
      .expect(403);
  });
});

it('counts runs started by kind', async () => {
  const metrics = await request(api.app).get('/metrics').expect(200);
  expect(metrics.text).toMatch(/runbook_runs_started_total\{kind="offboarding"\} [1-9]/);
  expect(metrics.text).toMatch(/runbook_runs_started_total\{kind="privileged-access"\} 2/);
});
