import type { AnyBulkWriteOperation, Collection, Db, Document, Filter } from 'mongodb';
import {
  PLATFORMS,
  type Actor,
  type Platform,
  type ReviewDecision,
  type ReviewItem,
  type ReviewVerdict,
} from '../shared';
import {
  correlatePeople,
  countShare,
  forSecondStage,
  layoutShares,
  reviewerWindow,
  type ShareCounts,
  type ShareLayout,
  type StoredReviewItem,
} from './review-pages';

export type { StoredReviewItem } from './review-pages';

/** A reviewer's share as the campaign sees it when it starts reviewer workflows. */
export interface ReviewShare {
  reviewerId: string;
  total: number;
}

export interface ReviewTally {
  items: number;
  approved: number;
  revoked: number;
  undecided: number;
  defaulted: number;
  reviewers: number;
  openShares: number;
  applied: number;
  applyFailed: number;
}

export interface AppliedRevocation {
  applied: 'done' | 'failed';
  applyError?: string;
}

interface CampaignDoc {
  _id: string;
  items: number;
  pages: number;
  /** Sorted by reviewer id: the order reviewer workflows are started in. */
  shares: ReviewShare[];
  builtAt: string;
}

interface ShareDoc extends ShareLayout, ShareCounts {
  _id: string;
  closedAt?: string;
}

interface PageDoc {
  _id: string;
  items: StoredReviewItem[];
}

/** Collected items in numbered chunks, and per platform the number of chunks once collection finished. */
interface IntakeDoc {
  _id: string;
  items?: StoredReviewItem[];
  chunks?: number;
}

/** How far the apply phase got on one platform: pages before nextPage are done, with these counts. */
interface ApplyProgressDoc {
  _id: string;
  nextPage: number;
  applied: number;
  failed: number;
}

/** Items per stored page of a reviewer's share (a reviewer's window is read from whole pages). */
export const REVIEW_PAGE_SIZE = 200;
const WRITE_BATCH = 50;
const READ_CONCURRENCY = 32;

/**
 * Access-review campaigns: 100,000 items live here, workflow histories carry ids
 * and counts. Items are stored grouped (collected chunks, then one reviewer's share
 * in pages) and every read and write goes by `_id`: MongoDB serves that from its
 * default index, and FerretDB's SQLite backend pushes no other filter down, so a
 * query on any other field would scan every review ever held. Writes are
 * idempotent (replace by `_id`, counts recomputed from the items), so the
 * activities that make them can be retried. One reviewer's share is written only
 * by that reviewer's workflow, one step at a time, and the apply phase only after
 * every share closed, so no two writers touch the same page.
 */
export class ReviewStore {
  private readonly campaigns: Collection<CampaignDoc>;
  private readonly shares: Collection<ShareDoc>;
  private readonly pages: Collection<PageDoc>;
  private readonly intake: Collection<IntakeDoc>;
  private readonly applyProgress: Collection<ApplyProgressDoc>;

  constructor(db: Db) {
    this.campaigns = db.collection('review_campaigns');
    this.shares = db.collection('review_shares');
    this.pages = db.collection('review_pages');
    this.intake = db.collection('review_intake');
    this.applyProgress = db.collection('review_apply');
  }

  /** Nothing beyond the `_id` index: no query here filters on anything else. */
  async ensureIndexes(): Promise<void> {}

  /** Stores one numbered chunk of a platform's collected items; a retried page writes the same chunk again. */
  async putCollected(
    tenantId: string,
    reviewId: string,
    platform: Platform,
    chunk: number,
    items: StoredReviewItem[],
  ): Promise<void> {
    await this.intake.replaceOne({ _id: key(tenantId, reviewId, platform, chunk) }, { items }, { upsert: true });
  }

  async finishCollecting(tenantId: string, reviewId: string, platform: Platform, chunks: number): Promise<void> {
    await this.intake.replaceOne({ _id: key(tenantId, reviewId, platform) }, { chunks }, { upsert: true });
  }

  /**
   * Turns the collected items into reviewer shares and pages, once: after the campaign record is
   * written (last), a repeat returns its counts and never overwrites decisions. `progress` is called
   * after each batch of writes (the activity heartbeats).
   */
  async buildShares(
    tenantId: string,
    reviewId: string,
    progress: () => void = () => {},
  ): Promise<{ items: number; reviewers: number }> {
    const existing = await this.campaigns.findOne({ _id: key(tenantId, reviewId) });
    if (existing) return { items: existing.items, reviewers: existing.shares.length };
    const markers = await readAll(
      this.intake,
      PLATFORMS.map((p) => key(tenantId, reviewId, p)),
    );
    const chunkIds = markers.flatMap((m) => Array.from({ length: m.chunks ?? 0 }, (_, n) => `${m._id}|${n}`));
    const chunks = await readAll(this.intake, chunkIds);
    const built = await this.writeShares(
      tenantId,
      reviewId,
      correlatePeople(chunks.flatMap((c) => c.items ?? [])),
      progress,
    );
    await inParallel([...chunkIds, ...markers.map((m) => m._id)], (_id) => this.intake.deleteOne({ _id }));
    return built;
  }

  /**
   * A second review stage under its own id: the first stage's items decided one of `decisions` go to the stage's
   * reviewer, showing the first decision. Built once, like buildShares.
   */
  async startStage(
    tenantId: string,
    reviewId: string,
    stage: { stageId: string; reviewerId: string; decisions: ReviewVerdict[] },
    progress: () => void = () => {},
  ): Promise<{ items: number; reviewers: number }> {
    const built = await this.campaigns.findOne({ _id: key(tenantId, stage.stageId) });
    if (built) return { items: built.items, reviewers: built.shares.length };
    const pages = await this.campaignPages(tenantId, reviewId);
    const items = pages.flatMap((page, n) =>
      page.items
        .filter((i) => i.decision && stage.decisions.includes(i.decision))
        .map((i) => forSecondStage(i, stage.reviewerId, n)),
    );
    return this.writeShares(tenantId, stage.stageId, items, progress);
  }

  /** Writes what the second stage's reviewer decided over the first stage's decisions (an unanswered item keeps its first decision). */
  async mergeStage(tenantId: string, reviewId: string, stageId: string): Promise<{ overturned: number }> {
    const decided = (await this.campaignPages(tenantId, stageId))
      .flatMap((p) => p.items)
      .filter((i) => i.decision && !i.defaulted);
    const bySource = new Map<number, Map<string, StoredReviewItem>>();
    for (const item of decided)
      bySource.set(
        item.sourcePage!,
        (bySource.get(item.sourcePage!) ?? new Map<string, StoredReviewItem>()).set(item.itemId, item),
      );
    const sources = await inParallel([...bySource], async ([n, later]) => ({
      later,
      page: (await this.pages.findOne({ _id: key(tenantId, reviewId, n) }))!,
    }));
    const pages = sources.map((s) => s.page);
    for (const { later, page } of sources) {
      for (const item of page.items) {
        const second = later.get(item.itemId);
        if (second)
          decide(item, {
            decision: second.decision,
            comment: second.comment,
            decidedBy: second.decidedBy,
            decidedAt: second.decidedAt,
            defaulted: false,
          });
      }
    }
    await replaceAll(this.pages, pages);
    for (const reviewerId of new Set(pages.map((p) => p.items[0]!.reviewerId))) {
      const share = await this.loadShare(tenantId, reviewId, reviewerId);
      if (share) await this.saveShare(share, []);
    }
    return { overturned: decided.filter((i) => i.decision !== i.previousStage?.decision).length };
  }

  private async campaignPages(tenantId: string, reviewId: string): Promise<PageDoc[]> {
    const campaign = await this.campaigns.findOne({ _id: key(tenantId, reviewId) });
    return readAll(
      this.pages,
      Array.from({ length: campaign?.pages ?? 0 }, (_, n) => key(tenantId, reviewId, n)),
    );
  }

  /** Lays items out in reviewer shares and pages and writes them, the campaign record last. */
  private async writeShares(
    tenantId: string,
    reviewId: string,
    collected: StoredReviewItem[],
    progress: () => void,
  ): Promise<{ items: number; reviewers: number }> {
    const { shares, pages } = layoutShares(collected, REVIEW_PAGE_SIZE);
    progress();
    await replaceAll(
      this.pages,
      pages.map((items, n) => ({ _id: key(tenantId, reviewId, n), items })),
      progress,
    );
    await replaceAll(
      this.shares,
      shares.map((s) => ({
        _id: key(tenantId, reviewId, s.reviewerId),
        ...s,
        ...countShare(pages.slice(s.firstPage, s.firstPage + s.pages).flat()),
      })),
      progress,
    );
    const items = shares.reduce((sum, s) => sum + s.total, 0);
    const campaign = {
      items,
      pages: pages.length,
      shares: shares.map(({ reviewerId, total }) => ({ reviewerId, total })),
      builtAt: new Date().toISOString(),
    };
    await this.campaigns.replaceOne({ _id: key(tenantId, reviewId) }, campaign, { upsert: true });
    return { items, reviewers: shares.length };
  }

  /** The next `limit` shares after `afterReviewerId`, in reviewer-id order. */
  async sharesAfter(
    tenantId: string,
    reviewId: string,
    afterReviewerId: string | undefined,
    limit: number,
  ): Promise<ReviewShare[]> {
    const campaign = await this.campaigns.findOne({ _id: key(tenantId, reviewId) });
    const shares = campaign?.shares ?? [];
    const from = afterReviewerId === undefined ? 0 : shares.findIndex((s) => s.reviewerId > afterReviewerId);
    return from < 0 ? [] : shares.slice(from, from + limit);
  }

  /** The reviewer's window (undecided items first) and how many of their items are undecided. */
  async window(
    tenantId: string,
    reviewId: string,
    reviewerId: string,
    limit: number,
  ): Promise<{ items: ReviewItem[]; remaining: number }> {
    const share = await this.loadShare(tenantId, reviewId, reviewerId);
    const items = share?.pages.flatMap((p) => p.items) ?? [];
    return { items: reviewerWindow(items, limit), remaining: countShare(items).undecided };
  }

  /** Records a reviewer's decisions, all or nothing: ids that are not this reviewer's are returned and nothing is written. */
  async recordDecisions(
    tenantId: string,
    reviewId: string,
    reviewer: Actor,
    decisions: ReviewDecision[],
    at: string,
  ): Promise<{ notAssigned: string[]; remaining: number }> {
    const share = await this.loadShare(tenantId, reviewId, reviewer.id);
    const located = new Map(
      share?.pages.flatMap((page) => page.items.map((item) => [item.itemId, { page, item }] as const)),
    );
    const notAssigned = decisions.map((d) => d.itemId).filter((id) => !located.has(id));
    if (!share || notAssigned.length > 0) return { notAssigned, remaining: share ? share.doc.undecided : 0 };
    const touched = new Set<PageDoc>();
    for (const d of decisions) {
      const { page, item } = located.get(d.itemId)!;
      decide(item, {
        decision: d.decision,
        comment: d.comment,
        decidedBy: reviewer.id,
        decidedAt: at,
        defaulted: false,
      });
      touched.add(page);
    }
    const counts = await this.saveShare(share, [...touched]);
    return { notAssigned: [], remaining: counts.undecided };
  }

  /** At the deadline: the tenant's default decision for every item left undecided, and the share closes. Returns how many items were defaulted. */
  async closeShare(
    tenantId: string,
    reviewId: string,
    reviewerId: string,
    defaultDecision: ReviewVerdict,
    at: string,
  ): Promise<number> {
    const share = await this.loadShare(tenantId, reviewId, reviewerId);
    if (!share) return 0;
    const touched = share.pages.filter((page) => {
      const open = page.items.filter((item) => !item.decision);
      for (const item of open)
        decide(item, { decision: defaultDecision, decidedBy: 'default-decision', decidedAt: at, defaulted: true });
      return open.length > 0;
    });
    return (await this.saveShare(share, touched, share.doc.closedAt ?? at)).defaulted;
  }

  /**
   * Applies up to `limit` of the platform's decided revocations with `revoke`, page by page from where
   * the last batch stopped. Items already applied are skipped, so a retried batch does no work twice.
   */
  async applyRevocations(
    tenantId: string,
    reviewId: string,
    platform: Platform,
    limit: number,
    revoke: (item: StoredReviewItem) => Promise<AppliedRevocation>,
  ): Promise<{ applied: number; failed: number; remaining: boolean }> {
    const campaign = await this.campaigns.findOne({ _id: key(tenantId, reviewId) });
    const progressId = key(tenantId, reviewId, platform);
    const progress = (await this.applyProgress.findOne({ _id: progressId })) ?? {
      _id: progressId,
      nextPage: 0,
      applied: 0,
      failed: 0,
    };
    const pages = campaign?.pages ?? 0;
    const batch = { applied: 0, failed: 0 };
    try {
      while (progress.nextPage < pages && batch.applied + batch.failed < limit) {
        const page = (await this.pages.findOne({ _id: key(tenantId, reviewId, progress.nextPage) }))!;
        const pending = page.items.filter((i) => i.platform === platform && i.decision === 'revoke' && !i.applied);
        const now = pending.slice(0, limit - batch.applied - batch.failed);
        try {
          for (const item of now) {
            Object.assign(item, await revoke(item));
            if (item.applied === 'done') batch.applied += 1;
            else batch.failed += 1;
          }
        } finally {
          if (now.length > 0) await this.pages.replaceOne({ _id: page._id }, { items: page.items });
        }
        if (now.length < pending.length) break;
        progress.applied += page.items.filter((i) => i.platform === platform && i.applied === 'done').length;
        progress.failed += page.items.filter((i) => i.platform === platform && i.applied === 'failed').length;
        progress.nextPage += 1;
      }
    } finally {
      await this.applyProgress.replaceOne({ _id: progressId }, progress, { upsert: true });
    }
    return { ...batch, remaining: progress.nextPage < pages };
  }

  async tally(tenantId: string, reviewId: string): Promise<ReviewTally> {
    const campaign = await this.campaigns.findOne({ _id: key(tenantId, reviewId) });
    const [shares, applied] = await Promise.all([
      readAll(
        this.shares,
        (campaign?.shares ?? []).map((s) => key(tenantId, reviewId, s.reviewerId)),
      ),
      readAll(
        this.applyProgress,
        PLATFORMS.map((p) => key(tenantId, reviewId, p)),
      ),
    ]);
    const sum = <T>(docs: T[], of: (doc: T) => number) => docs.reduce((total, doc) => total + of(doc), 0);
    return {
      items: campaign?.items ?? 0,
      approved: sum(shares, (s) => s.approved),
      revoked: sum(shares, (s) => s.revoked),
      undecided: sum(shares, (s) => s.undecided),
      defaulted: sum(shares, (s) => s.defaulted),
      reviewers: shares.length,
      openShares: shares.filter((s) => !s.closedAt).length,
      applied: sum(applied, (p) => p.applied),
      applyFailed: sum(applied, (p) => p.failed),
    };
  }

  private async loadShare(
    tenantId: string,
    reviewId: string,
    reviewerId: string,
  ): Promise<{ doc: ShareDoc; pages: PageDoc[] } | undefined> {
    const doc = await this.shares.findOne({ _id: key(tenantId, reviewId, reviewerId) });
    if (!doc) return undefined;
    const pages = await readAll(
      this.pages,
      Array.from({ length: doc.pages }, (_, n) => key(tenantId, reviewId, doc.firstPage + n)),
    );
    return { doc, pages };
  }

  /** Writes the changed pages, then the share's counts recomputed from all its items. */
  private async saveShare(
    share: { doc: ShareDoc; pages: PageDoc[] },
    touched: PageDoc[],
    closedAt?: string,
  ): Promise<ShareCounts> {
    await replaceAll(this.pages, touched);
    const counts = countShare(share.pages.flatMap((p) => p.items));
    await this.shares.updateOne({ _id: share.doc._id }, { $set: { ...counts, ...(closedAt ? { closedAt } : {}) } });
    return counts;
  }
}

function decide(
  item: StoredReviewItem,
  { comment, ...decision }: Pick<StoredReviewItem, 'decision' | 'comment' | 'decidedBy' | 'decidedAt' | 'defaulted'>,
): void {
  Object.assign(item, decision);
  if (comment) item.comment = comment;
  else delete item.comment;
}

function key(...parts: (string | number)[]): string {
  return parts.join('|');
}

/** Point reads by `_id`, a few at a time; documents that do not exist are left out. */
async function readAll<T extends Document & { _id: string }>(collection: Collection<T>, ids: string[]): Promise<T[]> {
  const found = await inParallel(ids, (_id) => collection.findOne({ _id } as Filter<T>));
  return found.filter((doc) => doc !== null) as T[];
}

async function replaceAll<T extends Document & { _id: string }>(
  collection: Collection<T>,
  docs: T[],
  afterBatch: () => void = () => {},
): Promise<void> {
  for (let i = 0; i < docs.length; i += WRITE_BATCH) {
    const ops = docs
      .slice(i, i + WRITE_BATCH)
      .map(({ _id, ...rest }) => ({ replaceOne: { filter: { _id }, replacement: rest, upsert: true } }));
    await collection.bulkWrite(ops as unknown as AnyBulkWriteOperation<T>[], { ordered: false });
    afterBatch();
  }
}

async function inParallel<I, O>(inputs: I[], fn: (input: I) => Promise<O>): Promise<O[]> {
  const out: O[] = [];
  for (let i = 0; i < inputs.length; i += READ_CONCURRENCY)
    out.push(...(await Promise.all(inputs.slice(i, i + READ_CONCURRENCY).map(fn))));
  return out;
}
