import {
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { SecretRotationActivities } from '../activities/secret-rotation';
import type { TenantActivities } from '../activities/tenants';
import {
  rotationModeOf,
  rotationSecretName,
  type Actor,
  type CredentialInfo,
  type CredentialRotationRequest,
  type RotationMode,
  type RotationOutcome,
  type SecretRef,
  type TenantPolicy,
} from '../shared';
import { manualRotationConfirmedSignal, rotationSettledSignal } from '../shared/messages';
import { controlActivities, platformActivities } from './support/activity-proxies';
import { RunRecorder } from './support/run-recorder';

export interface CredentialRotationResult {
  outcome: RotationOutcome;
  mode: RotationMode;
  oldCredentialId?: string;
  newCredentialId?: string;
  secretRef?: SecretRef;
}

interface Rotation {
  request: CredentialRotationRequest;
  policy: TenantPolicy;
  /** The tenant has a notification connection: consumers of the credential are told it rotated. */
  notifiesConsumers: boolean;
  recorder: RunRecorder;
}

/**
 * Rotates one credential in the four steps of AWS Secrets Manager rotation:
 * create (new secret stored as pending), test, promote (pending → current),
 * then retire the old credential, after the grace period when the platform
 * keeps two credentials live. A failed test rolls back and keeps the old one.
 */
export async function credentialRotation(request: CredentialRotationRequest): Promise<CredentialRotationResult> {
  const { tenantId, credential } = request;
  const recorder = new RunRecorder({
    tenantId,
    kind: 'credential-rotation',
    subjectId: credential.ownerId,
    requestedBy: request.requestedBy,
  });
  const tenants = controlActivities<TenantActivities>();
  const [policy, platforms] = await Promise.all([
    tenants.loadTenantPolicy(tenantId),
    tenants.loadTenantPlatforms(tenantId),
  ]);
  const rotation: Rotation = { request, policy, notifiesConsumers: platforms.includes('notification'), recorder };
  const mode = request.mode ?? rotationModeOf(credential.platform, credential.kind);
  await recorder.evidence('rotation-requested', {
    platform: credential.platform,
    detail: { mode, credentialId: credential.credentialId, kind: credential.kind },
  });

  const old = await findCredentialToRotate(rotation);
  if (credential.credentialId && !old) return finish(rotation, { outcome: 'nothing-to-rotate', mode });
  if (mode === 'manual') return rotateByHand(rotation, old);
  return rotateAutomatically(rotation, mode, old);
}

async function rotateAutomatically(
  rotation: Rotation,
  mode: RotationMode,
  old: CredentialInfo | undefined,
): Promise<CredentialRotationResult> {
  const { request, recorder } = rotation;
  const { tenantId, credential } = request;
  const platform = platformActivities(credential.platform);
  const secrets = controlActivities<SecretRotationActivities>();
  const { workflowId, firstExecutionRunId } = workflowInfo();

  const created = await recorder.step('create-credential', credential.platform, 'createCredential', () =>
    platform.createCredential({
      tenantId,
      runId: workflowId,
      ownerId: credential.ownerId,
      kind: credential.kind,
      description: old ? `rotation of ${old.id}` : 'rotation',
      secretName: rotationSecretName(tenantId, credential.platform, credential.ownerId, credential.kind),
      idempotencyKey: `${workflowId}/${firstExecutionRunId}`,
    }),
  );
  if (!created.data)
    throw ApplicationFailure.create({
      type: 'CredentialNotCreated',
      message: `${credential.platform} returned no new credential`,
      nonRetryable: true,
    });
  const { credential: fresh, secretRef } = created.data;

  try {
    await recorder.step('test-credential', credential.platform, 'testCredential', () =>
      controlActivities<SecretRotationActivities>({
        retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 4 },
      }).testCredential({
        tenantId,
        platform: credential.platform,
        credential: fresh,
        secretRef,
      }),
    );
  } catch (err) {
    await rollBack(rotation, fresh, secretRef);
    throw ApplicationFailure.create({
      type: 'CredentialRotationRolledBack',
      message: `new credential failed its test; rolled back, ${old ? `${old.id} still current` : 'no credential changed'}`,
      nonRetryable: true,
      cause: err instanceof Error ? err : undefined,
    });
  }

  await recorder.step(
    'promote-secret',
    credential.platform,
    'promoteSecret',
    () => secrets.promoteSecret({ tenantId, secretRef }),
    { secret: secretRef.name },
  );
  await tellConsumers(rotation, fresh, secretRef);
  await settle('rotated');
  if (old) await retire(rotation, mode, old);
  return finish(rotation, { outcome: 'rotated', mode, oldCredentialId: old?.id, newCredentialId: fresh.id, secretRef });
}

/** The credential named by the request, or the owner's oldest active credential of the kind. */
async function findCredentialToRotate({ request }: Rotation): Promise<CredentialInfo | undefined> {
  const { tenantId, credential } = request;
  const listed = await platformActivities(credential.platform).listCredentials({
    tenantId,
    ownerId: credential.ownerId,
  });
  const active = (listed.data ?? []).filter((c) => c.status === 'active');
  if (credential.credentialId) return active.find((c) => c.id === credential.credentialId);
  return active
    .filter((c) => c.kind === credential.kind)
    .sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''))[0];
}

/** Compensation of a failed test: the new version loses its pending label and the new credential is deleted. */
async function rollBack({ request, recorder }: Rotation, fresh: CredentialInfo, secretRef: SecretRef): Promise<void> {
  const { tenantId, credential } = request;
  await recorder.step('discard-pending-secret', credential.platform, 'discardPendingSecret', () =>
    controlActivities<SecretRotationActivities>().discardPendingSecret({ tenantId, secretRef }),
  );
  await recorder.step('delete-new-credential', credential.platform, 'deleteCredential', () =>
    platformActivities(credential.platform).deleteCredential({
      tenantId,
      ownerId: fresh.ownerId,
      credentialId: fresh.id,
    }),
  );
  recorder.setStatus('failed');
  await settle('rolled-back');
}

/** Dual-phase keeps the old credential working for the grace period (overlap window); single-phase retires it at once. */
async function retire({ request, policy, recorder }: Rotation, mode: RotationMode, old: CredentialInfo): Promise<void> {
  const { tenantId, credential } = request;
  if (mode === 'dual-phase') {
    const grace = recorder.waiting('grace-period', credential.platform, 'deactivateCredential');
    recorder.setStatus('waiting');
    await sleep(`${policy.rotationGracePeriodHours} hours`);
    recorder.finish(grace, 'succeeded');
    recorder.setStatus('running');
  }
  const platform = platformActivities(credential.platform);
  const target = { tenantId, ownerId: old.ownerId, credentialId: old.id };
  await recorder.step('deactivate-old-credential', credential.platform, 'deactivateCredential', () =>
    platform.deactivateCredential(target),
  );
  await recorder.step('delete-old-credential', credential.platform, 'deleteCredential', () =>
    platform.deleteCredential(target),
  );
}

/** Consumers learn where the new secret is (a reference, never the value). A failed notice does not undo the rotation. */
async function tellConsumers(
  { request, notifiesConsumers, recorder }: Rotation,
  fresh: CredentialInfo,
  secretRef: SecretRef,
): Promise<void> {
  if (!notifiesConsumers) {
    await recorder.evidence('notify-consumers', {
      platform: 'notification',
      action: 'notify',
      outcome: 'not-applicable',
      detail: { reason: 'no consumers configured' },
    });
    return;
  }
  const summary = `${request.credential.kind} of ${request.credential.ownerId} on ${request.credential.platform} rotated: new credential ${fresh.id}, secret ${secretRef.name} version ${secretRef.versionId ?? 'latest'}`;
  try {
    await recorder.step('notify-consumers', 'notification', 'notify', () =>
      platformActivities('notification').notify({
        tenantId: request.tenantId,
        runId: workflowInfo().workflowId,
        status: 'rotated',
        summary,
        needsHuman: [],
      }),
    );
  } catch {
    recorder.needsHuman('tell the consumers of the rotated credential (notification failed)');
  }
}

/** Credentials no API can create: the owner rotates by hand, reminded on a timer until they confirm. */
async function rotateByHand(rotation: Rotation, old: CredentialInfo | undefined): Promise<CredentialRotationResult> {
  const { request, policy, recorder } = rotation;
  const { credential } = request;
  let confirmedBy: Actor | undefined;
  setHandler(manualRotationConfirmedSignal, ({ by }) => void (confirmedBy ??= by));
  const task = `rotate ${credential.kind} ${old?.id ?? ''} of ${credential.ownerId} on ${credential.platform} by hand, then confirm`;
  const step = recorder.waiting('owner-rotates', credential.platform, 'createCredential');
  recorder.needsHuman(task);
  recorder.setStatus('waiting');
  await settle('manual-task-open');

  const every = `${policy.manualRotationReminderHours ?? 24} hours`;
  for (let reminder = 0; ; reminder += 1) {
    await remindOwner(rotation, task, reminder);
    if (await condition(() => confirmedBy !== undefined, every)) break;
  }
  recorder.finish(step, 'succeeded');
  recorder.resolved(task);
  await recorder.evidence('manual-rotation-confirmed', {
    platform: credential.platform,
    outcome: 'done',
    actor: confirmedBy,
  });
  return finish(rotation, { outcome: 'rotated', mode: 'manual', oldCredentialId: old?.id });
}

async function remindOwner(
  { request, notifiesConsumers, recorder }: Rotation,
  task: string,
  reminder: number,
): Promise<void> {
  const detail = { reminder, ownerId: request.credential.ownerId };
  if (!notifiesConsumers) {
    await recorder.evidence('owner-reminder', {
      platform: 'notification',
      action: 'notify',
      outcome: 'not-applicable',
      detail: { ...detail, reason: 'no notification channel; task listed in needsHuman' },
    });
    return;
  }
  await platformActivities('notification').notify({
    tenantId: request.tenantId,
    runId: workflowInfo().workflowId,
    status: 'waiting',
    summary: task,
    needsHuman: [task],
  });
  await recorder.evidence('owner-reminder', { platform: 'notification', action: 'notify', outcome: 'done', detail });
}

/** A campaign (parent) frees this rotation's concurrency slot once its active phase is over. */
async function settle(outcome: RotationOutcome): Promise<void> {
  const { parent, workflowId } = workflowInfo();
  if (parent)
    await getExternalWorkflowHandle(parent.workflowId).signal(rotationSettledSignal, {
      credentialKey: workflowId,
      outcome,
    });
}

async function finish(
  { recorder, request }: Rotation,
  result: CredentialRotationResult,
): Promise<CredentialRotationResult> {
  if (result.outcome === 'nothing-to-rotate') await settle('nothing-to-rotate');
  recorder.setStatus('completed');
  await recorder.evidence('rotation-finished', {
    platform: request.credential.platform,
    outcome: result.outcome,
    detail: { ...result },
  });
  return result;
}
