import type { CredentialKind } from './identity';
import { supports, type Platform } from './platforms';

/**
 * How a credential is rotated:
 * - `dual-phase`: the platform keeps two credentials live, so the new one is promoted while the old one keeps
 *   working for the grace period (overlap window), then the old one is retired.
 * - `single-phase`: consumers can only hold one credential, so the old one is retired right after promotion.
 * - `manual`: the platform has no API to create this kind of credential; the owner rotates it by hand and confirms.
 */
export const ROTATION_MODES = ['dual-phase', 'single-phase', 'manual'] as const;
export type RotationMode = (typeof ROTATION_MODES)[number];

/** Credential kinds no platform lets an API create (GitHub and Okta issue them to a signed-in person only). */
const MANUAL_KINDS: ReadonlySet<CredentialKind> = new Set(['personal-access-token', 'password']);

/** Platforms whose client secrets are regenerated in place: one live secret per client. */
const SINGLE_SECRET_PLATFORMS: ReadonlySet<Platform> = new Set(['keycloak']);

export function rotationModeOf(platform: Platform, kind: CredentialKind): RotationMode {
  if (!supports(platform, 'createCredential') || MANUAL_KINDS.has(kind)) return 'manual';
  return SINGLE_SECRET_PLATFORMS.has(platform) ? 'single-phase' : 'dual-phase';
}

/** Where a rotation's secret lives in the tenant's secret store: one name per credential lineage. */
/**
 * The subject part of a rotation's workflow id: a rotation the API starts and one a campaign starts for the
 * same credential are the same run (a second start joins the open one).
 */
export function rotationSubjectKey(credential: { platform: Platform; ownerId: string; credentialId?: string }): string {
  // The owner too: some platforms' credential ids are unique only per owner (Keycloak's client-secret@<time>).
  // Each part encoded, so an owner holding a `/` (a Keycloak client id that is a URL) cannot meet another's key.
  return `${credential.platform}:${encodeURIComponent(credential.ownerId)}${credential.credentialId ? `/${encodeURIComponent(credential.credentialId)}` : ''}`;
}

/** The key campaigns recorded before its parts were encoded used (replay only). */
export function unencodedRotationSubjectKey(credential: {
  platform: Platform;
  ownerId: string;
  credentialId?: string;
}): string {
  return `${credential.platform}:${credential.ownerId}${credential.credentialId ? `/${credential.credentialId}` : ''}`;
}

export function rotationSecretName(
  tenantId: string,
  platform: Platform,
  ownerId: string,
  kind: CredentialKind,
): string {
  return `${tenantId}/${platform}/${ownerId}/${kind}`;
}

/** What a rotation did, reported to its campaign as soon as the active phase settles. */
export type RotationOutcome = 'rotated' | 'rolled-back' | 'manual-task-open' | 'failed' | 'nothing-to-rotate';
