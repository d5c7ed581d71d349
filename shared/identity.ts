import type { Platform } from './platforms';

/** The person (or service identity) a run acts on. Names and emails are encrypted in workflow payloads. */
export interface Subject {
  /** Stable id in the tenant's HR / source of truth, e.g. employee number. */
  subjectId: string;
  userName: string;
  email?: string;
  displayName?: string;
  managerId?: string;
  /** Platform-native account ids where already known; adapters otherwise resolve by userName/email. */
  accounts?: Partial<Record<Platform, string>>;
  /** Access reviews: the account is a service account (non-human), as the platform tells it. */
  service?: boolean;
  /** Access reviews: when the account last signed in or was used (ISO), where the platform reports it. */
  lastActiveAt?: string;
}

export const ENTITLEMENT_KINDS = ['group', 'role', 'license', 'team', 'org-membership', 'policy', 'app'] as const;
export type EntitlementKind = (typeof ENTITLEMENT_KINDS)[number];

export interface Entitlement {
  kind: EntitlementKind;
  id: string;
  name?: string;
  /** ISO time the entitlement was last exercised, where the platform reports it. */
  lastUsedAt?: string;
}

/** Every kind once: the API's schemas are built from this list (api/schemas.ts). */
export const CREDENTIAL_KINDS = [
  'access-key',
  'api-token',
  'client-secret',
  'service-account-key',
  'personal-access-token',
  'deploy-key',
  'ssh-key',
  'oauth-grant',
  'certificate',
  'password',
  /** Entra: a time-limited passcode for a joiner's first sign-in (passwordless onboarding). */
  'temporary-access-pass',
] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** A non-human credential as a platform lists it: never the secret itself. */
export interface CredentialInfo {
  platform: Platform;
  id: string;
  kind: CredentialKind;
  /** The account (person or service account) that owns it. */
  ownerId: string;
  status: 'active' | 'inactive';
  createdAt?: string;
  lastUsedAt?: string;
  /** When the platform stops accepting it, where credentials expire (Entra secrets and certificates). */
  expiresAt?: string;
  description?: string;
}

export interface FederationLink {
  providerId: string;
  externalUserId?: string;
}

/** What one platform action did. `already-done` keeps repeated runs honest and idempotent. */
export interface ActionResult<T = unknown> {
  outcome: 'done' | 'already-done' | 'not-applicable';
  detail?: string;
  data?: T;
  /** The activity attempt that produced this result (1 = first try); set by the platform activity layer. */
  attempt?: number;
}

/** A reference to a secret held in the tenant's secret store; the value never enters a workflow. */
export interface SecretRef {
  store: string;
  name: string;
  versionId?: string;
}
