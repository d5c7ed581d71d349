/**
 * Access-review campaigns on the Temporal dev server in real time, with the
 * tenant's durations set in seconds: reminders (their calendar: access-review-reminders.test.ts), default
 * decisions at the deadline, the blast-radius brake, and the history bound
 * (continue-as-new every few reviewers). The 100,000-item proof is
 * bench/access-review-100k.ts. (The Java time-skipping server stopped skipping time in these
 * multi-workflow runs once a reviewer workflow was queried or updated.)
 * Items live in FerretDB; the reference platform keeps the entitlements.
 */
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { reviewerWorkflowId, type AccessReviewRequest, type ReviewItem } from '../shared';
import { blastRadiusGoAheadSignal, progressQuery, reviewDecisionsUpdate, reviewItemsQuery } from '../shared/messages';
import { accessReviewCampaign } from '../workflows/access-review';
import { type reviewerAssignments } from '../workflows/access-review-reviewer';
import { keepHistory, runHistoryLengths } from './support/histories';
import { startLifecycleWorkers, type LifecycleWorkers } from './support/lifecycle-workers';
import { seedReviewPopulation } from './support/review-population';
import { bundleWorkflows, testMongo, testTemporal, uniqueQueue } from './support/servers';
import { waitFor } from './support/poll';

let temporal: Awaited<ReturnType<typeof testTemporal>>;
let mongo: Awaited<ReturnType<typeof testMongo>>;
let bundle: WorkflowBundleWithSourceMap;
let lc: LifecycleWorkers;

beforeAll(async () => {
  [temporal, mongo, bundle] = await Promise.all([testTemporal(), testMongo('review'), bundleWorkflows()]);
  lc = await startLifecycleWorkers({ connection: temporal.nativeConnection, db: mongo.db, workflowBundle: bundle });
});

afterAll(async () => {
  await lc?.stop();
  await mongo?.drop();
  await temporal?.close();
});

/** Policy durations are in days; these tests run on the dev server in real time, so a "day" here is a second. */
const SECOND_IN_DAYS = 1 / 86_400;
const requestedBy = { id: 'review-schedule', kind: 'schedule' as const };

async function startCampaign(tenantId: string, seconds: number, reviewersPerRun?: number) {
  const request: AccessReviewRequest = {
    tenantId,
    requestedBy,
    reviewId: uniqueQueue('q3'),
    deadline: new Date(Date.now() + seconds * 1000).toISOString(),
    reviewersPerRun,
  };
  const handle = await temporal.client.workflow.start(accessReviewCampaign, {
    args: [request],
    taskQueue: lc.queues.workflows,
    workflowId: uniqueQueue('review'),
  });
  const reviewer = (reviewerId: string) =>
    temporal.client.workflow.getHandle<typeof reviewerAssignments>(
      reviewerWorkflowId(tenantId, request.reviewId, reviewerId),
    );
  return { request, handle, reviewer };
}

it('assigns to managers, reminds and escalates on timers, defaults at the deadline, brakes, then revokes', async () => {
  const tenantId = uniqueQueue('t');
  const platform = await lc.createTenant(tenantId, {
    reviewReminderEveryDays: 3 * SECOND_IN_DAYS,
    reviewDefaultDecision: 'revoke',
    blastRadius: { maxShare: 0.3, maxCount: 1000 },
  });
  const prefix = uniqueQueue('p');
  const [mgrA, mgrB] = seedReviewPopulation(platform, { prefix, managers: 2, subjects: 4, perSubject: 2 });
  platform.seedAccount({ userName: `${prefix}-orphan`, entitlements: [{ kind: 'role', id: 'auditor' }] });
  const { handle, reviewer } = await startCampaign(tenantId, 13);

  // Manager A reviews subjects 0 and 2 (2 groups each); the decision helper flags the idle groups.
  const itemsA = await waitFor(
    () => reviewer(mgrA!).query(reviewItemsQuery),
    (items) => items.length === 4,
  );
  expect(itemsA.filter((i) => i.recommendation === 'revoke').map((i) => i.recommendationReason)).toEqual([
    'no sign-in for 60 days',
    'no sign-in for 60 days',
  ]);
  const orphanItems = await waitFor(
    () => reviewer('security-team').query(reviewItemsQuery),
    (items) => items.length === 1,
  );
  expect(orphanItems[0]).toMatchObject({ subjectId: `${prefix}-orphan`, entitlementId: 'auditor' });

  // Nobody answers: past the deadline every item defaults to revoke, 9 of 9 > 30%, so the campaign brakes.
  const outcomeB = await reviewer(mgrB!).result();
  expect(outcomeB).toMatchObject({ reviewerId: mgrB, decidedByReviewer: 0, defaulted: 4 });
  const paused = await waitFor(
    () => handle.query(progressQuery),
    (p) => p.status === 'paused',
    60_000,
  );
  expect(paused.needsHuman[0]).toMatch(/^blast-radius brake: 9 of 9 entitlements would be revoked/);
  expect(platform.accounts.get(`${prefix}-user-000001`)!.entitlements).toHaveLength(2); // nothing revoked while paused

  // Every reminder counted was sent, the later ones escalated. How many fit before the deadline depends on
  // when the reviewer started in real time; the calendar itself is test/access-review-reminders.test.ts.
  const remindersB = lc.notices.filter((n) => n.summary.includes(`items of ${mgrB} await`)).map((n) => n.status);
  expect(remindersB).toEqual(
    Array.from({ length: outcomeB.reminders }, (_, i) => (i === 0 ? 'reminder' : 'escalated')),
  );

  await handle.signal(blastRadiusGoAheadSignal, {
    approvedBy: { id: 'ciso', kind: 'user' },
    comment: 'checked the HR feed',
  });
  expect(await handle.result()).toMatchObject({
    items: 9,
    approved: 0,
    revoked: 9,
    defaulted: 9,
    applied: 9,
    applyFailed: 0,
    openShares: 0,
  });
  expect(platform.accounts.get(`${prefix}-user-000000`)!.entitlements).toEqual([]);
  expect(platform.accounts.get(`${prefix}-orphan`)!.entitlements).toEqual([]);

  const events = (await lc.evidence.forRun(tenantId, handle.workflowId)).map(
    (e) => `${e.event}:${e.outcome}:${e.actor.id}`,
  );
  expect(events).toEqual([
    'collect-reference:succeeded:review-schedule',
    'review-items-collected:done:review-schedule',
    'blast-radius-brake:paused:review-schedule',
    'blast-radius-go-ahead:approved:ciso',
    'review-completed:completed:review-schedule',
  ]);
  await keepHistory('access-review-campaign-braked', handle);
  await keepHistory('access-review-reviewer-defaulted', reviewer(mgrB!));
});

const rejectedWith = (reason: RegExp) => ({ cause: { message: expect.stringMatching(reason) } });

it('accepts only valid decisions from the assigned reviewer, stops reminding when the share is done, and applies them', async () => {
  const tenantId = uniqueQueue('t');
  const platform = await lc.createTenant(tenantId, {
    reviewReminderEveryDays: 2 * SECOND_IN_DAYS,
    reviewDefaultDecision: 'approve',
    blastRadius: { maxShare: 1, maxCount: 1000 },
  });
  const prefix = uniqueQueue('p');
  const [mgrA, mgrB] = seedReviewPopulation(platform, { prefix, managers: 2, subjects: 4, perSubject: 2 });
  const { request, handle, reviewer } = await startCampaign(tenantId, 9);
  const itemsA = await waitFor(
    () => reviewer(mgrA!).query(reviewItemsQuery),
    (items) => items.length === 4,
  );
  const itemsB = await waitFor(
    () => reviewer(mgrB!).query(reviewItemsQuery),
    (items) => items.length === 4,
  );
  const decide = (
    owner: string,
    by: string,
    decisions: { itemId: string; decision: 'approve' | 'revoke'; comment?: string }[],
  ) =>
    reviewer(owner).executeUpdate(reviewDecisionsUpdate, { args: [{ reviewer: { id: by, kind: 'user' }, decisions }] });

  await expect(decide(mgrA!, mgrB!, [{ itemId: itemsA[0]!.itemId, decision: 'approve' }])).rejects.toMatchObject(
    rejectedWith(/can only be decided by/),
  );
  await expect(decide(mgrA!, mgrA!, [{ itemId: itemsA[0]!.itemId, decision: 'revoke' }])).rejects.toMatchObject(
    rejectedWith(/comment is required/),
  );
  await expect(decide(mgrA!, mgrA!, [{ itemId: itemsB[0]!.itemId, decision: 'approve' }])).rejects.toMatchObject(
    rejectedWith(/is not assigned to/),
  );

  // A follows the decision helper; B decides one item and leaves the rest to the default (approve).
  const verdicts = itemsA.map((i) =>
    i.recommendation === 'revoke'
      ? { itemId: i.itemId, decision: 'revoke' as const, comment: 'unused for 60 days' }
      : { itemId: i.itemId, decision: 'approve' as const },
  );
  await expect(decide(mgrA!, mgrA!, verdicts)).resolves.toEqual({ recorded: 4, remaining: 0 });
  expect(await reviewer(mgrA!).result()).toEqual({
    reviewerId: mgrA,
    decidedByReviewer: 4,
    defaulted: 0,
    reminders: 0,
  });
  const idleB = itemsB.find((i) => i.recommendation === 'revoke')!;
  await expect(
    decide(mgrB!, mgrB!, [{ itemId: idleB.itemId, decision: 'revoke', comment: 'left the project' }]),
  ).resolves.toEqual({ recorded: 1, remaining: 3 });
  expect((await reviewer(mgrB!).query(reviewItemsQuery)).find((i) => i.itemId === idleB.itemId)).toMatchObject({
    decision: 'revoke',
    comment: 'left the project',
  });

  expect(await handle.result()).toMatchObject({ items: 8, approved: 5, revoked: 3, defaulted: 3, applied: 3 });
  const outcomeB = await reviewer(mgrB!).result();
  expect(outcomeB).toMatchObject({ decidedByReviewer: 1, defaulted: 3 });
  expect(lc.notices.filter((n) => n.summary.includes(`items of ${mgrB} await`))).toHaveLength(outcomeB.reminders); // B, unfinished, was reminded
  expect(lc.notices.filter((n) => n.summary.includes(`items of ${mgrA} await`))).toEqual([]); // A finished at once: never reminded
  const remaining = (user: number) =>
    platform.accounts.get(`${prefix}-user-00000${user}`)!.entitlements.map((e) => e.id);
  expect([remaining(0), remaining(2)]).toEqual([['g1'], ['g1']]); // A revoked the idle groups of its subjects
  const decisions = (await lc.evidence.forRun(tenantId, reviewerWorkflowId(tenantId, request.reviewId, mgrA!))).find(
    (e) => e.event === 'review-decisions',
  );
  expect(decisions).toMatchObject({ actor: { id: mgrA }, detail: { count: 4 } });
  await keepHistory('access-review-reviewer-decided', reviewer(mgrA!));
});

it('runs a second stage: the security reviewer sees the revocations with the first decision, overturns one, the other stands', async () => {
  const tenantId = uniqueQueue('t');
  const reviewSecondStage = { reviewerId: 'ciso', decisions: ['revoke' as const], durationDays: 6 * SECOND_IN_DAYS };
  const platform = await lc.createTenant(tenantId, {
    reviewReminderEveryDays: 100,
    reviewDefaultDecision: 'approve',
    blastRadius: { maxShare: 1, maxCount: 1000 },
    reviewSecondStage,
  });
  const [mgrA] = seedReviewPopulation(platform, { prefix: uniqueQueue('p'), managers: 2, subjects: 4, perSubject: 2 });
  const { request, handle, reviewer } = await startCampaign(tenantId, 9);
  const itemsA = await waitFor(
    () => reviewer(mgrA!).query(reviewItemsQuery),
    (items) => items.length === 4,
  );
  const idle = itemsA
    .filter((i) => i.recommendation === 'revoke')
    .map((i) => ({ itemId: i.itemId, decision: 'revoke' as const, comment: 'idle for 60 days' }));
  await reviewer(mgrA!).executeUpdate(reviewDecisionsUpdate, {
    args: [{ reviewer: { id: mgrA!, kind: 'user' }, decisions: idle }],
  });

  // After the first deadline only the two revocations go to the second stage, each showing the first decision.
  const ciso = temporal.client.workflow.getHandle<typeof reviewerAssignments>(
    reviewerWorkflowId(tenantId, `${request.reviewId}:stage-2`, 'ciso'),
  );
  const staged = await waitFor(
    () => ciso.query(reviewItemsQuery),
    (items) => items.length > 0,
    60_000,
  );
  expect(staged.map((i) => [i.itemId, i.decision, i.previousStage])).toEqual(
    idle.map((d) => [d.itemId, undefined, { decision: 'revoke', comment: 'idle for 60 days', decidedBy: mgrA }]),
  );
  const [overturned, unanswered] = staged;
  await ciso.executeUpdate(reviewDecisionsUpdate, {
    args: [
      { reviewer: { id: 'ciso', kind: 'user' }, decisions: [{ itemId: overturned!.itemId, decision: 'approve' }] },
    ],
  });

  expect(await handle.result()).toMatchObject({ items: 8, revoked: 1, approved: 7, applied: 1, applyFailed: 0 });
  const holds = (item: ReviewItem) =>
    platform.accounts.get(item.subjectId)!.entitlements.some((e) => e.id === item.entitlementId);
  expect([holds(overturned!), holds(unanswered!)]).toEqual([true, false]);
  const events = (await lc.evidence.forRun(tenantId, handle.workflowId)).map((e) => `${e.event}:${e.outcome}`);
  expect(events).toEqual(expect.arrayContaining(['review-stage-started:started', 'review-stage-decided:merged']));
  await keepHistory('access-review-campaign-two-stage', handle);
});

it('keeps every history short: the campaign continues as new every few reviewers, items stay in the store', async () => {
  const tenantId = uniqueQueue('t');
  const platform = await lc.createTenant(tenantId, {
    reviewReminderEveryDays: 100,
    reviewDefaultDecision: 'approve',
    blastRadius: { maxShare: 1, maxCount: 1000 },
  });
  const managers = seedReviewPopulation(platform, {
    prefix: uniqueQueue('p'),
    managers: 40,
    subjects: 200,
    perSubject: 3,
  });
  const { handle, reviewer } = await startCampaign(tenantId, 12, 10);

  expect(await handle.result()).toMatchObject({ items: 600, approved: 600, defaulted: 600, openShares: 0 });
  const runs = await runHistoryLengths(temporal.client, handle.workflowId, handle.firstExecutionRunId);
  // collect, then 4 runs starting 10 reviewers each, then the deadline run: the 600 items never enter a history.
  expect(runs.length).toBeGreaterThanOrEqual(6);
  expect(Math.max(...runs)).toBeLessThan(120);
  const reviewerEvents = await Promise.all(managers.map(async (m) => (await reviewer(m).describe()).historyLength));
  // A share's history is small and fixed, whatever its size: its first notice (marker, notify, evidence) included.
  expect(Math.max(...reviewerEvents)).toBeLessThan(50);
});
