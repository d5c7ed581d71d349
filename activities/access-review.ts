import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  recommend,
  type Actor,
  type Entitlement,
  type Platform,
  type ReviewCorrelation,
  type ReviewDecision,
  type ReviewItem,
  type ReviewScope,
  type ReviewVerdict,
  type Subject,
} from '../shared';
import type { AppliedRevocation, ReviewStore, ReviewShare, ReviewTally, StoredReviewItem } from '../store/reviews';
import { platformCall, toActivityFailure } from './errors';
import { pagingGuard } from './platforms/paging';
import type { AdapterResolver, PlatformAdapter } from './platforms/adapter';

export interface AccessReviewDeps {
  reviews: ReviewStore;
  resolveAdapter: AdapterResolver;
}

interface CampaignRef {
  tenantId: string;
  reviewId: string;
}

const ACCOUNTS_PER_PAGE = 500;
/** Entitlement listings in flight at once: a page of accounts is read a few at a time, within the platform's rate limits. */
const CALLS_AT_ONCE = 4;
/** Collected items per stored chunk: well below MongoDB's 16 MB document limit however many entitlements a page of accounts has. */
const ITEMS_PER_CHUNK = 2_000;

/** The tenant's review rules the collection applies (absent in campaigns started before they existed: the defaults). */
export interface CollectRules {
  scope?: ReviewScope;
  correlateBy?: ReviewCorrelation;
  idleDays?: number;
  privilegedEntitlements?: string[];
}

interface CollectProgress {
  cursor?: string;
  chunks: number;
  items: number;
}

/**
 * The access-review campaign's work on the review store and the platforms.
 * Items live in MongoDB; workflows get ids and counts, so a 100,000-item
 * campaign never puts its items in a workflow history.
 */
export function createAccessReviewActivities({ reviews, resolveAdapter }: AccessReviewDeps) {
  return {
    /**
     * Pages through one platform's accounts and their entitlements and stores one item per entitlement,
     * assigned to the subject's manager (else the fallback reviewer). Resumes from its last heartbeat.
     */
    async collectReviewItems(
      input: CampaignRef & { platform: Platform; fallbackReviewerId: string; rules?: CollectRules },
    ): Promise<{ items: number }> {
      const adapter = await adapterFor(resolveAdapter, input.tenantId, input.platform);
      const now = new Date();
      // Chunks are numbered in page order, so a retry resuming from the last heartbeat rewrites the same chunks.
      const resumed = Context.current().info.heartbeatDetails as CollectProgress | undefined;
      let { cursor, chunks, items } = resumed ?? { chunks: 0, items: 0 };
      const guard = pagingGuard(`${input.platform} accounts`);
      do {
        const page = await platformCall(() => adapter.listAccounts!({ cursor, limit: ACCOUNTS_PER_PAGE }));
        const collected = (
          await inPool(page.accounts, CALLS_AT_ONCE, (subject) => itemsOf(adapter, input, subject, now))
        ).flat();
        for (let i = 0; i < collected.length; i += ITEMS_PER_CHUNK) {
          await reviews.putCollected(
            input.tenantId,
            input.reviewId,
            input.platform,
            chunks,
            collected.slice(i, i + ITEMS_PER_CHUNK),
          );
          chunks += 1;
        }
        items += collected.length;
        guard(page.nextCursor);
        cursor = page.nextCursor;
        Context.current().heartbeat({ cursor, chunks, items } satisfies CollectProgress);
      } while (cursor !== undefined);
      await reviews.finishCollecting(input.tenantId, input.reviewId, input.platform, chunks);
      return { items };
    },

    /** After collection: one person, one reviewer (store/review-pages.ts correlatePeople), one share per reviewer; returns the campaign's size. */
    buildReviewerShares(input: CampaignRef): Promise<{ items: number; reviewers: number }> {
      return reviews.buildShares(input.tenantId, input.reviewId, () => Context.current().heartbeat());
    },

    /** Multi-stage review: the second stage's items and shares, under the stage's own review id. */
    startReviewStage(
      input: CampaignRef & { stageId: string; reviewerId: string; decisions: ReviewVerdict[] },
    ): Promise<{ items: number; reviewers: number }> {
      const stage = { stageId: input.stageId, reviewerId: input.reviewerId, decisions: input.decisions };
      return reviews.startStage(input.tenantId, input.reviewId, stage, () => Context.current().heartbeat());
    },

    /** After the second stage: its reviewer's decisions become the campaign's. */
    mergeReviewStage(input: CampaignRef & { stageId: string }): Promise<{ overturned: number }> {
      return reviews.mergeStage(input.tenantId, input.reviewId, input.stageId);
    },

    /** The next page of reviewer shares (the campaign starts one child workflow per share). */
    reviewerShares(input: CampaignRef & { afterReviewerId?: string; limit: number }): Promise<ReviewShare[]> {
      return reviews.sharesAfter(input.tenantId, input.reviewId, input.afterReviewerId, input.limit);
    },

    /** The window of a reviewer's items their workflow shows (undecided first) and how many are left. */
    reviewerWindow(
      input: CampaignRef & { reviewerId: string; limit: number },
    ): Promise<{ items: ReviewItem[]; remaining: number }> {
      return reviews.window(input.tenantId, input.reviewId, input.reviewerId, input.limit);
    },

    /** All or nothing: a batch naming an item that is not the reviewer's is rejected and nothing is written. */
    async recordReviewDecisions(
      input: CampaignRef & { reviewer: Actor; decisions: ReviewDecision[]; at: string },
    ): Promise<{ remaining: number }> {
      const { notAssigned, remaining } = await reviews.recordDecisions(
        input.tenantId,
        input.reviewId,
        input.reviewer,
        input.decisions,
        input.at,
      );
      if (notAssigned.length > 0) {
        throw ApplicationFailure.create({
          type: 'ReviewItemNotAssigned',
          message: `items not assigned to reviewer ${input.reviewer.id}: ${notAssigned.slice(0, 10).join(', ')}`,
          nonRetryable: true,
        });
      }
      return { remaining };
    },

    /** Deadline: the tenant's default decision for what the reviewer left open; closes the share. */
    async closeReviewerShare(
      input: CampaignRef & { reviewerId: string; defaultDecision: ReviewVerdict; at: string },
    ): Promise<{ defaulted: number }> {
      return {
        defaulted: await reviews.closeShare(
          input.tenantId,
          input.reviewId,
          input.reviewerId,
          input.defaultDecision,
          input.at,
        ),
      };
    },

    reviewTally(input: CampaignRef): Promise<ReviewTally> {
      return reviews.tally(input.tenantId, input.reviewId);
    },

    /**
     * Applies the next batch of revocations with the platforms' removeEntitlement. A failure retrying cannot fix is
     * recorded on the item; a retryable one fails the batch so Temporal retries it (applied items are skipped).
     */
    async applyRevocationBatch(
      input: CampaignRef & { platform: Platform; limit: number },
    ): Promise<{ applied: number; failed: number; remaining: boolean }> {
      let adapter: PlatformAdapter | undefined;
      let done = 0;
      return reviews.applyRevocations(input.tenantId, input.reviewId, input.platform, input.limit, async (item) => {
        adapter ??= await adapterFor(resolveAdapter, input.tenantId, input.platform);
        const result = await revoke(adapter, item);
        Context.current().heartbeat((done += 1));
        return result;
      });
    },
  };
}

async function itemsOf(
  adapter: PlatformAdapter,
  scope: CampaignRef & { fallbackReviewerId: string; rules?: CollectRules },
  subject: Subject,
  now: Date,
): Promise<StoredReviewItem[]> {
  const rules = scope.rules ?? {};
  const accounts = rules.scope?.accounts ?? 'all';
  if ((accounts === 'people' && subject.service) || (accounts === 'service' && !subject.service)) return [];
  const listed = await platformCall(() => adapter.listEntitlements!({ subject }));
  const privileged = new Set(rules.privilegedEntitlements ?? []);
  // By id only: a renamed group stays in scope, a look-alike name does not come in.
  const inScope = (e: Entitlement) => !rules.scope?.privilegedOnly || e.kind === 'role' || privileged.has(e.id);
  const correlateBy = rules.correlateBy ?? 'email';
  const personId = personOf(subject, correlateBy);
  // Nobody reviews their own access, whatever the platform's manager field says.
  const selfManaged =
    subject.managerId !== undefined &&
    [subject.subjectId, subject.userName, subject.email, personId].some(
      (id) => id !== undefined && id.toLowerCase() === subject.managerId!.toLowerCase(),
    );
  const reviewer =
    subject.managerId && !selfManaged
      ? {
          reviewerId: subject.managerId,
          reviewerReason: `manager on ${adapter.platform}`,
          managerFrom: adapter.platform,
        }
      : {
          reviewerId: scope.fallbackReviewerId,
          reviewerReason: selfManaged
            ? `fallback reviewer: the account on ${adapter.platform} names itself as its manager`
            : `fallback reviewer: no manager on ${adapter.platform}${personId ? '' : ` and no ${correlateBy} to find the person elsewhere`}`,
        };
  return (listed.data ?? []).filter(inScope).map((entitlement) => ({
    itemId: `${adapter.platform}:${subject.subjectId}:${entitlement.kind}:${entitlement.id}`,
    ...reviewer,
    subjectId: subject.subjectId,
    ...(personId ? { personId } : {}),
    subject: { subjectId: subject.subjectId, userName: subject.userName, accounts: subject.accounts },
    platform: adapter.platform,
    entitlementKind: entitlement.kind,
    entitlementId: entitlement.id,
    ...(entitlement.name ? { entitlementName: entitlement.name } : {}),
    ...recommend(entitlement, now, { lastActiveAt: subject.lastActiveAt, idleDays: rules.idleDays }),
  }));
}

/** The key one person's accounts share across platforms; undefined when the account does not carry it. */
function personOf(subject: Subject, by: ReviewCorrelation): string | undefined {
  if (by === 'email') return subject.email?.trim().toLowerCase() || undefined;
  if (by === 'user-name') return subject.userName.trim().toLowerCase() || undefined;
  return subject.subjectId;
}

async function revoke(adapter: PlatformAdapter, item: StoredReviewItem): Promise<AppliedRevocation> {
  try {
    await platformCall(() =>
      adapter.removeEntitlement!({
        subject: item.subject,
        entitlement: { kind: item.entitlementKind, id: item.entitlementId },
      }),
    );
    return { applied: 'done' };
  } catch (err) {
    const failure = toActivityFailure(err);
    if (!failure.nonRetryable) throw failure;
    return { applied: 'failed', applyError: failure.message };
  }
}

async function adapterFor(
  resolveAdapter: AdapterResolver,
  tenantId: string,
  platform: Platform,
): Promise<PlatformAdapter> {
  const adapter = await resolveAdapter(tenantId, platform);
  if (!adapter.listAccounts || !adapter.listEntitlements || !adapter.removeEntitlement) {
    throw ApplicationFailure.create({
      type: 'UnsupportedAction',
      message: `${platform} cannot take part in access reviews`,
      nonRetryable: true,
    });
  }
  return adapter;
}

/** fn over every input, at most `size` at a time, results in input order. */
async function inPool<I, O>(inputs: readonly I[], size: number, fn: (input: I) => Promise<O>): Promise<O[]> {
  const results: O[] = new Array<O>(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const i = next++;
      results[i] = await fn(inputs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, inputs.length) }, worker));
  return results;
}

export type AccessReviewActivities = ReturnType<typeof createAccessReviewActivities>;
