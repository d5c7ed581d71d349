import type {
  CredentialInfo,
  CredentialKind,
  Entitlement,
  EntitlementKind,
  FederationLink,
  SecretRef,
  Subject,
} from './identity';
import type { PlatformAction } from './platforms';

export interface EntitlementRef {
  kind: EntitlementKind;
  id: string;
}

/** What each platform action takes. Every platform activity also gets the tenant (see ActionRequest). */
export interface ActionInputs {
  createAccount: { subject: Subject; entitlements?: EntitlementRef[] };
  updateAccount: { subject: Subject; changes: Partial<Pick<Subject, 'email' | 'displayName' | 'managerId'>> };
  disableAccount: { subject: Subject };
  enableAccount: { subject: Subject };
  deleteAccount: { subject: Subject };
  revokeSessions: { subject: Subject };
  listEntitlements: { subject: Subject };
  addEntitlement: { subject: Subject; entitlement: EntitlementRef };
  removeEntitlement: { subject: Subject; entitlement: EntitlementRef };
  removeAllEntitlements: { subject: Subject };
  /** Credentials owned by a person (subject) or by a service account (ownerId). */
  listCredentials: { subject?: Subject; ownerId?: string };
  createCredential: {
    ownerId: string;
    kind: CredentialKind;
    description?: string;
    secretName: string;
    idempotencyKey: string;
  };
  deactivateCredential: { ownerId: string; credentialId: string };
  deleteCredential: { ownerId: string; credentialId: string };
  disableServiceAccount: { serviceAccountId: string };
  listFederationLinks: { subject: Subject };
  removeFederationLink: { subject: Subject; providerId: string };
  transferOwnership: { subject: Subject; newOwner: Subject };
  openTicket: { runId: string; title: string; description: string };
  updateTicket: { ticketId: string; comment: string };
  closeTicket: { ticketId: string; resolution: string };
  notify: { runId: string; status: string; summary: string; needsHuman: string[] };
  callAndWait: { url: string; payload: Record<string, unknown> };
}

/** What each action returns to the workflow. Secrets never appear here: createCredential returns a reference. */
export interface ActionOutputs {
  createAccount: { accountId: string };
  updateAccount: void;
  disableAccount: void;
  enableAccount: void;
  deleteAccount: void;
  revokeSessions: void;
  listEntitlements: Entitlement[];
  addEntitlement: void;
  removeEntitlement: void;
  removeAllEntitlements: { removed: Entitlement[] };
  listCredentials: CredentialInfo[];
  createCredential: { credential: CredentialInfo; secretRef: SecretRef };
  deactivateCredential: void;
  deleteCredential: void;
  disableServiceAccount: void;
  listFederationLinks: FederationLink[];
  removeFederationLink: void;
  transferOwnership: void;
  openTicket: { ticketId: string };
  updateTicket: void;
  closeTicket: void;
  notify: void;
  callAndWait: Record<string, unknown>;
}

type AssertAllActions = { [A in PlatformAction]: [ActionInputs[A], ActionOutputs[A]] };
export type { AssertAllActions };

export type ActionRequest<A extends PlatformAction> = ActionInputs[A] & {
  tenantId: string;
  runId?: string;
  stepId?: string;
};
