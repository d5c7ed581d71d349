import { condition, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { AccessReviewActivities } from '../activities/access-review';
import { DAY_MS, type Actor, type ReviewDecisionBatch, type ReviewItem, type ReviewVerdict } from '../shared';
import { reviewDecisionsUpdate, reviewItemsQuery, reviewShareQuery } from '../shared/messages';
import { controlActivities, platformActivities } from './support/activity-proxies';
import { besideTheWait, notifyPeople } from './support/notices';
import { RunRecorder } from './support/run-recorder';

/** One reviewer's share of an access-review campaign (a child of accessReviewCampaign). */
export interface ReviewerAssignment {
  tenantId: string;
  reviewId: string;
  reviewerId: string;
  /** Items assigned to the reviewer; the items themselves live in the review store. */
  total: number;
  deadline: string;
  reminderEveryDays: number;
  defaultDecision: ReviewVerdict;
  /** Who hears about a reviewer that has not finished after two reminders. */
  escalateTo: string;
  /** The tenant has a notification connection to send reminders through. */
  notify: boolean;
  requestedBy: Actor;
  /** Carried across continue-as-new. */
  remindersSent?: number;
}

export interface ReviewerOutcome {
  reviewerId: string;
  decidedByReviewer: number;
  defaulted: number;
  reminders: number;
}

/** Items a reviewer's workflow holds and shows (reviewItemsQuery): the current page of a larger share. */
export const REVIEW_WINDOW = 200;
const ESCALATE_FROM_REMINDER = 2;

/**
 * Waits for one reviewer's decisions, reminds them on a timer until their share
 * is done, escalates, and at the deadline applies the tenant's default decision
 * to what is left. Holds counts and one page of items, never the whole share:
 * decisions are accepted against the page (validated update, answered at once)
 * and written to the review store by the main loop, which then turns the page.
 */
export async function reviewerAssignments(assignment: ReviewerAssignment): Promise<ReviewerOutcome> {
  const { tenantId, reviewId, reviewerId } = assignment;
  const recorder = new RunRecorder({
    tenantId,
    kind: 'access-review',
    subjectId: reviewerId,
    requestedBy: assignment.requestedBy,
  });
  const reviews = controlActivities<AccessReviewActivities>();
  const share = new ReviewerShare(
    assignment,
    await reviews.reviewerWindow({ tenantId, reviewId, reviewerId, limit: REVIEW_WINDOW }),
  );

  setHandler(reviewItemsQuery, () => share.window);
  // A query only: it adds nothing to the history, so recorded histories replay unchanged.
  setHandler(reviewShareQuery, () => ({
    reviewId,
    reviewerId,
    total: assignment.total,
    remaining: share.remaining,
    decidedByReviewer: share.decidedByReviewer,
    deadline: assignment.deadline,
  }));
  setHandler(reviewDecisionsUpdate, (batch) => share.accept(batch), {
    validator: (batch: ReviewDecisionBatch) => share.validate(batch),
  });

  /** Writes accepted decisions to the store (one evidence record per write) and turns the page when it is done. */
  const flush = async (): Promise<void> => {
    for (let batch = share.takePending(); batch; batch = share.takePending()) {
      const { remaining } = await reviews.recordReviewDecisions({
        tenantId,
        reviewId,
        reviewer: batch.reviewer,
        decisions: batch.decisions,
        at: new Date().toISOString(),
      });
      const revoked = batch.decisions.filter((d) => d.decision === 'revoke').map((d) => d.itemId);
      await recorder.evidence('review-decisions', {
        actor: batch.reviewer,
        outcome: 'recorded',
        detail: { count: batch.decisions.length, revoked: revoked.slice(0, 100) },
      });
      if (share.pageDone() && remaining > 0)
        share.turnPage(await reviews.reviewerWindow({ tenantId, reviewId, reviewerId, limit: REVIEW_WINDOW }));
    }
  };

  recorder.setStatus('waiting');
  // The reviewer hears of the share when it starts (runs started before this change do not; `patched` keeps them replaying).
  const firstRun = assignment.remindersSent === undefined;
  if (assignment.notify && firstRun && share.remaining > 0 && patched('notify-share-assigned')) {
    const remaining = share.remaining;
    besideTheWait(() => announceShare(assignment, recorder, remaining));
  }
  const deadline = Date.parse(assignment.deadline);
  const every = assignment.reminderEveryDays * DAY_MS;
  let reminders = assignment.remindersSent ?? 0;
  let nextReminder = Date.now() + every;
  for (;;) {
    await flush();
    // Reminders stop the moment the share is done.
    if (share.remaining === 0 || Date.now() >= deadline) break;
    const woken = await condition(
      () => share.hasPending() || share.remaining === 0,
      Math.max(0, Math.min(nextReminder, deadline) - Date.now()),
    );
    if (woken || Date.now() >= deadline) continue;
    reminders += 1;
    nextReminder += every;
    await remind(assignment, recorder, share.remaining, reminders);
    if (workflowInfo().continueAsNewSuggested) {
      await flush();
      await continueAsNew<typeof reviewerAssignments>({ ...assignment, remindersSent: reminders });
    }
  }

  share.close();
  await flush();
  const { defaulted } = await reviews.closeReviewerShare({
    tenantId,
    reviewId,
    reviewerId,
    defaultDecision: assignment.defaultDecision,
    at: new Date().toISOString(),
  });
  recorder.setStatus('completed');
  await recorder.evidence('review-share-closed', {
    outcome: defaulted > 0 ? `defaulted-${assignment.defaultDecision}` : 'decided',
    detail: { total: assignment.total, decidedByReviewer: share.decidedByReviewer, defaulted, reminders },
  });
  return { reviewerId, decidedByReviewer: share.decidedByReviewer, defaulted, reminders };
}

/** The reviewer's current page, the count left undecided, and decisions accepted but not yet stored. */
class ReviewerShare {
  window: ReviewItem[];
  remaining: number;
  decidedByReviewer = 0;
  private pending: ReviewDecisionBatch[] = [];
  private closed = false;

  constructor(
    private readonly assignment: ReviewerAssignment,
    page: { items: ReviewItem[]; remaining: number },
  ) {
    this.window = page.items;
    this.remaining = page.remaining;
  }

  validate(batch: ReviewDecisionBatch): void {
    const { reviewerId } = this.assignment;
    if (this.closed) throw new Error('this review share is closed');
    if (batch.reviewer.id !== reviewerId)
      throw new Error(`items of ${reviewerId} can only be decided by ${reviewerId}`);
    if (batch.decisions.length === 0) throw new Error('decisions must not be empty');
    const missingComment = batch.decisions.findIndex((d) => d.decision === 'revoke' && !d.comment?.trim());
    if (missingComment >= 0) throw new Error(`decisions[${missingComment}].comment is required to revoke`);
    const ids = new Set(this.window.map((i) => i.itemId));
    const foreign = batch.decisions.find((d) => !ids.has(d.itemId));
    if (foreign)
      throw new Error(`item ${foreign.itemId} is not assigned to ${reviewerId} (or not on the current page)`);
  }

  accept(batch: ReviewDecisionBatch): { recorded: number; remaining: number } {
    const byId = new Map(batch.decisions.map((d) => [d.itemId, d]));
    this.window = this.window.map((item) => {
      const d = byId.get(item.itemId);
      if (!d) return item;
      if (!item.decision) this.remaining -= 1;
      return { ...item, decision: d.decision, comment: d.comment, defaulted: false };
    });
    this.decidedByReviewer += batch.decisions.length;
    this.pending.push(batch);
    return { recorded: batch.decisions.length, remaining: this.remaining };
  }

  hasPending(): boolean {
    return this.pending.length > 0;
  }

  takePending(): ReviewDecisionBatch | undefined {
    return this.pending.shift();
  }

  pageDone(): boolean {
    return this.window.every((i) => i.decision);
  }

  turnPage(page: { items: ReviewItem[]; remaining: number }): void {
    this.window = page.items;
    this.remaining = page.remaining;
  }

  close(): void {
    this.closed = true;
  }
}

/** The reviewer's first message: how many items, by when, and (through the notice's link) where to decide them. */
async function announceShare(assignment: ReviewerAssignment, recorder: RunRecorder, remaining: number): Promise<void> {
  await notifyPeople(
    recorder,
    {
      tenantId: assignment.tenantId,
      runId: workflowInfo().workflowId,
      status: 'assigned',
      summary: `access review ${assignment.reviewId}: ${remaining} items assigned to ${assignment.reviewerId} for a decision by ${assignment.deadline}`,
      needsHuman: [assignment.reviewerId],
    },
    { event: 'review-assigned-notice', detail: { remaining, recipients: [assignment.reviewerId] } },
  );
}

async function remind(
  assignment: ReviewerAssignment,
  recorder: RunRecorder,
  remaining: number,
  reminder: number,
): Promise<void> {
  const escalated = reminder >= ESCALATE_FROM_REMINDER;
  const recipients = escalated ? [assignment.reviewerId, assignment.escalateTo] : [assignment.reviewerId];
  if (assignment.notify) {
    await platformActivities('notification').notify({
      tenantId: assignment.tenantId,
      runId: workflowInfo().workflowId,
      status: escalated ? 'escalated' : 'reminder',
      summary: `access review ${assignment.reviewId}: ${remaining} items of ${assignment.reviewerId} await a decision by ${assignment.deadline}`,
      needsHuman: recipients,
    });
  }
  await recorder.evidence(escalated ? 'review-escalation' : 'review-reminder', {
    platform: 'notification',
    action: 'notify',
    outcome: assignment.notify ? 'done' : 'not-applicable',
    detail: { reminder, remaining, recipients },
  });
}
