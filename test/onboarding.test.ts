/**
 * Onboarding on the time-skipping server with this project's workers, FerretDB
 * and the stateful reference platform: start-date timer, approval gate (update
 * with validator, timeout = denied), saga compensation after a halt.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { approvalUpdate } from '../shared/messages';
import type { OnboardingRequest, Subject } from '../shared';
import { runWorkflowId } from '../shared/workflow-ids';
import type { onboarding } from '../workflows/onboarding';
import { historyText, keepHistory } from './support/histories';
import { waitForProgress, workflowEnv, type WorkflowEnv } from './support/workflow-env';
import { waitFor } from './support/poll';

const DAY = 24 * 60 * 60 * 1000;
let w: WorkflowEnv;

beforeAll(async () => {
  w = await workflowEnv('onboarding');
});
afterAll(() => w.teardown());

const joiner = (name: string): Subject => ({
  subjectId: `e-${name}`,
  userName: name,
  email: `${name}@example.com`,
  displayName: `Joiner ${name}`,
  managerId: 'boss',
});
const requester = { id: 'hr-1', kind: 'user' as const };

async function start(tenantId: string, subject: Subject, extra: Partial<OnboardingRequest> = {}) {
  const request: OnboardingRequest = {
    tenantId,
    requestedBy: requester,
    runbookId: 'reference-onboarding',
    subject,
    roleProfile: 'engineer',
    ...extra,
  };
  return w.client.workflow.start<typeof onboarding>('onboarding', {
    args: [request],
    taskQueue: w.queues.workflows,
    workflowId: runWorkflowId(tenantId, 'onboarding', subject.subjectId),
  });
}

const groupsOf = (name: string) =>
  w.reference.accounts
    .get(name)
    ?.entitlements.map((e) => e.id)
    .sort();

it('provisions on the start date what the role profile lists', async () => {
  const tenantId = await w.tenant();
  const startDate = new Date((await w.env.currentTimeMs()) + 7 * DAY).toISOString();
  const handle = await start(tenantId, joiner('sam'), { roleProfile: 'sales', startDate });
  const result = await handle.result();
  expect(result.status).toBe('completed');
  expect(groupsOf('sam')).toEqual(['all-staff', 'sales']);
  expect(result.steps.map((s) => s.stepId)).toEqual(['create-account', 'all-staff', 'sales']);
  const created = (await w.stores.evidence.forRun(tenantId, handle.workflowId)).find(
    (r) => r.event === 'step-succeeded' && r.detail?.stepId === 'create-account',
  );
  expect(Math.abs(Date.parse(created!.at) - Date.parse(startDate))).toBeLessThan(60_000);
  await keepHistory('onboarding-start-date', handle);
});

it('creates the account days before the start date when the runbook says so (pre-hire), the rest on the day', async () => {
  const tenantId = await w.tenant();
  await w.stores.runbooks.create(
    tenantId,
    'pre-hire',
    {
      kind: 'onboarding',
      name: 'Account three days ahead',
      steps: [
        {
          id: 'create-account',
          platform: 'reference',
          action: 'createAccount',
          phase: 1,
          offsetDays: -3,
          onFailure: 'halt',
        },
        {
          id: 'all-staff',
          platform: 'reference',
          action: 'addEntitlement',
          phase: 2,
          onFailure: 'halt',
          params: { entitlement: { kind: 'group', id: 'all-staff' } },
        },
      ],
    },
    'admin',
  );
  const startDate = (await w.env.currentTimeMs()) + 7 * DAY;
  const handle = await start(tenantId, joiner('pia'), {
    runbookId: 'pre-hire',
    startDate: new Date(startDate).toISOString(),
  });
  expect((await handle.result()).status).toBe('completed');
  const done = (await w.stores.evidence.forRun(tenantId, handle.workflowId)).filter(
    (r) => r.event === 'step-succeeded',
  );
  const daysFromStart = done.map((r) => [
    r.detail?.stepId,
    Math.round((Date.parse(r.at) - startDate) / (DAY / 24)) / 24,
  ]);
  expect(daysFromStart).toEqual([
    ['create-account', -3],
    ['all-staff', 0],
  ]);
  expect(groupsOf('pia')).toEqual(['all-staff']);
});

it("grants a privileged entitlement only on an approver's decision, never the requester's", async () => {
  const tenantId = await w.tenant({ approvers: ['sec-lead'] }, { notifications: true });
  const handle = await start(tenantId, joiner('ivy'));
  await waitForProgress(handle, (p) => p.status === 'waiting-for-approval');
  // The approvers hear of it where they are, with what they decide on (the notice links to Approvals).
  const notice = await waitFor(
    () => Promise.resolve(w.notices.find((n) => n.runId === handle.workflowId)),
    (n) => n !== undefined,
  );
  expect(notice).toMatchObject({ status: 'waiting-for-approval', needsHuman: ['sec-lead'] });
  expect(notice!.summary).toMatch(/^hr-1 asks for production-admin on reference for e-ivy \(onboarding step /);
  const decide = (id: string) =>
    handle.executeUpdate(approvalUpdate, { args: [{ approved: true, approver: { id, kind: 'user' } }] });
  // The validator rejects before the decision reaches history (WorkflowUpdateFailedError, reason in its cause).
  await expect(decide('hr-1')).rejects.toMatchObject({
    cause: { message: 'an approver cannot approve their own request', type: 'ApprovalRejected' },
  });
  await expect(decide('mallory')).rejects.toMatchObject({
    cause: { message: 'mallory is not an approver of this tenant' },
  });
  // The joiner's own account on the platform is the joiner: never their own approver.
  await expect(decide('ivy')).rejects.toMatchObject({
    cause: { message: 'the subject cannot approve their own access' },
  });
  await expect(decide('sec-lead')).resolves.toEqual({ accepted: true });
  const result = await handle.result();
  expect(result.status).toBe('completed');
  expect(groupsOf('ivy')).toEqual(['all-staff', 'engineering', 'production-admin']);
  const approval = (await w.stores.evidence.forRun(tenantId, handle.workflowId)).find((r) => r.action === 'approval');
  expect(approval).toMatchObject({ event: 'approved', actor: { id: 'sec-lead' }, outcome: 'approved' });
  await keepHistory('onboarding-approved', handle);
  await keepHistory('onboarding-approvers-notified', handle);
});

it('denies the privileged entitlement when nobody answers by the deadline', async () => {
  const tenantId = await w.tenant({ approvers: ['sec-lead'] });
  const handle = await start(tenantId, joiner('tom'));
  const result = await handle.result();
  expect(result.status).toBe('completed');
  expect(result.steps.find((s) => s.stepId === 'production-admin')).toMatchObject({
    status: 'skipped',
    detail: 'no approval within 3 days: denied',
  });
  expect(groupsOf('tom')).toEqual(['all-staff', 'engineering']);
  await keepHistory('onboarding-approval-timeout', handle);
});

it('issues a first sign-in pass into the secret store only, says where it is, and deletes it when the run undoes its work', async () => {
  const tenantId = await w.tenant();
  const step = (id: string, action: string, phase: number, params?: object) => ({
    id,
    platform: 'reference',
    action,
    phase,
    onFailure: 'halt',
    params,
  });
  await w.stores.runbooks.create(
    tenantId,
    'with-pass',
    {
      kind: 'onboarding',
      name: 'Account and first sign-in pass',
      steps: [
        step('create-account', 'createAccount', 1),
        step('first-sign-in', 'createCredential', 2, { kind: 'temporary-access-pass' }),
        step('all-staff', 'addEntitlement', 3, { entitlement: { kind: 'group', id: 'all-staff' } }),
      ],
    },
    'admin',
  );
  const passOf = (owner: string) =>
    [...w.reference.credentials.values()].find((c) => c.ownerId === owner && c.kind === 'temporary-access-pass');

  const handle = await start(tenantId, joiner('tia'), { runbookId: 'with-pass' });
  const result = await handle.result();
  expect(result.status).toBe('completed');
  const secretName = 'onboarding/e-tia/reference-temporary-access-pass';
  expect(result.needsHuman).toEqual([
    expect.stringMatching(
      new RegExp(`^reference: give e-tia the temporary-access-pass from secret in-memory/${secretName} \\(version `),
    ),
  ]);
  const stored = await w.secrets.versionFor(secretName, `${handle.workflowId}/first-sign-in`);
  await expect(w.secrets.reveal(stored!)).resolves.toBe(passOf('tia')!.secret);
  expect(await historyText(handle)).not.toContain(passOf('tia')!.secret);

  w.reference.failNext('addEntitlement', 'forbidden', 4);
  const undone = await (await start(tenantId, joiner('uma'), { runbookId: 'with-pass' })).result();
  expect(undone.status).toBe('failed');
  expect(undone.steps.find((s) => s.stepId === 'first-sign-in')).toMatchObject({
    status: 'compensated',
    detail: 'undone by deleteCredential',
  });
  expect([passOf('uma'), w.reference.accounts.has('uma')]).toEqual([undefined, false]);
});

it('undoes the accounts it created when a halt step fails, and leaves pre-existing ones alone', async () => {
  const tenantId = await w.tenant();
  w.reference.failNext('addEntitlement', 'forbidden', 4);
  const fresh = await (await start(tenantId, joiner('una'), { roleProfile: 'sales' })).result();
  expect(fresh.status).toBe('failed');
  expect(w.reference.accounts.has('una')).toBe(false);
  expect(fresh.steps.find((s) => s.stepId === 'create-account')).toMatchObject({
    status: 'compensated',
    detail: 'undone by deleteAccount',
  });
  expect(fresh.needsHuman.length).toBeGreaterThan(0);

  w.reference.seedAccount({ userName: 'old' });
  w.reference.failNext('addEntitlement', 'forbidden', 4);
  const existing = await (await start(tenantId, joiner('old'), { roleProfile: 'sales' })).result();
  expect(existing.status).toBe('failed');
  expect(w.reference.accounts.has('old')).toBe(true);
  expect(existing.steps.find((s) => s.stepId === 'create-account')?.status).toBe('already-done');
  w.reference.failNext('addEntitlement', 'forbidden', 0);
});

it('undoes what it created when the run is cancelled while waiting for an approval', async () => {
  const tenantId = await w.tenant({ approvers: ['sec-lead'] });
  const handle = await start(tenantId, joiner('vic'));
  await waitForProgress(handle, (p) => p.status === 'waiting-for-approval');
  expect(groupsOf('vic')).toEqual(['all-staff', 'engineering']);
  await handle.cancel();
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect(w.reference.accounts.has('vic')).toBe(false);
  const trail = await w.stores.evidence.forRun(tenantId, handle.workflowId);
  expect(
    trail
      .filter((r) => r.event === 'step-compensated')
      .map((r) => r.detail?.stepId)
      .sort(),
  ).toEqual(['all-staff', 'create-account', 'engineering']);
});

/** Starts the joiner's onboarding, cancels it while createAccount is running on the platform, then lets the create finish. */
async function cancelDuringCreate(tenantId: string, name: string) {
  const held = w.reference.hold('createAccount');
  const handle = await start(tenantId, joiner(name));
  await held.entered;
  await handle.cancel();
  held.release();
  await held.finished;
  return { handle, err: await handle.result().catch((e: unknown) => e) };
}

it('undoes the account it was creating when the run is cancelled with the create in flight', async () => {
  const tenantId = await w.tenant();
  const { handle, err } = await cancelDuringCreate(tenantId, 'ida');
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  // The create finished after the cancel; the run saw it and deleted what it created.
  expect(w.reference.accounts.has('ida')).toBe(false);
  const trail = await w.stores.evidence.forRun(tenantId, handle.workflowId);
  expect(trail.filter((r) => r.event === 'step-succeeded').map((r) => r.detail?.stepId)).toEqual(['create-account']);
  expect(trail.filter((r) => r.event === 'step-compensated').map((r) => r.detail?.stepId)).toEqual(['create-account']);
  await keepHistory('onboarding-cancelled-in-flight', handle);
});

it('keeps an account that existed before the run when a cancel meets its create in flight', async () => {
  const tenantId = await w.tenant();
  w.reference.seedAccount({ userName: 'kim' });
  const { handle } = await cancelDuringCreate(tenantId, 'kim');
  expect(w.reference.accounts.has('kim')).toBe(true);
  const trail = await w.stores.evidence.forRun(tenantId, handle.workflowId);
  expect(trail.filter((r) => r.event === 'step-compensated')).toEqual([]);
});

it('fails fast on a role profile the runbook does not define', async () => {
  const tenantId = await w.tenant();
  const err = await (
    await start(tenantId, joiner('zed'), { roleProfile: 'astronaut' })
  )
    .result()
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(ApplicationFailure);
  expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'UnknownRoleProfile' });
  expect(w.reference.accounts.has('zed')).toBe(false);
});
