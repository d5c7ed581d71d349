/**
 * The platforms the product acts on and, per platform, the actions its adapter
 * supports (the capability catalogue). Runbook validation rejects a step whose
 * action is not in its platform's catalogue; every adapter implements exactly
 * the actions listed for it here.
 */
export const PLATFORMS = [
  'entra',
  'aws-iam',
  'okta',
  'google-workspace',
  'github',
  'keycloak',
  'scim',
  'ticketing',
  'notification',
  'http-callback',
  'reference',
] as const;
export type Platform = (typeof PLATFORMS)[number];

export const ACCOUNT_ACTIONS = [
  'createAccount',
  'updateAccount',
  'disableAccount',
  'enableAccount',
  'deleteAccount',
  'revokeSessions',
] as const;
export const ENTITLEMENT_ACTIONS = [
  'listEntitlements',
  'addEntitlement',
  'removeEntitlement',
  'removeAllEntitlements',
] as const;
export const NON_HUMAN_IDENTITY_ACTIONS = [
  'listCredentials',
  'createCredential',
  'deactivateCredential',
  'deleteCredential',
  'disableServiceAccount',
  'listFederationLinks',
  'removeFederationLink',
] as const;
export const OWNERSHIP_ACTIONS = ['transferOwnership'] as const;
export const TICKET_ACTIONS = ['openTicket', 'updateTicket', 'closeTicket'] as const;
export const NOTIFY_ACTIONS = ['notify'] as const;
/** A call to a customer system that completes when that system calls back. */
export const CALLBACK_ACTIONS = ['callAndWait'] as const;

export const PLATFORM_ACTIONS = [
  ...ACCOUNT_ACTIONS,
  ...ENTITLEMENT_ACTIONS,
  ...NON_HUMAN_IDENTITY_ACTIONS,
  ...OWNERSHIP_ACTIONS,
  ...TICKET_ACTIONS,
  ...NOTIFY_ACTIONS,
  ...CALLBACK_ACTIONS,
] as const;
export type PlatformAction = (typeof PLATFORM_ACTIONS)[number];

const IDENTITY_ACTIONS = [...ACCOUNT_ACTIONS, ...ENTITLEMENT_ACTIONS] as const;

export const CAPABILITIES: Readonly<Record<Platform, readonly PlatformAction[]>> = {
  // Graph cannot suspend an app secret or certificate, only remove it: no deactivateCredential.
  entra: [
    ...IDENTITY_ACTIONS,
    ...NON_HUMAN_IDENTITY_ACTIONS.filter((a) => a !== 'deactivateCredential'),
    ...OWNERSHIP_ACTIONS,
  ],
  // IAM federation (SAML/OIDC providers) is account-wide: a user has no links of its own to list or remove.
  'aws-iam': [
    ...IDENTITY_ACTIONS,
    ...NON_HUMAN_IDENTITY_ACTIONS.filter((a) => a !== 'listFederationLinks' && a !== 'removeFederationLink'),
  ],
  okta: [...IDENTITY_ACTIONS, ...NON_HUMAN_IDENTITY_ACTIONS],
  // Google: OAuth grants and app passwords can be listed and deleted only; no per-user federation links;
  // Cloud service accounts are Cloud IAM's, not the Directory's.
  'google-workspace': [...IDENTITY_ACTIONS, 'listCredentials', 'deleteCredential', ...OWNERSHIP_ACTIONS],
  // GitHub: an org owner can list and revoke a member's org-reachable credentials but not create or
  // deactivate them; machine users are ordinary accounts; SAML identities are GraphQL-only.
  github: [
    'createAccount',
    'disableAccount',
    'deleteAccount',
    'revokeSessions',
    ...ENTITLEMENT_ACTIONS,
    'listCredentials',
    'deleteCredential',
  ],
  keycloak: [...IDENTITY_ACTIONS, ...NON_HUMAN_IDENTITY_ACTIONS],
  // SCIM (RFC 7644) has no sessions resource: no revokeSessions.
  scim: IDENTITY_ACTIONS.filter((a) => a !== 'revokeSessions'),
  ticketing: [...TICKET_ACTIONS],
  notification: [...NOTIFY_ACTIONS],
  'http-callback': [...CALLBACK_ACTIONS],
  reference: [...IDENTITY_ACTIONS, ...NON_HUMAN_IDENTITY_ACTIONS, ...OWNERSHIP_ACTIONS],
};

export function supports(platform: Platform, action: PlatformAction): boolean {
  return CAPABILITIES[platform].includes(action);
}
