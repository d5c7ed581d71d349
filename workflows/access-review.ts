import {
  ApplicationFailure,
  condition,
  continueAsNew,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { AccessReviewActivities, CollectRules } from '../activities/access-review';
import type { TenantActivities } from '../activities/tenants';
import type { ReviewTally } from '../store/reviews';
import {
  DAY_MS,
  reviewerWorkflowId,
  supports,
  type AccessReviewRequest,
  type Actor,
  type Platform,
  type ReviewSecondStage,
  type RunProgress,
  type TenantPolicy,
} from '../shared';
import { blastRadiusGoAheadSignal } from '../shared/messages';
import { reviewerAssignments } from './access-review-reviewer';
import { controlActivities } from './support/activity-proxies';
import { myTaskQueues } from './support/queues';
import { RunRecorder } from './support/run-recorder';

type Phase = 'collect' | 'assign' | 'review' | 'brake' | 'apply';

interface ReviewStage {
  reviewId: string;
  deadline: string;
}

/** What a campaign carries from one run to the next (continue-as-new keeps each history short). */
export interface CampaignState {
  phase: Phase;
  policy: TenantPolicy;
  platforms: Platform[];
  notify: boolean;
  items: number;
  reviewers: number;
  /** Reviewer shares are started in reviewer-id order; the last one started. */
  afterReviewerId?: string;
  /** Set when a second review stage starts (multi-stage review): its own review id and deadline. */
  stage?: ReviewStage;
  goAhead?: { approvedBy: Actor; comment?: string };
  progress: RunProgress;
}

/** Reviewer workflows started per run: each start adds a few events, so a run stops well below a few thousand. */
export const REVIEWERS_PER_RUN = 200;
const SHARES_PER_PAGE = 50;
const REVOCATIONS_PER_BATCH = 200;
/** Revocation batches per run: each adds about six events, so 100 keep a run near 600 (the reviewer-start runs' size). */
export const APPLY_BATCHES_PER_RUN = 100;
/** After the deadline, how often to check that every reviewer workflow has closed its share. */
const CLOSE_CHECK_INTERVAL = '10 seconds';

/**
 * A quarterly access review (certification campaign): collect the entitlements in
 * scope into the review store, start one reviewer workflow per reviewer, wait for
 * the deadline, stop at the blast-radius brake if too much would be revoked, then
 * apply revocations in batches and record the outcome.
 */
export async function accessReviewCampaign(
  request: AccessReviewRequest,
  carried?: CampaignState,
): Promise<ReviewTally> {
  const state = carried ?? (await initialState(request));
  const recorder = new RunRecorder(
    {
      tenantId: request.tenantId,
      kind: 'access-review',
      subjectId: request.reviewId,
      requestedBy: request.requestedBy,
    },
    state.progress,
  );
  setHandler(blastRadiusGoAheadSignal, (goAhead) => void (state.goAhead ??= goAhead));
  const campaign = { request, state, recorder };

  if (state.phase === 'collect') await collect(campaign);
  if (state.phase === 'assign') await assignReviewers(campaign);
  if (state.phase === 'review') await awaitDeadline(campaign);
  if (state.phase === 'brake') await blastRadiusBrake(campaign);
  return applyRevocations(campaign);
}

interface Campaign {
  request: AccessReviewRequest;
  state: CampaignState;
  recorder: RunRecorder;
}

/** The stage under review now: the campaign's own, or its second stage. */
function currentStage({ request, state }: Campaign): ReviewStage {
  return state.stage ?? { reviewId: request.reviewId, deadline: request.deadline };
}

const reviews = () =>
  controlActivities<AccessReviewActivities>({ heartbeatTimeout: '1 minute', startToCloseTimeout: '30 minutes' });

/** patched() id: collection and revocation run on each platform's own queue (its rate limit), not on the control queue. */
const ON_PLATFORM_QUEUES = 'review-on-platform-queues';

/** The review work that calls a platform, on that platform's queue once the run has the patch. */
function platformReviews(
  platform: Platform,
): Pick<AccessReviewActivities, 'collectReviewItems' | 'applyRevocationBatch'> {
  if (!patched(ON_PLATFORM_QUEUES)) return reviews();
  return proxyActivities<AccessReviewActivities>({
    taskQueue: myTaskQueues().platform(platform),
    heartbeatTimeout: '1 minute',
    startToCloseTimeout: '30 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
  });
}

async function initialState(request: AccessReviewRequest): Promise<CampaignState> {
  const tenants = controlActivities<TenantActivities>();
  const [policy, connected] = await Promise.all([
    tenants.loadTenantPolicy(request.tenantId),
    tenants.loadTenantPlatforms(request.tenantId),
  ]);
  const platforms = (request.platforms ?? connected).filter((p) => supports(p, 'listEntitlements'));
  if (platforms.length === 0)
    throw ApplicationFailure.create({
      type: 'NothingToReview',
      message: 'no platform in scope can list entitlements',
      nonRetryable: true,
    });
  const progress: RunProgress = {
    tenantId: request.tenantId,
    kind: 'access-review',
    subjectId: request.reviewId,
    status: 'running',
    steps: [],
    needsHuman: [],
  };
  return {
    phase: 'collect',
    policy,
    platforms,
    notify: connected.includes('notification'),
    items: 0,
    reviewers: 0,
    progress,
  };
}

/** What the collection applies: the request's scope and the tenant's correlation, idle limit and privileged entitlements. */
function collectRules(request: AccessReviewRequest, policy: TenantPolicy): CollectRules {
  const { reviewCorrelateBy: correlateBy, reviewIdleDays: idleDays, privilegedEntitlements } = policy;
  return {
    ...(request.scope ? { scope: request.scope } : {}),
    ...(correlateBy ? { correlateBy } : {}),
    ...(idleDays ? { idleDays } : {}),
    ...(privilegedEntitlements ? { privilegedEntitlements } : {}),
  };
}

async function collect({ request, state, recorder }: Campaign): Promise<void> {
  const scope = { tenantId: request.tenantId, reviewId: request.reviewId };
  for (const platform of state.platforms) {
    await recorder.step(`collect-${platform}`, platform, 'listEntitlements', () =>
      platformReviews(platform).collectReviewItems({
        ...scope,
        platform,
        fallbackReviewerId: state.policy.fallbackReviewerId,
        rules: collectRules(request, state.policy),
      }),
    );
  }
  Object.assign(state, await reviews().buildReviewerShares(scope));
  await recorder.evidence('review-items-collected', {
    outcome: 'done',
    detail: { items: state.items, reviewers: state.reviewers, platforms: state.platforms },
  });
  state.phase = 'assign';
}

/** Starts reviewer workflows a page at a time, continuing as new every REVIEWERS_PER_RUN. */
async function assignReviewers(campaign: Campaign): Promise<void> {
  const { request, state } = campaign;
  let startedThisRun = 0;
  for (;;) {
    const limit = Math.min(SHARES_PER_PAGE, request.reviewersPerRun ?? REVIEWERS_PER_RUN);
    const page = await reviews().reviewerShares({
      tenantId: request.tenantId,
      reviewId: currentStage(campaign).reviewId,
      afterReviewerId: state.afterReviewerId,
      limit,
    });
    if (page.length === 0) break;
    await Promise.all(page.map((share) => startReviewer(campaign, share.reviewerId, share.total)));
    state.afterReviewerId = page[page.length - 1]!.reviewerId;
    startedThisRun += page.length;
    if (startedThisRun >= (request.reviewersPerRun ?? REVIEWERS_PER_RUN) || workflowInfo().continueAsNewSuggested)
      await continueAsNew<typeof accessReviewCampaign>(request, state);
  }
  state.phase = 'review';
  // A fresh run waits for the deadline: completions of the children started here are not recorded in its history.
  await continueAsNew<typeof accessReviewCampaign>(request, state);
}

async function startReviewer(campaign: Campaign, reviewerId: string, total: number): Promise<void> {
  const { request, state } = campaign;
  const { reviewId, deadline } = currentStage(campaign);
  try {
    await startChild(reviewerAssignments, {
      workflowId: reviewerWorkflowId(request.tenantId, reviewId, reviewerId),
      // Reviewer workflows outlive the run that started them (continue-as-new).
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [
        {
          tenantId: request.tenantId,
          reviewId,
          reviewerId,
          total,
          deadline,
          reminderEveryDays: state.policy.reviewReminderEveryDays,
          defaultDecision: state.policy.reviewDefaultDecision,
          escalateTo: state.policy.fallbackReviewerId,
          notify: state.notify,
          requestedBy: request.requestedBy,
        },
      ],
    });
  } catch (err) {
    // Started by an earlier attempt of this page: nothing to do.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/**
 * Sleeps to the stage's deadline, then until every reviewer workflow has closed its share (default decisions
 * applied); then starts the second stage if the tenant reviews in two, or takes the second stage's decisions.
 */
async function awaitDeadline(campaign: Campaign): Promise<void> {
  const { request, state, recorder } = campaign;
  const { reviewId, deadline } = currentStage(campaign);
  recorder.setStatus('waiting');
  const untilDeadline = Date.parse(deadline) - Date.now();
  if (untilDeadline > 0) await sleep(untilDeadline);
  while ((await reviews().reviewTally({ tenantId: request.tenantId, reviewId })).openShares > 0) {
    await sleep(CLOSE_CHECK_INTERVAL);
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof accessReviewCampaign>(request, state);
  }
  recorder.setStatus('running');
  const second = state.policy.reviewSecondStage;
  if (second && !state.stage) await startSecondStage(campaign, second);
  else if (state.stage) await takeSecondStageDecisions(campaign, state.stage);
  state.phase = 'brake';
}

/** Multi-stage review: the second reviewer gets the first stage's decisions of the chosen kinds, for durationDays from now (none: nothing to start). */
async function startSecondStage({ request, state, recorder }: Campaign, second: ReviewSecondStage): Promise<void> {
  const stage = {
    reviewId: `${request.reviewId}:stage-2`,
    deadline: new Date(Date.now() + second.durationDays * DAY_MS).toISOString(),
  };
  const scope = { tenantId: request.tenantId, reviewId: request.reviewId };
  const { items } = await reviews().startReviewStage({
    ...scope,
    stageId: stage.reviewId,
    reviewerId: second.reviewerId,
    decisions: second.decisions,
  });
  await recorder.evidence('review-stage-started', {
    outcome: items > 0 ? 'started' : 'nothing-to-review',
    detail: { stage: 2, reviewId: stage.reviewId, items, reviewerId: second.reviewerId, deadline: stage.deadline },
  });
  if (items === 0) return;
  Object.assign(state, { stage, afterReviewerId: undefined, phase: 'assign' });
  await continueAsNew<typeof accessReviewCampaign>(request, state);
}

async function takeSecondStageDecisions({ request, recorder }: Campaign, stage: ReviewStage): Promise<void> {
  const { overturned } = await reviews().mergeReviewStage({
    tenantId: request.tenantId,
    reviewId: request.reviewId,
    stageId: stage.reviewId,
  });
  await recorder.evidence('review-stage-decided', {
    outcome: 'merged',
    detail: { stage: 2, reviewId: stage.reviewId, overturned },
  });
}

/** Too many revocations (share or count) pause the campaign until a human says go ahead. */
async function blastRadiusBrake({ request, state, recorder }: Campaign): Promise<void> {
  const tally = await reviews().reviewTally({ tenantId: request.tenantId, reviewId: request.reviewId });
  const { maxShare, maxCount } = state.policy.blastRadius;
  const tripped = tally.revoked > maxCount || (tally.items > 0 && tally.revoked / tally.items > maxShare);
  if (tripped && !state.goAhead) {
    const task = `blast-radius brake: ${tally.revoked} of ${tally.items} entitlements would be revoked (limit ${Math.round(maxShare * 100)}% or ${maxCount}); review and send go-ahead`;
    recorder.setStatus('paused');
    recorder.needsHuman(task);
    await recorder.evidence('blast-radius-brake', {
      outcome: 'paused',
      detail: { revoked: tally.revoked, items: tally.items, maxShare, maxCount },
    });
    await condition(() => state.goAhead !== undefined);
    recorder.resolved(task);
    recorder.setStatus('running');
    await recorder.evidence('blast-radius-go-ahead', {
      outcome: 'approved',
      actor: state.goAhead!.approvedBy,
      detail: { comment: state.goAhead!.comment },
    });
  }
  state.phase = 'apply';
}

async function applyRevocations({ request, state, recorder }: Campaign): Promise<ReviewTally> {
  const scope = { tenantId: request.tenantId, reviewId: request.reviewId };
  let batchesThisRun = 0;
  for (const platform of state.platforms) {
    for (let more = true; more;) {
      const batch = await platformReviews(platform).applyRevocationBatch({
        ...scope,
        platform,
        limit: REVOCATIONS_PER_BATCH,
      });
      more = batch.remaining;
      batchesThisRun += 1;
      // Runs recorded before the per-run cap went on until the server suggested continuing as new.
      const runFull = batchesThisRun >= APPLY_BATCHES_PER_RUN && patched('apply-batches-per-run');
      if (more && (runFull || workflowInfo().continueAsNewSuggested))
        await continueAsNew<typeof accessReviewCampaign>(request, state);
    }
  }
  const tally = await reviews().reviewTally(scope);
  if (tally.applyFailed > 0)
    recorder.needsHuman(`${tally.applyFailed} revocations could not be applied: finish them by hand`);
  recorder.setStatus(tally.applyFailed > 0 ? 'completed-with-failures' : 'completed');
  await recorder.evidence('review-completed', { outcome: recorder.progress.status, detail: { ...tally } });
  return tally;
}
