/**
 * A run's progress as the API shows it comes from the store's read model, which the workflow writes at the end of
 * each workflow task (workflows/support/progress-publisher.ts), not from a query the worker must answer: it is the
 * progress query's own answer, it is there as soon as an approval's answer is, and it is still shown (and the
 * approver's queue still lists what waits) with no worker running at all. Real privilegedAccess workflow, API,
 * Temporal dev server and FerretDB.
 */
import request from 'supertest';
import { decodeRunId } from '../api/runs';
import { progressQuery } from '../shared/messages';
import { RunProgressStore } from '../store/run-progress';
import { testApi, type TestApi } from './support/api';
import { startLifecycleWorkers, type LifecycleWorkers } from './support/lifecycle-workers';
import { eventually } from './support/poll';
import { bundleWorkflows } from './support/servers';

const TENANT = 'progress-acme';
let api: TestApi;
let lc: LifecycleWorkers;
let app: TestApi['app'];
type Auth = { Authorization: string };
let desk: Auth;
let approver: Auth;
let store: RunProgressStore;

beforeAll(async () => {
  api = await testApi('run_progress');
  lc = await startLifecycleWorkers({
    connection: api.temporal.nativeConnection,
    db: api.mongo.db,
    workflowBundle: await bundleWorkflows(),
  });
  app = api.appWith({ queues: lc.queues });
  await lc.createTenant(TENANT, { privilegedAccessMaxMinutes: 120, approvers: ['approver-1'] });
  desk = await api.keyFor([{ role: 'service-desk', tenantId: TENANT }], 'desk-dana');
  approver = await api.keyFor([{ role: 'approver', tenantId: TENANT }], 'approver-1');
  store = new RunProgressStore(api.mongo.db);
});

afterAll(async () => {
  await lc?.stop();
  await api.close();
});

async function requestElevation(userName: string): Promise<string> {
  lc.platformOf(TENANT).seedAccount({ userName });
  const started = await request(app)
    .post(`/v1/tenants/${TENANT}/privileged-access`)
    .set(desk)
    .send({
      subject: { subjectId: userName, userName },
      platform: 'reference',
      entitlementId: 'global-admin',
      durationMinutes: 60,
      justification: `INC-${userName} production outage`,
    })
    .expect(202);
  return started.headers.location!;
}

const runOf = async (location: string) => (await request(app).get(location).set(desk).expect(200)).body as RunBody;
interface RunBody {
  status: string;
  steps: { stepId: string; status: string }[];
  needsHuman: string[];
  progressAvailable: boolean;
}

function workflowOf(location: string) {
  const ref = decodeRunId(location.split('/').at(-1)!)!;
  return { workflowId: `${TENANT}/${ref.idInTenant}`, firstRunId: ref.firstRunId };
}

it('stores the progress query’s own answer, current as soon as an approval is answered', async () => {
  const run = await requestElevation('ada');
  await eventually(async () => ((await runOf(run)).status === 'waiting-for-approval' ? true : undefined), 'waiting');
  const { workflowId, firstRunId } = workflowOf(run);
  const asked = await api.temporal.client.workflow.getHandle(workflowId).query(progressQuery);
  const stored = await store.get(workflowId, firstRunId);
  expect(stored?.progress).toEqual(asked);
  expect(asked.pendingApprovals).toHaveLength(1);

  await request(app).post(`${run}/approvals`).set(approver).send({ decision: 'approve' }).expect(200);
  // No polling: the task that took the approval wrote the store before Temporal answered the update.
  const after = await store.get(workflowId, firstRunId);
  expect(after?.progress.pendingApprovals).toEqual([]);
  expect(after!.version > stored!.version).toBe(true);

  const granted = await eventually(async () => {
    const body = await runOf(run);
    return body.status === 'waiting' ? body : undefined;
  }, 'granted');
  expect(granted.steps).toEqual([expect.objectContaining({ stepId: 'grant', status: 'succeeded' })]);
  expect((await store.get(workflowId, firstRunId))?.progress).toEqual(
    await api.temporal.client.workflow.getHandle(workflowId).query(progressQuery),
  );
});

it('shows a running run’s progress and the approver’s queue with no worker running', async () => {
  const run = await requestElevation('bob');
  await eventually(async () => ((await runOf(run)).status === 'waiting-for-approval' ? true : undefined), 'waiting');
  await lc.stop();

  // A query would now wait for a worker until its deadline and the API would answer without progress.
  const body = await runOf(run);
  expect(body).toMatchObject({
    status: 'waiting-for-approval',
    progressAvailable: true,
    needsHuman: ['approve or deny the privileged access request'],
  });
  const queue = await request(app).get(`/v1/tenants/${TENANT}/approvals`).set(approver).expect(200);
  expect((queue.body as { items: { subjectId: string }[] }).items.map((i) => i.subjectId)).toContain('bob');
});

describe('the read model keeps the newest snapshot of a run, whatever order writes land in', () => {
  const snapshot = (runId: string, startedAt: string, historyLength: number, final = false) => ({
    workflowId: `${TENANT}/privileged-access/order`,
    firstRunId: 'first',
    runId,
    runStartedAt: new Date(startedAt),
    historyLength,
    final,
    progress: {
      tenantId: TENANT,
      kind: 'privileged-access' as const,
      subjectId: `at-${historyLength}`,
      status: 'running' as const,
      steps: [],
      needsHuman: [],
    },
  });
  const stored = async () => (await store.get(`${TENANT}/privileged-access/order`, 'first'))?.progress.subjectId;

  it('does not go back to an older task of the same execution, nor to an earlier execution of the chain', async () => {
    expect(await store.save([snapshot('first', '2026-12-01T10:00:00Z', 10)])).toEqual([]);
    expect(await store.save([snapshot('first', '2026-12-01T10:00:00Z', 5)])).toEqual([]);
    expect(await stored()).toBe('at-10');
    expect(await store.save([snapshot('second', '2026-12-01T11:00:00Z', 3)])).toEqual([]);
    expect(await stored()).toBe('at-3');
    await store.save([snapshot('first', '2026-12-01T10:00:00Z', 40)]);
    expect(await stored()).toBe('at-3');
  });

  it('answers an ended execution only from the snapshot its last task wrote', async () => {
    const workflowId = `${TENANT}/privileged-access/order`;
    await store.save([snapshot('second', '2026-12-01T11:00:00Z', 7)]);
    expect(await store.current(workflowId, 'first', 'second', false)).toMatchObject({ subjectId: 'at-7' });
    expect(await store.current(workflowId, 'first', 'second', true)).toBeUndefined();
    await store.save([snapshot('second', '2026-12-01T11:00:00Z', 9, true)]);
    expect(await store.current(workflowId, 'first', 'second', true)).toMatchObject({ subjectId: 'at-9' });
    expect(await store.current(workflowId, 'first', 'third', false)).toBeUndefined();
  });
});
