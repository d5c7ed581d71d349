import type { Platform } from '../shared/platforms';
import type { RunbookStep } from '../shared/runbooks';
import type { SeedRunbook } from '../store/runbooks';
import { onEach } from './steps';

/**
 * The leaver runbook in five phases. Every step is `continue`: one platform
 * failing must never stop containment elsewhere; its failure becomes a task for
 * a human. Phase 2 steps expand at run time into one revoke / hand-over per
 * credential and federation link found (see workflows/offboarding.ts).
 */
function offboardingSteps(
  platforms: readonly Platform[],
  ownershipPlatforms: readonly Platform[],
  notify: boolean,
): RunbookStep[] {
  return [
    // 1 contain: sign-in off first, then kill the sessions it already has.
    ...onEach(platforms, 'disableAccount', 'disable', { phase: 1, onFailure: 'continue' }),
    ...onEach(platforms, 'revokeSessions', 'revoke-sessions', { phase: 1, after: ['disable'], onFailure: 'continue' }),
    // 2 non-human identities the leaver owns.
    ...onEach(platforms, 'listCredentials', 'credentials', { phase: 2, onFailure: 'continue' }),
    ...onEach(platforms, 'listFederationLinks', 'federation', { phase: 2, onFailure: 'continue' }),
    // 3 entitlements: groups, roles, licenses.
    ...onEach(platforms, 'removeAllEntitlements', 'entitlements', { phase: 3, onFailure: 'continue' }),
    // 4 data hand-over to the new owner (or the manager).
    ...onEach(ownershipPlatforms, 'transferOwnership', 'handover', { phase: 4, onFailure: 'continue' }),
    ...(notify
      ? [
          {
            id: 'notify-manager',
            platform: 'notification' as const,
            action: 'notify' as const,
            phase: 4,
            after: ownershipPlatforms.map((p) => `handover-${p}`),
            onFailure: 'continue' as const,
          },
        ]
      : []),
    // 5 retention: deletion after the tenant's retention period, unless a legal hold arrived.
    ...onEach(platforms, 'deleteAccount', 'delete', { phase: 5, onFailure: 'continue' }),
  ];
}

export const STANDARD_OFFBOARDING: SeedRunbook = {
  runbookId: 'standard-offboarding',
  version: 1,
  productDefault: true,
  kind: 'offboarding',
  name: 'Standard leaver',
  description:
    'Contain, revoke non-human identities, remove entitlements, hand over data, delete after retention: Entra/365, AWS IAM, Okta, Google Workspace, GitHub, Keycloak.',
  steps: offboardingSteps(
    ['entra', 'aws-iam', 'okta', 'google-workspace', 'github', 'keycloak'],
    ['entra', 'google-workspace'],
    true,
  ),
};

/** The same runbook on the in-process reference platform (embedded default, tests). */
export const REFERENCE_OFFBOARDING: SeedRunbook = {
  runbookId: 'reference-offboarding',
  version: 1,
  kind: 'offboarding',
  name: 'Reference leaver',
  description: 'The standard leaver runbook on the in-process reference platform.',
  steps: offboardingSteps(['reference'], ['reference'], false),
};
