// Every workflow the worker registers. Bundled for the Temporal sandbox: deterministic code only.
export { selfTest } from './self-test';
export { credentialRotation } from './credential-rotation';
export { privilegedAccess } from './privileged-access';
export { offboarding } from './offboarding';
export { onboarding } from './onboarding';
export { accessReviewCampaign } from './access-review';
export { reviewerAssignments } from './access-review-reviewer';
export { rotationCampaign } from './rotation-campaign';
export { scheduledAccessReview } from './scheduled-access-review';
export { connectionCheck } from './connection-check';
