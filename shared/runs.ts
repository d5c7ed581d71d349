import type { Platform, PlatformAction } from './platforms';
import type { CredentialKind, EntitlementKind, Subject } from './identity';
import type { RotationMode } from './rotation';

export const RUNBOOK_KINDS = [
  'onboarding',
  'offboarding',
  'credential-rotation',
  'access-review',
  'privileged-access',
] as const;
export type RunbookKind = (typeof RUNBOOK_KINDS)[number];

/** Who asked for something: an API key, an OIDC user, a schedule. Recorded in evidence. */
export interface Actor {
  id: string;
  kind: 'user' | 'api-key' | 'schedule' | 'system';
  displayName?: string;
}

interface RunRequestBase {
  tenantId: string;
  requestedBy: Actor;
  /** Runbook to execute; the tenant's default runbook for the kind when omitted. */
  runbookId?: string;
  ticketRef?: string;
}

export interface OffboardingRequest extends RunRequestBase {
  subject: Subject;
  /** `immediate` skips notice periods and grace timers (hostile termination). */
  mode: OffboardingMode;
  /** ISO date; a date already past is processed at once (catch-up), never skipped. */
  leaveDate?: string;
  /** Who receives owned data and hand-over credentials (subjectId); the manager when omitted. */
  newOwnerId?: string;
  /** Why the person leaves, as the service desk wrote it (kept in the run's requested evidence). */
  reason?: string;
}

export interface OnboardingRequest extends RunRequestBase {
  subject: Subject;
  roleProfile: string;
  /** ISO date accounts become active. */
  startDate?: string;
}

export interface CredentialRotationRequest extends RunRequestBase {
  credential: { platform: Platform; ownerId: string; credentialId?: string; kind: CredentialKind };
  /** Overrides the platform's rotation mode (rotationModeOf), e.g. single-phase for consumers that hold one key. */
  mode?: RotationMode;
}

export interface RotationCampaignRequest extends RunRequestBase {
  maxAgeDays?: number;
  /** ISO instant: rotate every active credential created before it, whatever its age (e.g. the start of an incident). */
  createdBefore?: string;
  concurrency?: number;
}

export interface AccessReviewRequest extends RunRequestBase {
  reviewId: string;
  platforms?: Platform[];
  /** ISO time by which decisions are due; the tenant's default decision applies after it. */
  deadline: string;
  /** Reviewer workflows started per campaign run before it continues as new (default 200). */
  reviewersPerRun?: number;
  scope?: ReviewScope;
}

/** What a campaign reviews: people, service accounts or both; all access or privileged access only (roles and the tenant's privilegedEntitlements). */
export interface ReviewScope {
  accounts?: 'people' | 'service' | 'all';
  privilegedOnly?: boolean;
}

export interface PrivilegedAccessRequest extends RunRequestBase {
  subject: Subject;
  platform: Platform;
  entitlementId: string;
  /** The kind of the privileged entitlement ('role' when omitted). */
  entitlementKind?: EntitlementKind;
  durationMinutes: number;
  justification: string;
  /** No decision within this many minutes = denied (240 when omitted). */
  approvalTimeoutMinutes?: number;
}

export type StepStatus =
  'pending' | 'running' | 'succeeded' | 'already-done' | 'failed' | 'skipped' | 'compensated' | 'waiting';

/**
 * What a step does: a platform action, or one of the rotation's own steps on our systems (test the new secret,
 * promote it, discard it on a rollback). It names the activity the step runs, so a retrying activity's
 * attempt and error find their step in the run's progress.
 */
export const ROTATION_STEP_ACTIONS = ['testCredential', 'promoteSecret', 'discardPendingSecret'] as const;
export type StepAction = PlatformAction | (typeof ROTATION_STEP_ACTIONS)[number];

export interface StepProgress {
  stepId: string;
  platform: Platform;
  action: StepAction;
  status: StepStatus;
  attempts: number;
  lastError?: string;
  /** What the step did or why it was skipped (e.g. "revoked 3 credentials", "legal hold"). */
  detail?: string;
  startedAt?: string;
  finishedAt?: string;
}

export type RunStatus =
  | 'running'
  | 'waiting-for-approval'
  | 'waiting'
  | 'paused'
  | 'completed'
  | 'completed-with-failures'
  | 'failed'
  | 'cancelled';

export interface RunProgress {
  tenantId: string;
  kind: RunbookKind;
  subjectId: string;
  status: RunStatus;
  runbook?: { id: string; version: number };
  steps: StepProgress[];
  /** Work a human must finish: failed steps, manual tasks, paused brakes. */
  needsHuman: string[];
  /** What waits for an approver's decision now (the approval update decides it). */
  pendingApprovals?: PendingApproval[];
}

/** One request waiting for approval, as an approver sees it before deciding. */
export interface PendingApproval {
  /** The gated step; omitted where the run has a single approval. */
  stepId?: string;
  platform: Platform;
  action: PlatformAction;
  entitlementId?: string;
  requestedBy: Actor;
  justification?: string;
  durationMinutes?: number;
  /** Who may decide: the tenant's approvers, or the subject's manager. */
  approverRole: ApproverRole;
}

/** One reviewer's share of an access review, as the reviewer's own workflow counts it. */
export interface ReviewShareProgress {
  reviewId: string;
  reviewerId: string;
  total: number;
  remaining: number;
  decidedByReviewer: number;
  deadline: string;
}

export interface ApprovalDecision {
  /** The gated step decided; may be omitted while only one step waits for approval. */
  stepId?: string;
  approved: boolean;
  comment?: string;
  approver: Actor;
}

/** Every enum once, as a list the API's and the store's schemas are built from. */
export const REVIEW_VERDICTS = ['approve', 'revoke'] as const;
export type ReviewVerdict = (typeof REVIEW_VERDICTS)[number];
/** Who may decide a gated step: the tenant's approvers, or the subject's manager. */
export const APPROVER_ROLES = ['approver', 'manager'] as const;
export type ApproverRole = (typeof APPROVER_ROLES)[number];
/** `standard`: on the leave date; `immediate`: contain now. */
export const OFFBOARDING_MODES = ['standard', 'immediate'] as const;
export type OffboardingMode = (typeof OFFBOARDING_MODES)[number];

export interface ReviewDecision {
  itemId: string;
  decision: ReviewVerdict;
  /** Required when revoking. */
  comment?: string;
}

export interface ReviewDecisionBatch {
  reviewer: Actor;
  decisions: ReviewDecision[];
}

export interface ReviewItem {
  itemId: string;
  reviewerId: string;
  subjectId: string;
  platform: Platform;
  entitlementId: string;
  entitlementName?: string;
  /** The person the account belongs to across platforms (the tenant's reviewCorrelateBy), when known. */
  personId?: string;
  /** Why this reviewer: the manager known on which platform, or why the fallback reviewer. */
  reviewerReason?: string;
  /** Decision helper: e.g. "no sign-in for 30 days". */
  recommendation?: ReviewVerdict;
  recommendationReason?: string;
  decision?: ReviewVerdict;
  comment?: string;
  /** The tenant's default decision applied at the deadline, not a reviewer's. */
  defaulted?: boolean;
  /** In a second review stage: what the first stage decided, and who. */
  previousStage?: { decision: ReviewVerdict; comment?: string; decidedBy?: string; defaulted?: boolean };
}

export interface LegalHold {
  placedBy: Actor;
  reason: string;
}
