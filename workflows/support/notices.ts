import { CancellationScope } from '@temporalio/workflow';
import type { PlatformActivities } from '../../activities/platform-activities';
import type { TenantActivities } from '../../activities/tenants';
import type { ApproverRole, Subject, TenantPolicy } from '../../shared';
import { controlActivities, platformActivities } from './activity-proxies';
import type { RunRecorder } from './run-recorder';

type Notice = Parameters<PlatformActivities['notify']>[0];

/**
 * Sends a notice beside the wait it is about: not awaited (a chat platform retrying holds up no decision), not
 * cancellable with the run (a run cancelled meanwhile neither waits for it nor has it cancelled under it), and
 * its failure is never the run's.
 */
export function besideTheWait(send: () => Promise<void>): void {
  void CancellationScope.nonCancellable(send).catch(() => undefined);
}

/** Who decides a gated request: the subject's manager, or the tenant's listed approvers. */
export function approverRecipients(policy: TenantPolicy, role: ApproverRole, subject: Subject): string[] {
  if (role === 'manager') return [subject.managerId ?? 'the subject’s manager'];
  return policy.approvers.length ? policy.approvers : ['the tenant’s approvers'];
}

/** Posts a notice on the tenant's Slack or Teams and records that it did (`key`: a stable evidence name). */
export async function notifyPeople(
  recorder: RunRecorder,
  notice: Notice,
  evidence: { event: string; key?: string; detail: Record<string, unknown> },
): Promise<void> {
  await platformActivities('notification').notify(notice);
  await recorder.evidence(
    evidence.event,
    { platform: 'notification', action: 'notify', outcome: 'done', detail: evidence.detail },
    { key: evidence.key },
  );
}

/** notifyPeople where the tenant has a notification connection; nothing otherwise. */
export async function notifyIfConnected(
  recorder: RunRecorder,
  notice: Notice,
  evidence: { event: string; key?: string; detail: Record<string, unknown> },
): Promise<void> {
  const connected = await controlActivities<TenantActivities>().loadTenantPlatforms(notice.tenantId);
  if (connected.includes('notification')) await notifyPeople(recorder, notice, evidence);
}
