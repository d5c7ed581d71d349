import type { Platform, PlatformAction } from './platforms';
import type { ApproverRole, ReviewVerdict, RunbookKind } from './runs';

/** What a step's failure does to the run. */
export const FAILURE_MODES = ['halt', 'continue', 'compensate'] as const;
export type FailureMode = (typeof FAILURE_MODES)[number];

export interface StepRetryOverride {
  maximumAttempts?: number;
  initialInterval?: string;
  maximumInterval?: string;
}

/** One platform action in a runbook. */
export interface RunbookStep {
  id: string;
  platform: Platform;
  action: PlatformAction;
  /** Action parameters beyond the subject (e.g. an entitlement, a ticket title). */
  params?: Record<string, unknown>;
  /** Steps of one phase run in parallel; phases run in order. */
  phase?: number;
  /** Step ids that must finish first (within or across phases). */
  after?: string[];
  onFailure: FailureMode;
  retry?: StepRetryOverride;
  /** A human must approve before this step runs. */
  approval?: { approverRole: ApproverRole; timeout: string };
  /** Wait before running (e.g. '30 days' for retention deletion). */
  delay?: string;
  /**
   * Offboarding and onboarding: run this many days before (negative) or after the leave date or start date,
   * e.g. -7 to tell the manager a week ahead. Steps without it run on the date.
   */
  offsetDays?: number;
  /**
   * Onboarding: the role profiles this step provisions. Role profiles live in the
   * onboarding runbook itself (versioned and pinned with it); a step without
   * roleProfiles runs for every joiner.
   */
  roleProfiles?: string[];
}

/**
 * Parameters a step must carry for its action (the subject, tenant and run come
 * from the request). Runbook validation rejects a step that lacks one.
 */
export const REQUIRED_STEP_PARAMS: Readonly<Partial<Record<PlatformAction, readonly string[]>>> = {
  addEntitlement: ['entitlement'],
  removeEntitlement: ['entitlement'],
  createCredential: ['kind'],
  openTicket: ['title'],
  updateTicket: ['comment'],
  closeTicket: ['resolution'],
  callAndWait: ['url'],
};

export interface Runbook {
  tenantId: string;
  runbookId: string;
  kind: RunbookKind;
  version: number;
  name: string;
  description?: string;
  steps: RunbookStep[];
  /** Policy keys this runbook relies on, resolved from the tenant's policy at run time. */
  policy?: Partial<TenantPolicy>;
  archived?: boolean;
  createdAt: string;
  createdBy: string;
}

/** The tenant-wide policy runbooks reference. */
export interface TenantPolicy {
  /** Days between leave date and account deletion (retention). */
  retentionDays: number;
  /** Days to keep an old credential working after rotation. */
  rotationGracePeriodHours: number;
  rotationMaxAgeDays: number;
  /** Non-human identities a leaver owned: revoke them, or hand them to the new owner. */
  leaverCredentials: LeaverCredentialPolicy;
  reviewCadence: ReviewCadence;
  reviewDefaultDecision: ReviewVerdict;
  reviewDurationDays: number;
  reviewReminderEveryDays: number;
  fallbackReviewerId: string;
  /**
   * Multi-stage review: after the first stage's deadline, a second reviewer sees the items decided one of
   * `decisions` (with the first decision) and may overturn them within `durationDays` of the stage's start; unanswered, the first decision stands.
   */
  reviewSecondStage?: ReviewSecondStage;
  approvers: string[];
  /** Blast-radius brake: pause a batch that would revoke or disable more than this share or count. */
  blastRadius: { maxShare: number; maxCount: number };
  privilegedAccessMaxMinutes: number;
  /** Hours between reminders to the owner of a credential that must be rotated by hand (24 when unset). */
  manualRotationReminderHours?: number;
  /** Access reviews: no sign-in or use for this many days recommends revoke (30 when unset). */
  reviewIdleDays?: number;
  /**
   * Access reviews: how one person's accounts on several platforms are found to be one person, so their
   * manager reviews them together (a manager known on one platform reviews the accounts on the others):
   * the email (case-insensitive; the default), the subject id (employee id where the platform has one), or the user name.
   */
  reviewCorrelateBy?: ReviewCorrelation;
  /** Access reviews scoped to privileged access: these entitlement ids (admin groups), besides every role. */
  privilegedEntitlements?: string[];
}

export const REVIEW_CORRELATIONS = ['email', 'subject-id', 'user-name'] as const;
export type ReviewCorrelation = (typeof REVIEW_CORRELATIONS)[number];
export const LEAVER_CREDENTIAL_POLICIES = ['revoke', 'transfer'] as const;
export type LeaverCredentialPolicy = (typeof LEAVER_CREDENTIAL_POLICIES)[number];
export const REVIEW_CADENCES = ['quarterly', 'semiannual', 'annual'] as const;
export type ReviewCadence = (typeof REVIEW_CADENCES)[number];

/** Policy durations are in days (and hours); workflows turn them into milliseconds with this. */
export const DAY_MS = 86_400_000;

export interface ReviewSecondStage {
  reviewerId: string;
  decisions: ReviewVerdict[];
  durationDays: number;
}

export const DEFAULT_TENANT_POLICY: TenantPolicy = {
  retentionDays: 30,
  rotationGracePeriodHours: 24,
  rotationMaxAgeDays: 90,
  leaverCredentials: 'revoke',
  reviewCadence: 'quarterly',
  reviewDefaultDecision: 'revoke',
  reviewDurationDays: 14,
  reviewReminderEveryDays: 3,
  fallbackReviewerId: 'security-team',
  approvers: [],
  blastRadius: { maxShare: 0.2, maxCount: 500 },
  privilegedAccessMaxMinutes: 480,
};

/**
 * How to reach one platform for one tenant. Secrets are references only:
 * `env:VARIABLE_NAME` or `secret:<store>/<name>`, resolved by the worker at call time.
 */
export interface PlatformConnection {
  platform: Platform;
  /** Base URL / endpoint override (e.g. a Keycloak realm URL, a SCIM base, moto for AWS). */
  baseUrl?: string;
  /** Non-secret settings: region, realm, org, domain, client id... */
  settings?: Record<string, string>;
  /** Secret references by purpose, e.g. { clientSecret: 'env:OKTA_TOKEN' }. */
  credentials?: Record<string, string>;
}

/**
 * A tenant's secret store. `embedded`: sealed in the product's MongoDB (the default);
 * `aws-secrets-manager`: the tenant's own, with staging labels, its credentials given as
 * secret references (resolved in the tenant's namespace, never the worker's own identity).
 */
export type SecretStoreSetting =
  | { kind: 'embedded' }
  | {
      kind: 'aws-secrets-manager';
      region: string;
      baseUrl?: string;
      namePrefix?: string;
      credentials: { accessKeyId: string; secretAccessKey: string };
    };

export interface Tenant {
  tenantId: string;
  name: string;
  policy: TenantPolicy;
  connections: PlatformConnection[];
  /** Where rotated credentials are stored: the embedded store unless the tenant chose its own. */
  secretStore?: SecretStoreSetting;
  createdAt: string;
  updatedAt: string;
}

/** Append-only audit evidence: who asked, who approved, what was done where, when, with what result. */
export interface EvidenceRecord {
  tenantId: string;
  /** Workflow id of the run, or the API request id for API-only changes. */
  runId: string;
  kind: RunbookKind | 'api';
  subjectId?: string;
  at: string;
  actor: { id: string; kind: string };
  event: string;
  platform?: Platform;
  // A platform action or a lifecycle event name (e.g. "approval", "legal-hold").
  action?: string;
  outcome?: string;
  detail?: Record<string, unknown>;
}
