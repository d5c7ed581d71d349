import { MongoBulkWriteError, type Collection, type Db } from 'mongodb';
import type { Actor, EntitlementKind, Platform, ReviewDecision, ReviewItem, ReviewVerdict, Subject } from '../shared';

/** One entitlement under review: the item a reviewer decides, plus what applying a revoke needs. */
export interface StoredReviewItem extends ReviewItem {
  tenantId: string;
  reviewId: string;
  subject: Pick<Subject, 'subjectId' | 'userName' | 'accounts'>;
  entitlementKind: EntitlementKind;
  decidedBy?: string;
  decidedAt?: string;
  /** Set once the revocation was applied on the platform (or failed for good). */
  applied?: 'done' | 'failed';
  applyError?: string;
}

/** A reviewer's share of a campaign: its size and when it closed (all decided, or defaulted at the deadline). */
export interface ReviewShare {
  tenantId: string;
  reviewId: string;
  reviewerId: string;
  total: number;
  closedAt?: string;
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

/** What a reviewer sees of an item (ReviewItem): not the apply-phase bookkeeping. */
const PUBLIC_ITEM = { _id: 0, tenantId: 0, reviewId: 0, subject: 0, entitlementKind: 0, decidedBy: 0, decidedAt: 0, applied: 0, applyError: 0 } as const;

/**
 * Access-review items and reviewer shares. Campaigns keep 100,000 items here and
 * only ids and counts in workflow histories. Every write is idempotent so the
 * activities that make them can be retried.
 */
export class ReviewStore {
  private readonly items: Collection<StoredReviewItem & { _id?: string }>;
  private readonly shares: Collection<ReviewShare>;

  constructor(db: Db) {
    // Items are keyed by _id (itemKey): point reads and writes stay fast on stores that only push _id filters down (FerretDB's SQLite backend).
    this.items = db.collection('review_items');
    this.shares = db.collection('review_shares');
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.items.createIndex({ tenantId: 1, reviewId: 1, itemId: 1 }, { unique: true, name: 'review_item_unique' }),
      this.items.createIndex({ tenantId: 1, reviewId: 1, reviewerId: 1, itemId: 1 }, { name: 'review_reviewer_item' }),
      this.items.createIndex({ tenantId: 1, reviewId: 1, platform: 1, decision: 1, applied: 1, itemId: 1 }, { name: 'review_pending_revocations' }),
      this.shares.createIndex({ tenantId: 1, reviewId: 1, reviewerId: 1 }, { unique: true, name: 'review_share_unique' }),
    ]);
  }

  /** Adds items not collected yet; a repeat (retried page) leaves existing items and their decisions alone. */
  async addItems(items: StoredReviewItem[]): Promise<void> {
    if (items.length === 0) return;
    try {
      await this.items.insertMany(items.map((i) => ({ ...i, _id: itemKey(i.tenantId, i.reviewId, i.itemId) })), { ordered: false });
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError) || !allDuplicates(err)) throw err;
    }
  }

  /** One share per reviewer with the size of their share, from the collected items. */
  async buildShares(tenantId: string, reviewId: string): Promise<number> {
    const counts = await this.items
      .aggregate<{ _id: string; total: number }>([{ $match: { tenantId, reviewId } }, { $group: { _id: '$reviewerId', total: { $sum: 1 } } }])
      .toArray();
    if (counts.length === 0) return 0;
    await this.shares.bulkWrite(
      counts.map(({ _id, total }) => ({
        updateOne: { filter: { tenantId, reviewId, reviewerId: _id }, update: { $set: { total } }, upsert: true },
      })),
      { ordered: false },
    );
    return counts.length;
  }

  sharesAfter(tenantId: string, reviewId: string, afterReviewerId: string | undefined, limit: number): Promise<ReviewShare[]> {
    const filter = afterReviewerId === undefined ? { tenantId, reviewId } : { tenantId, reviewId, reviewerId: { $gt: afterReviewerId } };
    return this.shares.find(filter, { projection: { _id: 0 } }).sort({ reviewerId: 1 }).limit(limit).toArray();
  }

  /** A reviewer's items, undecided ones first, in a stable order. */
  async itemsOf(tenantId: string, reviewId: string, reviewerId: string, limit: number): Promise<ReviewItem[]> {
    const base = { tenantId, reviewId, reviewerId };
    const undecided = await this.items.find({ ...base, decision: { $exists: false } }, { projection: PUBLIC_ITEM }).sort({ itemId: 1 }).limit(limit).toArray();
    if (undecided.length >= limit) return undecided;
    const decided = await this.items
      .find({ ...base, decision: { $exists: true } }, { projection: PUBLIC_ITEM })
      .sort({ itemId: 1 })
      .limit(limit - undecided.length)
      .toArray();
    return [...undecided, ...decided];
  }

  undecidedCount(tenantId: string, reviewId: string, reviewerId: string): Promise<number> {
    return this.items.countDocuments({ tenantId, reviewId, reviewerId, decision: { $exists: false } });
  }

  /** Records a reviewer's decisions, all or nothing: ids that are not this reviewer's are returned and nothing is written. */
  async recordDecisions(
    tenantId: string,
    reviewId: string,
    reviewer: Actor,
    decisions: ReviewDecision[],
    at: string,
  ): Promise<{ notAssigned: string[]; remaining: number }> {
    const ids = decisions.map((d) => d.itemId);
    const mine = await this.items.find({ tenantId, reviewId, reviewerId: reviewer.id, itemId: { $in: ids } }, { projection: { itemId: 1 } }).toArray();
    const known = new Set(mine.map((i) => i.itemId));
    const notAssigned = ids.filter((id) => !known.has(id));
    if (notAssigned.length === 0 && decisions.length > 0) {
      await this.items.bulkWrite(
        decisions.map((d) => ({
          updateOne: {
            filter: { _id: itemKey(tenantId, reviewId, d.itemId) },
            update: { $set: { decision: d.decision, comment: d.comment, decidedBy: reviewer.id, decidedAt: at, defaulted: false } },
          },
        })),
        { ordered: false },
      );
    }
    return { notAssigned, remaining: await this.undecidedCount(tenantId, reviewId, reviewer.id) };
  }

  /** The tenant's default decision for every item the reviewer left undecided at the deadline. */
  async applyDefault(tenantId: string, reviewId: string, reviewerId: string, decision: ReviewVerdict, at: string): Promise<number> {
    const result = await this.items.updateMany(
      { tenantId, reviewId, reviewerId, decision: { $exists: false } },
      { $set: { decision, defaulted: true, decidedBy: 'default-decision', decidedAt: at } },
    );
    return result.modifiedCount;
  }

  async closeShare(tenantId: string, reviewId: string, reviewerId: string, at: string): Promise<void> {
    await this.shares.updateOne({ tenantId, reviewId, reviewerId, closedAt: { $exists: false } }, { $set: { closedAt: at } });
  }

  /** Revocations decided and not applied yet, in a stable order (the apply phase's next batch). */
  pendingRevocations(tenantId: string, reviewId: string, platform: Platform, limit: number): Promise<StoredReviewItem[]> {
    return this.items
      .find({ tenantId, reviewId, platform, decision: 'revoke', applied: { $exists: false } }, { projection: { _id: 0 } })
      .sort({ itemId: 1 })
      .limit(limit)
      .toArray();
  }

  async markApplied(tenantId: string, reviewId: string, results: { itemId: string; applied: 'done' | 'failed'; error?: string }[]): Promise<void> {
    if (results.length === 0) return;
    await this.items.bulkWrite(
      results.map((r) => ({
        updateOne: { filter: { _id: itemKey(tenantId, reviewId, r.itemId) }, update: { $set: { applied: r.applied, ...(r.error ? { applyError: r.error } : {}) } } },
      })),
      { ordered: false },
    );
  }

  async tally(tenantId: string, reviewId: string): Promise<ReviewTally> {
    const base = { tenantId, reviewId };
    const count = (filter: object) => this.items.countDocuments({ ...base, ...filter });
    const [items, approved, revoked, defaulted, applied, applyFailed, reviewers, openShares] = await Promise.all([
      count({}),
      count({ decision: 'approve' }),
      count({ decision: 'revoke' }),
      count({ defaulted: true }),
      count({ applied: 'done' }),
      count({ applied: 'failed' }),
      this.shares.countDocuments(base),
      this.shares.countDocuments({ ...base, closedAt: { $exists: false } }),
    ]);
    return { items, approved, revoked, undecided: items - approved - revoked, defaulted, reviewers, openShares, applied, applyFailed };
  }
}

function itemKey(tenantId: string, reviewId: string, itemId: string): string {
  return `${tenantId}|${reviewId}|${itemId}`;
}

function allDuplicates(err: MongoBulkWriteError): boolean {
  const errors = (Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors]) as { code?: number }[];
  return errors.every((e) => e.code === 11000);
}
