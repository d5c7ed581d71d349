/**
 * TEST-ONLY stand-ins for the lifecycle workflows, registered under the real
 * workflow type names on a test's own task queue. They answer the shared
 * messages (shared/messages.ts) so the HTTP layer can be tested on its own:
 * start, query, update, signal, cancel. They are not the product's workflows
 * and do no platform work; the acceptance tests drive the real ones.
 */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';
import {
  approvalUpdate,
  blastRadiusGoAheadSignal,
  endAccessSignal,
  extendAccessUpdate,
  legalHoldSignal,
  progressQuery,
  reviewDecisionsUpdate,
  reviewItemsQuery,
} from '../../shared/messages';
import type { ApprovalDecision, ReviewDecision, ReviewItem, RunbookKind, RunProgress } from '../../shared/runs';

/** Ends a stand-in that is waiting on nothing else. */
export const finishSignal = defineSignal('testFinish');

function standIn(kind: RunbookKind) {
  return async (request: {
    tenantId: string;
    subject?: { subjectId: string };
    reviewId?: string;
  }): Promise<RunProgress> => {
    let progress: RunProgress = {
      tenantId: request.tenantId,
      kind,
      subjectId: request.subject?.subjectId ?? request.reviewId ?? 'n/a',
      status: 'waiting-for-approval',
      steps: [{ stepId: 'gate', platform: 'reference', action: 'disableAccount', status: 'waiting', attempts: 0 }],
      needsHuman: [],
    };
    let decision: ApprovalDecision | undefined;
    let finished = false;
    setHandler(progressQuery, () => progress);
    setHandler(finishSignal, () => void (finished = true));
    const note = (text: string) => void (progress = { ...progress, needsHuman: [...progress.needsHuman, text] });
    setHandler(legalHoldSignal, (hold) => note(`legal hold: ${hold.reason}`));
    setHandler(blastRadiusGoAheadSignal, ({ approvedBy }) => note(`go-ahead by ${approvedBy.id}`));
    setHandler(endAccessSignal, () => void (finished = true));
    let expiresAt = Date.parse('2030-01-01T00:00:00Z');
    setHandler(extendAccessUpdate, ({ minutes }) => ({
      expiresAt: new Date((expiresAt += minutes * 60_000)).toISOString(),
    }));
    setHandler(
      approvalUpdate,
      (d) => {
        decision = d;
        return { accepted: true as const };
      },
      {
        validator: (d) => {
          if (decision) throw new Error('this step has already been decided');
          if (!d.approved && !d.comment) throw new Error('a denial needs a comment');
        },
      },
    );
    await condition(() => decision !== undefined || finished);
    const approved = decision?.approved ?? true;
    progress = {
      ...progress,
      status: approved ? 'completed' : 'cancelled',
      steps: progress.steps.map((s) => ({ ...s, status: approved ? 'succeeded' : 'skipped', attempts: 1 })),
    };
    return progress;
  };
}

export const offboarding = standIn('offboarding');
export const privilegedAccess = standIn('privileged-access');
export const credentialRotation = standIn('credential-rotation');
export const rotationCampaign = standIn('credential-rotation');
export const accessReviewCampaign = standIn('access-review');

/** Reviewer child stand-in: items assigned to one reviewer; refuses decisions on anyone else's items. */
export async function reviewerAssignments(reviewerId: string, assigned: ReviewItem[]): Promise<ReviewItem[]> {
  const items = assigned.map((i) => ({ ...i }));
  setHandler(reviewItemsQuery, () => items);
  setHandler(
    reviewDecisionsUpdate,
    ({ decisions }) => {
      for (const d of decisions)
        Object.assign(
          items.find((i) => i.itemId === d.itemId)!,
          { decision: d.decision, comment: d.comment },
        );
      return { recorded: decisions.length, remaining: items.filter((i) => !i.decision).length };
    },
    {
      validator: ({ reviewer, decisions }: { reviewer: { id: string }; decisions: ReviewDecision[] }) => {
        if (reviewer.id !== reviewerId) throw new Error('not this reviewer’s assignment');
        const foreign = decisions.filter((d) => !items.some((i) => i.itemId === d.itemId)).map((d) => d.itemId);
        if (foreign.length > 0) throw new Error(`not assigned to you: ${foreign.join(', ')}`);
      },
    },
  );
  await condition(() => items.every((i) => i.decision));
  return items;
}
