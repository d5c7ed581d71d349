import type { Platform } from './platforms';
import type { ApproverRole } from './runs';

/** Who asks to approve what: the parts of a run the four-eyes rule looks at. */
export interface ApprovalCase {
  approverId: string;
  requesterId?: string;
  /** The person the approved action is for, with their accounts. */
  subject: { subjectId: string; userName?: string; managerId?: string; accounts?: Partial<Record<Platform, string>> };
  /** The platform the approved action runs on: its account of the subject counts as the subject. */
  platform?: Platform;
  /** Who may approve: the tenant's approvers (any listed, or anyone when none is listed), or the subject's manager. */
  approverRole?: ApproverRole;
  tenantApprovers?: readonly string[];
}

/**
 * The one approval rule, for the API (which refuses early what it can see) and the
 * workflows (which validate every decision): never the requester, never the subject
 * under any of their identities, and the role the step asks for. Returns why an
 * approval is refused, or undefined.
 */
export function approvalRefusal(c: ApprovalCase): string | undefined {
  if (c.requesterId !== undefined && c.approverId === c.requesterId)
    return 'an approver cannot approve their own request';
  if (isSubject(c.approverId, c.subject, c.platform)) return 'the subject cannot approve their own access';
  if (c.approverRole === 'manager')
    return c.approverId === c.subject.managerId ? undefined : `${c.approverId} is not the subject's manager`;
  if (
    c.approverRole === 'approver' &&
    c.tenantApprovers &&
    c.tenantApprovers.length > 0 &&
    !c.tenantApprovers.includes(c.approverId)
  ) {
    return `${c.approverId} is not an approver of this tenant`;
  }
  return undefined;
}

/** The subject never extends their own time-boxed access, under any of their identities. */
export function extensionRefusal(
  byId: string,
  subject: ApprovalCase['subject'],
  platform: Platform,
): string | undefined {
  return isSubject(byId, subject, platform) ? 'the subject cannot extend their own access' : undefined;
}

function isSubject(id: string, subject: ApprovalCase['subject'], platform: Platform | undefined): boolean {
  return [subject.subjectId, subject.userName, platform && subject.accounts?.[platform]].includes(id);
}
