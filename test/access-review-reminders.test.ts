/**
 * An access review's reminder calendar on the time-skipping server, where the
 * timers fire on workflow time, however busy the machine is: a reviewer who never
 * answers is reminded every 3 days until the 13-day deadline (days 3, 6, 9 and 12),
 * escalated to the fallback reviewer from the second reminder, and defaulted at the
 * deadline. Nothing queries or updates the reviewers here (the server stops skipping
 * time once one is); test/access-review.test.ts covers decisions in real time.
 */
import { reviewerWorkflowId, type AccessReviewRequest } from '../shared';
import { accessReviewCampaign } from '../workflows/access-review';
import { type reviewerAssignments } from '../workflows/access-review-reviewer';
import { keepHistory } from './support/histories';
import { lifecycleOnTimeSkipping } from './support/lifecycle-workers';
import { seedReviewPopulation } from './support/review-population';
import { uniqueQueue } from './support/servers';

const t = lifecycleOnTimeSkipping('review_reminders');
const DAY = 86_400_000;

it('reminds every 3 days until the deadline, escalates from the second reminder, then defaults', async () => {
  const tenantId = uniqueQueue('t');
  const platform = await t.lc.createTenant(tenantId, {
    reviewReminderEveryDays: 3,
    reviewDefaultDecision: 'approve',
    blastRadius: { maxShare: 1, maxCount: 1000 },
  });
  const [mgrA, mgrB] = seedReviewPopulation(platform, {
    prefix: uniqueQueue('p'),
    managers: 2,
    subjects: 4,
    perSubject: 2,
  });
  const request: AccessReviewRequest = {
    tenantId,
    requestedBy: { id: 'review-schedule', kind: 'schedule' },
    reviewId: uniqueQueue('q3'),
    deadline: new Date(Date.now() + 13 * DAY).toISOString(),
  };
  const handle = await t.env.client.workflow.start(accessReviewCampaign, {
    args: [request],
    taskQueue: t.lc.queues.workflows,
    workflowId: uniqueQueue('review'),
  });

  expect(await handle.result()).toMatchObject({ items: 8, approved: 8, defaulted: 8, applied: 0, openShares: 0 });
  for (const manager of [mgrA!, mgrB!]) {
    const reviewer = t.env.client.workflow.getHandle<typeof reviewerAssignments>(
      reviewerWorkflowId(tenantId, request.reviewId, manager),
    );
    expect(await reviewer.result()).toEqual({ reviewerId: manager, decidedByReviewer: 0, defaulted: 4, reminders: 4 });
    // The share's first message, when it starts: how many items and by when.
    const assigned = t.lc.notices.filter((n) => n.runId === reviewer.workflowId && n.status === 'assigned');
    expect(assigned).toEqual([
      expect.objectContaining({
        needsHuman: [manager],
        summary: `access review ${request.reviewId}: 4 items assigned to ${manager} for a decision by ${request.deadline}`,
      }),
    ]);
    const reminders = t.lc.notices.filter((n) => n.summary.includes(`items of ${manager} await`));
    expect(reminders.map((n) => n.status)).toEqual(['reminder', 'escalated', 'escalated', 'escalated']);
    expect(reminders[0]!.needsHuman).toEqual([manager]);
    expect(reminders[1]!.needsHuman).toEqual([manager, 'security-team']);
    if (manager === mgrA) await keepHistory('access-review-reviewer-announced', reviewer);
  }
});
