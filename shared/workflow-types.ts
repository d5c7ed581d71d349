import type { RunbookKind } from './runs';

/** Registered workflow function names per lifecycle kind (what the API starts). */
export const WORKFLOW_TYPE: Readonly<Record<RunbookKind, string>> = {
  offboarding: 'offboarding',
  onboarding: 'onboarding',
  'credential-rotation': 'credentialRotation',
  'access-review': 'accessReviewCampaign',
  'privileged-access': 'privilegedAccess',
};

/** Scheduled campaigns. */
export const ROTATION_CAMPAIGN_WORKFLOW = 'rotationCampaign';
export const REVIEWER_WORKFLOW = 'reviewerAssignments';
export const CONNECTION_CHECK_WORKFLOW = 'connectionCheck';
