/**
 * Credential rotation on the time-skipping test server against the stateful
 * reference platform and the in-memory secret store (AWS Secrets Manager's
 * staging labels), evidence in FerretDB.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { rotationSecretName, type CredentialRotationRequest } from '../shared';
import { manualRotationConfirmedSignal, progressQuery } from '../shared/messages';
import { credentialRotation } from '../workflows/credential-rotation';
import { historyText, keepHistory, timerSeconds } from './support/histories';
import { lifecycleOnTimeSkipping } from './support/lifecycle-workers';
import { uniqueQueue } from './support/servers';
import { waitFor } from './support/poll';

const t = lifecycleOnTimeSkipping('rotation');

const requestedBy = { id: 'rotation-schedule', kind: 'schedule' as const };

/** A tenant with a service account whose access key is the old, current secret in the store. */
async function seedTenant(opts: { notifications?: boolean; kind?: 'access-key' | 'personal-access-token' } = {}) {
  const tenantId = uniqueQueue('t');
  const kind = opts.kind ?? 'access-key';
  const platform = await t.lc.createTenant(
    tenantId,
    { rotationGracePeriodHours: 24, manualRotationReminderHours: 12 },
    opts.notifications ?? true,
  );
  const ownerId = uniqueQueue('svc');
  platform.seedAccount({ userName: ownerId, kind: 'service' });
  const old = platform.seedCredential({
    id: uniqueQueue('old'),
    kind,
    ownerId,
    status: 'active',
    createdAt: '2026-01-01T00:00:00Z',
    secret: `old-secret-${ownerId}`,
  });
  const secretName = rotationSecretName(tenantId, 'reference', ownerId, kind);
  const oldRef = await t.lc.secrets.putPending(secretName, `old-secret-${ownerId}`, 'seed');
  await t.lc.secrets.promote(oldRef);
  const request: CredentialRotationRequest = {
    tenantId,
    requestedBy,
    credential: { platform: 'reference', ownerId, credentialId: old.id, kind },
  };
  return { tenantId, platform, ownerId, old, oldRef, secretName, request };
}

function start(request: CredentialRotationRequest) {
  return t.env.client.workflow.start(credentialRotation, {
    args: [request],
    taskQueue: t.lc.queues.workflows,
    workflowId: uniqueQueue('rotation'),
  });
}

it('dual-phase: promotes the tested new key, keeps the old one working through the grace period, then deletes it', async () => {
  const { platform, tenantId, ownerId, old, oldRef, secretName, request } = await seedTenant();
  const handle = await start(request);

  // Grace period: the new secret is current, the old one previous and still accepted by the platform.
  const waiting = await waitFor(
    () => handle.query(progressQuery),
    (p) => p.steps.some((s) => s.stepId === 'grace-period' && s.status === 'waiting'),
  );
  expect(waiting.status).toBe('waiting');
  const currentRef = (await t.lc.secrets.current(secretName))!;
  expect(currentRef.versionId).not.toBe(oldRef.versionId);
  expect(t.lc.secrets.stagesOf(oldRef)).toEqual(['previous']);
  expect(platform.credentials.get(old.id)?.status).toBe('active');
  const newSecret = await t.lc.secrets.reveal(currentRef);

  const result = await handle.result();
  expect(result).toMatchObject({ outcome: 'rotated', mode: 'dual-phase', oldCredentialId: old.id });
  expect(platform.credentials.has(old.id)).toBe(false);
  const [fresh] = platform.credentialsOf(ownerId);
  expect(fresh).toMatchObject({ id: result.newCredentialId, status: 'active' });
  expect(platform.credentials.get(fresh!.id)?.secret).toBe(newSecret);

  // The grace period was a durable 24-hour timer, and no secret value ever entered the history.
  expect(await timerSeconds(handle)).toEqual([86_400]);
  const history = await historyText(handle);
  expect(history.includes(old.id)).toBe(true); // the scan sees decoded payloads
  expect(history.includes(newSecret)).toBe(false);
  expect(history.includes(`old-secret-${ownerId}`)).toBe(false);

  // Consumers were told where the new secret is (a reference), never what it is.
  const notice = t.lc.notices.find((n) => n.summary.includes(secretName))!;
  expect(notice.summary).toContain(secretName);
  expect(JSON.stringify(notice)).not.toContain(newSecret);

  const evidence = await t.lc.evidence.forRun(tenantId, handle.workflowId);
  expect(evidence.find((e) => e.event === 'promote-secret')?.action).toBe('promoteSecret');
  const events = evidence.map((e) => `${e.event}:${e.outcome ?? ''}`);
  expect(events).toEqual([
    'rotation-requested:',
    'create-credential:succeeded',
    'test-credential:succeeded',
    'promote-secret:succeeded',
    'notify-consumers:succeeded',
    'deactivate-old-credential:succeeded',
    'delete-old-credential:succeeded',
    'rotation-finished:rotated',
  ]);
  await keepHistory('credential-rotation-dual-phase', handle);
});

it('rolls back a new key that fails its test: discarded, deleted, and the old key still current and working', async () => {
  const { platform, ownerId, old, oldRef, secretName, request } = await seedTenant();
  platform.failNext('verifyCredential', 'forbidden');
  const handle = await start(request);

  const failure = await handle.result().catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause).toMatchObject({ type: 'CredentialRotationRolledBack' });

  expect(platform.credentialsOf(ownerId).map((c) => c.id)).toEqual([old.id]);
  expect(await t.lc.secrets.current(secretName)).toEqual(oldRef);
  const adapterVerifies = platform.credentials.get(old.id)!.secret === (await t.lc.secrets.reveal(oldRef));
  expect(adapterVerifies).toBe(true);
  const progress = await handle.query(progressQuery);
  expect(progress.status).toBe('failed');
  expect(progress.steps.map((s) => `${s.stepId}:${s.status}`)).toEqual([
    'create-credential:succeeded',
    'test-credential:failed',
    'discard-pending-secret:succeeded',
    'delete-new-credential:succeeded',
  ]);
  // Each step is labelled by the activity it runs, so a retrying one shows its attempt and error on the right step.
  expect(progress.steps.map((s) => s.action)).toEqual([
    'createCredential',
    'testCredential',
    'discardPendingSecret',
    'deleteCredential',
  ]);
  await keepHistory('credential-rotation-rolled-back', handle);
});

it('single-phase: retires the old key right after promotion, with no grace timer', async () => {
  const { platform, ownerId, old, request } = await seedTenant({ notifications: false });
  const handle = await start({ ...request, mode: 'single-phase' });
  const result = await handle.result();
  expect(result).toMatchObject({ outcome: 'rotated', mode: 'single-phase' });
  expect(platform.credentialsOf(ownerId).map((c) => c.id)).toEqual([result.newCredentialId]);
  expect(platform.credentials.has(old.id)).toBe(false);
  expect(await timerSeconds(handle)).toEqual([]);
  // Without a notification connection there are no consumers to tell: recorded, not failed.
  const notify = (await t.lc.evidence.forRun(request.tenantId, handle.workflowId)).find(
    (e) => e.event === 'notify-consumers',
  );
  expect(notify).toMatchObject({ outcome: 'not-applicable', detail: { reason: 'no consumers configured' } });
});

it('manual: reminds the owner on a timer until they confirm the rotation by hand', async () => {
  const { ownerId, request } = await seedTenant({ kind: 'personal-access-token' });
  const handle = await start(request);
  await waitFor(
    () => handle.query(progressQuery),
    (p) => p.status === 'waiting',
  );
  await t.env.sleep('30 hours'); // 12-hour reminders: the first notice and two reminders
  const reminders = t.lc.notices.filter((n) => n.summary.includes(ownerId));
  expect(reminders.length).toBe(3);
  expect(reminders[0]!.needsHuman[0]).toMatch(/^rotate personal-access-token .* by hand/);
  expect((await handle.query(progressQuery)).needsHuman).toHaveLength(1);

  await handle.signal(manualRotationConfirmedSignal, { by: { id: 'owner-1', kind: 'user' } });
  expect(await handle.result()).toMatchObject({ outcome: 'rotated', mode: 'manual' });
  const progress = await handle.query(progressQuery);
  expect(progress).toMatchObject({ status: 'completed', needsHuman: [] });
  const confirmed = (await t.lc.evidence.forRun(request.tenantId, handle.workflowId)).find(
    (e) => e.event === 'manual-rotation-confirmed',
  );
  expect(confirmed?.actor).toEqual({ id: 'owner-1', kind: 'user' });
  await keepHistory('credential-rotation-manual', handle);
});

it('does nothing for a credential that no longer exists (already rotated)', async () => {
  const { request } = await seedTenant();
  const handle = await start({ ...request, credential: { ...request.credential, credentialId: 'gone' } });
  expect(await handle.result()).toMatchObject({ outcome: 'nothing-to-rotate' });
});
