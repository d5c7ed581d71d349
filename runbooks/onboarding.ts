import type { SeedRunbook } from '../store/runbooks';
import type { Platform } from '../shared/platforms';
import type { RunbookStep } from '../shared/runbooks';
import { onEach } from './steps';

/**
 * Joiner runbooks. Role profiles live here, in the runbook (steps carry
 * `roleProfiles`), so a profile change is a new runbook version a run pins.
 * Account creation halts on failure: the run then undoes what it created.
 * Privileged entitlements wait for an approver; no answer by the deadline = denied.
 */
function onboardingSteps(
  platform: Platform,
  groups: { staff: string; engineering: string; sales: string; admin: string },
): RunbookStep[] {
  return [
    { id: 'create-account', platform, action: 'createAccount', phase: 1, onFailure: 'halt' },
    {
      id: 'all-staff',
      platform,
      action: 'addEntitlement',
      phase: 2,
      onFailure: 'halt',
      params: { entitlement: { kind: 'group', id: groups.staff } },
    },
    {
      id: 'engineering',
      platform,
      action: 'addEntitlement',
      phase: 2,
      onFailure: 'halt',
      roleProfiles: ['engineer'],
      params: { entitlement: { kind: 'group', id: groups.engineering } },
    },
    {
      id: 'sales',
      platform,
      action: 'addEntitlement',
      phase: 2,
      onFailure: 'halt',
      roleProfiles: ['sales'],
      params: { entitlement: { kind: 'group', id: groups.sales } },
    },
    {
      id: 'production-admin',
      platform,
      action: 'addEntitlement',
      phase: 3,
      onFailure: 'continue',
      roleProfiles: ['engineer'],
      approval: { approverRole: 'approver', timeout: '3 days' },
      params: { entitlement: { kind: 'role', id: groups.admin } },
    },
  ];
}

export const STANDARD_ONBOARDING: SeedRunbook = {
  runbookId: 'standard-onboarding',
  // v2: a Temporary Access Pass for the first sign-in (installations keep v1 beside it; new runs take v2).
  version: 2,
  productDefault: true,
  kind: 'onboarding',
  name: 'Standard joiner',
  description:
    'Entra/365 account with a Temporary Access Pass for the first sign-in, Okta and GitHub accounts, groups per role profile (engineer, sales); production admin on approval.',
  steps: [
    ...onboardingSteps('entra', {
      staff: 'all-staff',
      engineering: 'engineering',
      sales: 'sales',
      admin: 'privileged-role-administrator',
    }),
    // Passwordless day one: the pass goes to the secret store, the run says where (a failure leaves the account: a human issues one).
    {
      id: 'first-sign-in-pass',
      platform: 'entra',
      action: 'createCredential',
      phase: 2,
      after: ['create-account'],
      onFailure: 'continue',
      params: { kind: 'temporary-access-pass' },
    },
    ...onEach(['okta', 'github'], 'createAccount', 'create-account', {
      phase: 1,
      onFailure: 'halt',
      roleProfiles: ['engineer'],
    }),
  ],
};

export const REFERENCE_ONBOARDING: SeedRunbook = {
  runbookId: 'reference-onboarding',
  version: 1,
  kind: 'onboarding',
  name: 'Reference joiner',
  description: 'The standard joiner runbook on the in-process reference platform.',
  steps: onboardingSteps('reference', {
    staff: 'all-staff',
    engineering: 'engineering',
    sales: 'sales',
    admin: 'production-admin',
  }),
};
