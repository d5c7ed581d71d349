/** Just-in-time privileged access on the time-skipping server against the stateful reference platform. */
import type { PrivilegedAccessRequest } from '../shared';
import { approvalUpdate, endAccessSignal, extendAccessUpdate, progressQuery } from '../shared/messages';
import { privilegedAccess } from '../workflows/privileged-access';
import { keepHistory, timerSeconds } from './support/histories';
import { lifecycleOnTimeSkipping } from './support/lifecycle-workers';
import { uniqueQueue } from './support/servers';
import { waitFor } from './support/poll';

const t = lifecycleOnTimeSkipping('pam');

const approver = { id: 'approver-1', kind: 'user' as const };

/** A rejected update: the validator's reason is the failure's cause. */
const rejectedWith = (reason: RegExp) => ({ cause: { message: expect.stringMatching(reason) } });

async function requestAccess(overrides: Partial<PrivilegedAccessRequest> = {}) {
  const tenantId = uniqueQueue('t');
  const platform = await t.lc.createTenant(tenantId, {
    privilegedAccessMaxMinutes: 120,
    approvers: ['approver-1', 'approver-2'],
  });
  const userName = uniqueQueue('ada');
  platform.seedAccount({ userName });
  const request: PrivilegedAccessRequest = {
    tenantId,
    requestedBy: { id: userName, kind: 'user' },
    subject: { subjectId: userName, userName },
    platform: 'reference',
    entitlementId: 'global-admin',
    durationMinutes: 60,
    justification: 'INC-4711 production outage',
    approvalTimeoutMinutes: 30,
    ...overrides,
  };
  const handle = await t.env.client.workflow.start(privilegedAccess, {
    args: [request],
    taskQueue: t.lc.queues.workflows,
    workflowId: uniqueQueue('pam'),
  });
  await waitFor(
    () => handle.query(progressQuery),
    (p) => p.status === 'waiting-for-approval',
  );
  const hasAdmin = () => platform.accounts.get(userName)!.entitlements.some((e) => e.id === 'global-admin');
  return { tenantId, platform, userName, handle, hasAdmin };
}

it('grants after approval and revokes by itself when the time-box ends', async () => {
  const { tenantId, userName, handle, hasAdmin } = await requestAccess();
  expect(hasAdmin()).toBe(false);
  await expect(
    handle.executeUpdate(approvalUpdate, { args: [{ approved: true, approver, comment: 'ok' }] }),
  ).resolves.toEqual({ accepted: true });
  await waitFor(
    () => handle.query(progressQuery),
    (p) => p.status === 'waiting',
  );
  expect(hasAdmin()).toBe(true);

  expect(await handle.result()).toMatchObject({ outcome: 'expired' });
  expect(hasAdmin()).toBe(false);
  // The 30-minute approval wait and the 60-minute time-box were durable timers.
  expect(await timerSeconds(handle)).toEqual([1800, 3600]);
  const evidence = await t.lc.evidence.forRun(tenantId, handle.workflowId);
  // The approvers' notice runs beside the wait for a decision: its record may come before or after it.
  const notified = evidence.filter((e) => e.event === 'approvers-notified');
  expect(notified.map((e) => e.detail)).toEqual([{ recipients: ['approver-1', 'approver-2'] }]);
  expect(
    evidence.filter((e) => e.event !== 'approvers-notified').map((e) => `${e.event}:${e.outcome ?? ''}:${e.actor.id}`),
  ).toEqual([
    `access-requested::${userName}`,
    'approval:approved:approver-1',
    `grant:succeeded:${userName}`,
    `revoke:succeeded:${userName}`,
  ]);
  expect(evidence[0]!.detail).toMatchObject({ justification: 'INC-4711 production outage', grantedMinutes: 60 });
  // The approvers were told, with what they decide on; the notice links to the console's Approvals screen.
  const notice = t.lc.notices.find((n) => n.runId === handle.workflowId);
  expect(notice).toMatchObject({
    status: 'waiting-for-approval',
    needsHuman: ['approver-1', 'approver-2'],
  });
  expect(notice!.summary).toBe(
    `${userName} asks for global-admin on reference for ${userName} (60 minutes): INC-4711 production outage`,
  );
  await keepHistory('privileged-access-expired', handle);
  await keepHistory('privileged-access-approvers-notified', handle);
});

it('rejects self-approval and approvers the tenant does not list, then accepts a listed approver', async () => {
  const { userName, handle, hasAdmin } = await requestAccess();
  await expect(
    handle.executeUpdate(approvalUpdate, { args: [{ approved: true, approver: { id: userName, kind: 'user' } }] }),
  ).rejects.toMatchObject(rejectedWith(/cannot approve their own request/));
  await expect(
    handle.executeUpdate(approvalUpdate, { args: [{ approved: true, approver: { id: 'mallory', kind: 'user' } }] }),
  ).rejects.toMatchObject(rejectedWith(/mallory is not an approver/));
  expect(hasAdmin()).toBe(false);
  await handle.executeUpdate(approvalUpdate, {
    args: [{ approved: true, approver: { id: 'approver-2', kind: 'user' } }],
  });
  await waitFor(
    () => handle.query(progressQuery),
    (p) => p.status === 'waiting',
  );
  expect(hasAdmin()).toBe(true);
  await handle.signal(endAccessSignal, { by: { id: userName, kind: 'user' }, reason: 'done' });
  expect(await handle.result()).toMatchObject({ outcome: 'ended-early' });
  expect(hasAdmin()).toBe(false);
});

it('denies a request nobody decides before the approval timeout, without granting anything', async () => {
  const { tenantId, handle, hasAdmin } = await requestAccess();
  expect(await handle.result()).toEqual({ outcome: 'denied' });
  expect(hasAdmin()).toBe(false);
  const approval = (await t.lc.evidence.forRun(tenantId, handle.workflowId)).find((e) => e.event === 'approval');
  expect(approval).toMatchObject({ outcome: 'denied', actor: { id: 'approval-timeout', kind: 'system' } });
  await keepHistory('privileged-access-approval-timeout', handle);
});

it('extends within the tenant cap, refuses beyond it, and ends early on signal', async () => {
  const { tenantId, handle, hasAdmin } = await requestAccess({ durationMinutes: 500 });
  await handle.executeUpdate(approvalUpdate, { args: [{ approved: true, approver }] });
  await waitFor(
    () => handle.query(progressQuery),
    (p) => p.status === 'waiting',
  );
  // Asked for 500 minutes, capped at the tenant's 120: no room to extend.
  await expect(
    handle.executeUpdate(extendAccessUpdate, { args: [{ minutes: 1, by: approver }] }),
  ).rejects.toMatchObject(rejectedWith(/may not exceed 120 minutes/));
  await handle.signal(endAccessSignal, { by: approver, reason: 'incident resolved' });
  expect(await handle.result()).toMatchObject({ outcome: 'ended-early' });
  expect(hasAdmin()).toBe(false);
  const revoke = (await t.lc.evidence.forRun(tenantId, handle.workflowId)).find((e) => e.event === 'revoke');
  expect(revoke?.detail).toMatchObject({
    reason: 'ended-early',
    endedBy: 'approver-1',
    endReason: 'incident resolved',
  });
});

it('moves the automatic revoke when the time-box is extended', async () => {
  const request = await requestAccess({ durationMinutes: 60 });
  const { handle, hasAdmin } = request;
  await handle.executeUpdate(approvalUpdate, { args: [{ approved: true, approver }] });
  await waitFor(
    () => handle.query(progressQuery),
    (p) => p.status === 'waiting',
  );
  // The subject cannot extend their own elevation, under their user name or their account on the platform.
  const { userName } = request;
  await expect(
    handle.executeUpdate(extendAccessUpdate, { args: [{ minutes: 30, by: { id: userName, kind: 'user' } }] }),
  ).rejects.toMatchObject(rejectedWith(/the subject cannot extend their own access/));
  const { expiresAt } = await handle.executeUpdate(extendAccessUpdate, { args: [{ minutes: 30, by: approver }] });
  const result = await handle.result();
  expect(result.outcome).toBe('expired');
  expect(Date.parse(result.revokedAt!) - Date.parse(result.grantedAt!)).toBeGreaterThanOrEqual(90 * 60_000);
  expect(Date.parse(result.revokedAt!)).toBeGreaterThanOrEqual(Date.parse(expiresAt));
  expect(hasAdmin()).toBe(false);
  // Who extended it, and to when, is in the evidence.
  const extended = (await t.lc.evidence.forRun(request.tenantId, handle.workflowId)).filter(
    (e) => e.event === 'access-extended',
  );
  expect(extended).toEqual([
    expect.objectContaining({ actor: approver, detail: expect.objectContaining({ minutes: 30, expiresAt }) }),
  ]);
  await keepHistory('privileged-access-extended-v2', handle);
});

it('revokes when the run is cancelled while the grant is still being made', async () => {
  const { tenantId, platform, handle, hasAdmin } = await requestAccess();
  // The platform answers the grant with a server error for a while: the grant is in flight when the run is cancelled.
  platform.failNext('addEntitlement', 'server', 1_000);
  await handle.executeUpdate(approvalUpdate, { args: [{ approved: true, approver }] });
  await waitFor(
    () => handle.query(progressQuery),
    (p) => p.steps.some((s) => s.stepId === 'grant' && s.status === 'running'),
  );
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow();
  expect(hasAdmin()).toBe(false);
  const revoke = (await t.lc.evidence.forRun(tenantId, handle.workflowId)).find((e) => e.event === 'revoke');
  expect(revoke).toMatchObject({ detail: expect.objectContaining({ reason: 'cancelled' }) });
});
