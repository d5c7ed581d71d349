/**
 * Signals, queries and updates of the lifecycle workflows. Shared so the API
 * and the workflows name them once. Updates are used where the caller must
 * know the decision was accepted (validated, applied, or rejected with a reason).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RotationOutcome } from './rotation';
import type {
  Actor,
  ApprovalDecision,
  LegalHold,
  ReviewDecisionBatch,
  ReviewItem,
  ReviewShareProgress,
  RunProgress,
} from './runs';

/** Every lifecycle workflow answers this. */
export const progressQuery = defineQuery<RunProgress>('progress');

/** Approve or deny a gated step (onboarding privileged entitlements, privileged access). */
export const approvalUpdate = defineUpdate<{ accepted: true }, [ApprovalDecision]>('approval');

/** Offboarding: stop the retention deletion. */
export const legalHoldSignal = defineSignal<[LegalHold]>('legalHold');

/** A paused blast-radius brake continues only on an explicit human go-ahead. */
export const blastRadiusGoAheadSignal = defineSignal<[{ approvedBy: Actor; comment?: string }]>('blastRadiusGoAhead');

/** Access review (reviewer child workflow): record decisions; rejects items not assigned to the reviewer. */
export const reviewDecisionsUpdate = defineUpdate<{ recorded: number; remaining: number }, [ReviewDecisionBatch]>(
  'reviewDecisions',
);
/** Access review (reviewer child workflow): how far the reviewer's share is, and its deadline. */
export const reviewShareQuery = defineQuery<ReviewShareProgress>('reviewShare');

export const reviewItemsQuery = defineQuery<ReviewItem[]>('reviewItems');

/** Privileged access: change the time-box. */
export const extendAccessUpdate = defineUpdate<{ expiresAt: string }, [{ minutes: number; by: Actor }]>('extendAccess');
export const endAccessSignal = defineSignal<[{ by: Actor; reason?: string }]>('endAccess');

/** Credentials on platforms with no rotation API: the owner confirms the manual rotation. */
export const manualRotationConfirmedSignal = defineSignal<[{ by: Actor }]>('manualRotationConfirmed');

/** A credential rotation tells its campaign (parent) that its active phase settled, so the campaign's concurrency slot frees before the grace period ends. */
export const rotationSettledSignal =
  defineSignal<[{ credentialKey: string; outcome: RotationOutcome }]>('rotationSettled');
