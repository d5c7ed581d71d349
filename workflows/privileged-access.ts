import {
  ApplicationFailure,
  CancellationScope,
  condition,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { TenantActivities } from '../activities/tenants';
import {
  approvalRefusal,
  extensionRefusal,
  type Actor,
  type ApprovalDecision,
  type PrivilegedAccessRequest,
  type TenantPolicy,
} from '../shared';
import { approvalUpdate, endAccessSignal, extendAccessUpdate } from '../shared/messages';
import { controlActivities, platformActivities } from './support/activity-proxies';
import { approverRecipients, besideTheWait, notifyIfConnected } from './support/notices';
import { RunRecorder } from './support/run-recorder';

export interface PrivilegedAccessResult {
  outcome: 'denied' | 'expired' | 'ended-early' | 'cancelled';
  grantedAt?: string;
  revokedAt?: string;
}

const DEFAULT_APPROVAL_TIMEOUT_MINUTES = 240;
const MINUTE = 60_000;

/**
 * Just-in-time elevation: request, approval by someone else (no answer = denied),
 * grant, and an automatic revoke when the time-box ends, unless ended early.
 * The time-box can be extended up to the tenant's maximum.
 */
export async function privilegedAccess(request: PrivilegedAccessRequest): Promise<PrivilegedAccessResult> {
  const recorder = new RunRecorder({
    tenantId: request.tenantId,
    kind: 'privileged-access',
    subjectId: request.subject.subjectId,
    requestedBy: request.requestedBy,
  });
  const policy = await controlActivities<TenantActivities>().loadTenantPolicy(request.tenantId);
  const minutes = Math.min(request.durationMinutes, policy.privilegedAccessMaxMinutes);
  if (!(minutes > 0))
    throw ApplicationFailure.create({
      type: 'InvalidDuration',
      message: 'durationMinutes must be positive',
      nonRetryable: true,
    });
  await recorder.evidence('access-requested', {
    platform: request.platform,
    detail: {
      entitlementId: request.entitlementId,
      requestedMinutes: request.durationMinutes,
      grantedMinutes: minutes,
      justification: request.justification,
    },
  });

  const decision = await awaitApproval(request, policy, recorder);
  if (!decision?.approved) {
    recorder.setStatus('completed');
    await recorder.evidence('approval', {
      outcome: 'denied',
      actor: decision?.approver ?? { id: 'approval-timeout', kind: 'system' },
      detail: { comment: decision?.comment ?? 'no decision before the timeout' },
    });
    return { outcome: 'denied' };
  }
  await recorder.evidence('approval', {
    outcome: 'approved',
    actor: decision.approver,
    detail: { comment: decision.comment },
  });
  return grantForTimeBox(request, policy, minutes, recorder);
}

/** Approval by update: validated (not one's own request, a listed approver, once), so the approver knows it counted. */
async function awaitApproval(
  request: PrivilegedAccessRequest,
  policy: TenantPolicy,
  recorder: RunRecorder,
): Promise<ApprovalDecision | undefined> {
  let decision: ApprovalDecision | undefined;
  setHandler(
    approvalUpdate,
    (d) => {
      decision = d;
      return { accepted: true };
    },
    {
      validator: ({ approver }: ApprovalDecision) => {
        if (decision) throw new Error('this request was already decided');
        const refusal = approvalRefusal({
          approverId: approver.id,
          requesterId: request.requestedBy.id,
          subject: request.subject,
          platform: request.platform,
          approverRole: 'approver',
          tenantApprovers: policy.approvers,
        });
        if (refusal) throw new Error(refusal);
      },
    },
  );
  recorder.setStatus('waiting-for-approval');
  recorder.needsHuman('approve or deny the privileged access request');
  recorder.progress.pendingApprovals = [
    {
      platform: request.platform,
      action: 'addEntitlement',
      entitlementId: request.entitlementId,
      requestedBy: request.requestedBy,
      justification: request.justification,
      durationMinutes: request.durationMinutes,
      approverRole: 'approver',
    },
  ];
  // The approvers hear of the request (runs started before this change do not; `patched` keeps them replaying).
  if (patched('notify-approvers')) besideTheWait(() => notifyApprovers(request, policy, recorder));
  await condition(
    () => decision !== undefined,
    (request.approvalTimeoutMinutes ?? DEFAULT_APPROVAL_TIMEOUT_MINUTES) * MINUTE,
  );
  recorder.resolved('approve or deny the privileged access request');
  recorder.progress.pendingApprovals = [];
  return decision;
}

/** Tells the tenant's approvers on Slack or Teams, where the tenant has a notification connection. */
async function notifyApprovers(
  request: PrivilegedAccessRequest,
  policy: TenantPolicy,
  recorder: RunRecorder,
): Promise<void> {
  const approvers = approverRecipients(policy, 'approver', request.subject);
  await notifyIfConnected(
    recorder,
    {
      tenantId: request.tenantId,
      runId: workflowInfo().workflowId,
      status: 'waiting-for-approval',
      summary: `${request.requestedBy.id} asks for ${request.entitlementId} on ${request.platform} for ${request.subject.subjectId} (${request.durationMinutes} minutes): ${request.justification}`,
      needsHuman: approvers,
    },
    { event: 'approvers-notified', detail: { recipients: approvers } },
  );
}

/**
 * Grants, then holds the time-box; the revoke runs whatever happens once the grant
 * has begun: the time-box ends, the access is ended early, or the run is cancelled or
 * fails, even during the grant itself (removing an entitlement never granted is a no-op).
 */
async function grantForTimeBox(
  request: PrivilegedAccessRequest,
  policy: TenantPolicy,
  minutes: number,
  recorder: RunRecorder,
): Promise<PrivilegedAccessResult> {
  const platform = platformActivities(request.platform);
  const target = {
    tenantId: request.tenantId,
    subject: request.subject,
    entitlement: { kind: request.entitlementKind ?? 'role', id: request.entitlementId },
  };
  const grant = () =>
    recorder.step('grant', request.platform, 'addEntitlement', () => platform.addEntitlement(target), {
      entitlementId: request.entitlementId,
      minutes,
    });
  // Runs recorded before this change granted outside the revoke scope.
  const revokeCoversGrant = patched('revoke-covers-grant');
  recorder.setStatus('running');
  if (!revokeCoversGrant) await grant();
  let grantedAt = Date.now();
  let extraMinutes = 0;
  const expiresAt = () => grantedAt + (minutes + extraMinutes) * MINUTE;
  let ended: { by: Actor; reason?: string } | undefined;
  const extensions: { minutes: number; by: Actor; expiresAt: string }[] = [];
  setHandler(endAccessSignal, (end) => void (ended ??= end));
  setHandler(
    extendAccessUpdate,
    ({ minutes: more, by }) => {
      extraMinutes += more;
      const extension = { minutes: more, by, expiresAt: new Date(expiresAt()).toISOString() };
      extensions.push(extension);
      return { expiresAt: extension.expiresAt };
    },
    {
      validator: ({ minutes: more, by }: { minutes: number; by: Actor }) => {
        if (!Number.isInteger(more) || more <= 0) throw new Error('minutes must be a positive whole number');
        if (ended) throw new Error('access already ended');
        const refusal = extensionRefusal(by.id, request.subject, request.platform);
        if (refusal) throw new Error(refusal);
        const total = minutes + extraMinutes + more;
        if (total > policy.privilegedAccessMaxMinutes)
          throw new Error(`the time-box may not exceed ${policy.privilegedAccessMaxMinutes} minutes in total`);
      },
    },
  );
  const recordsExtensions = patched('extension-evidence');

  let outcome: PrivilegedAccessResult['outcome'] = 'cancelled';
  try {
    if (revokeCoversGrant) {
      await grant();
      // The time-box starts when the entitlement is in place (extensions made meanwhile still count).
      grantedAt = Date.now();
    }
    recorder.setStatus('waiting');
    for (let seen = expiresAt(); !ended && Date.now() < expiresAt(); seen = expiresAt()) {
      await condition(() => ended !== undefined || expiresAt() !== seen, expiresAt() - Date.now());
      // Who extended it, and to when: evidence an auditor asks for.
      while (recordsExtensions && extensions.length > 0) {
        const { by, ...extension } = extensions.shift()!;
        await recorder.evidence('access-extended', {
          actor: by,
          platform: request.platform,
          detail: { entitlementId: request.entitlementId, ...extension },
        });
      }
    }
    outcome = ended ? 'ended-early' : 'expired';
  } finally {
    // A cancelled or failed run must not leave the privilege in place.
    await CancellationScope.nonCancellable(async () => {
      recorder.setStatus('running');
      await recorder.step('revoke', request.platform, 'removeEntitlement', () => platform.removeEntitlement(target), {
        entitlementId: request.entitlementId,
        reason: outcome,
        ...(ended ? { endedBy: ended.by.id, endReason: ended.reason } : {}),
      });
      recorder.setStatus(outcome === 'cancelled' ? 'cancelled' : 'completed');
    });
  }
  return { outcome, grantedAt: new Date(grantedAt).toISOString(), revokedAt: new Date().toISOString() };
}
