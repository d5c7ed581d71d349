import { PLATFORMS, type EntitlementKind, type Platform, type ReviewItem, type Subject } from '../shared';

/** One entitlement under review: the item a reviewer decides, plus what applying a revoke needs. */
export interface StoredReviewItem extends ReviewItem {
  subject: Pick<Subject, 'subjectId' | 'userName' | 'accounts'>;
  entitlementKind: EntitlementKind;
  decidedBy?: string;
  decidedAt?: string;
  /** Set once the revocation was applied on the platform (or failed for good). */
  applied?: 'done' | 'failed';
  applyError?: string;
  /** In a second stage: the first stage's page holding this item (where the final decision is written back). */
  sourcePage?: number;
  /** The platform whose account named the manager reviewing this item (absent: the fallback reviewer). */
  managerFrom?: Platform;
}

/**
 * One person, one reviewer: an account with no manager of its own is reviewed by the manager its person
 * (same personId) has on another platform (the first in catalogue order that names one) rather than by the
 * fallback reviewer. An account's own manager is never replaced: a look-alike account on another platform
 * (a tag with someone's email) cannot pull a person's items to a reviewer of its choosing.
 */
export function correlatePeople(items: StoredReviewItem[]): StoredReviewItem[] {
  const managers = new Map<string, { reviewerId: string; platform: Platform }>();
  for (const item of items) {
    if (!item.personId || !item.managerFrom) continue;
    const known = managers.get(item.personId);
    if (!known || PLATFORMS.indexOf(item.managerFrom) < PLATFORMS.indexOf(known.platform))
      managers.set(item.personId, { reviewerId: item.reviewerId, platform: item.managerFrom });
  }
  return items.map((item) => {
    const manager = item.personId ? managers.get(item.personId) : undefined;
    if (!manager || item.managerFrom) return item;
    return {
      ...item,
      reviewerId: manager.reviewerId,
      managerFrom: manager.platform,
      reviewerReason: `manager on ${manager.platform} of the same person (${item.personId})`,
    };
  });
}

/** A reviewer's share, split into pages numbered across the whole campaign (a reviewer's pages are consecutive). */
export interface ShareLayout {
  reviewerId: string;
  total: number;
  firstPage: number;
  pages: number;
}

export interface ShareCounts {
  undecided: number;
  approved: number;
  revoked: number;
  defaulted: number;
}

/** Sorts items by reviewer and item id, dropping repeats, and cuts each reviewer's share into pages of `pageSize`. */
export function layoutShares(
  items: Iterable<StoredReviewItem>,
  pageSize: number,
): { shares: ShareLayout[]; pages: StoredReviewItem[][] } {
  const unique = new Map<string, StoredReviewItem>();
  for (const item of items) unique.set(item.itemId, item);
  const sorted = [...unique.values()].sort(
    (a, b) => compare(a.reviewerId, b.reviewerId) || compare(a.itemId, b.itemId),
  );
  const shares: ShareLayout[] = [];
  const pages: StoredReviewItem[][] = [];
  for (let start = 0; start < sorted.length;) {
    const reviewerId = sorted[start]!.reviewerId;
    let end = start;
    while (end < sorted.length && sorted[end]!.reviewerId === reviewerId) end += 1;
    shares.push({
      reviewerId,
      total: end - start,
      firstPage: pages.length,
      pages: Math.ceil((end - start) / pageSize),
    });
    for (let p = start; p < end; p += pageSize) pages.push(sorted.slice(p, Math.min(p + pageSize, end)));
    start = end;
  }
  return { shares, pages };
}

export function countShare(items: Iterable<StoredReviewItem>): ShareCounts {
  const counts: ShareCounts = { undecided: 0, approved: 0, revoked: 0, defaulted: 0 };
  for (const item of items) {
    if (item.decision === 'approve') counts.approved += 1;
    else if (item.decision === 'revoke') counts.revoked += 1;
    else counts.undecided += 1;
    if (item.defaulted) counts.defaulted += 1;
  }
  return counts;
}

/** What a reviewer sees of their share: undecided items first, each group in item order, without the apply-phase bookkeeping. */
export function reviewerWindow(items: StoredReviewItem[], limit: number): ReviewItem[] {
  const undecided = items.filter((i) => !i.decision);
  const decided = items.filter((i) => i.decision);
  return [...undecided, ...decided].slice(0, limit).map(toReviewItem);
}

function toReviewItem(item: StoredReviewItem): ReviewItem {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- dropping the fields a reviewer does not see
  const { subject, entitlementKind, decidedBy, decidedAt, applied, applyError, sourcePage, ...visible } = item;
  return visible;
}

/** An item decided in the first stage as the second stage's reviewer gets it: undecided, showing the first decision. */
export function forSecondStage(item: StoredReviewItem, reviewerId: string, sourcePage: number): StoredReviewItem {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the first stage's decision moves into previousStage
  const { decision, comment, decidedBy, decidedAt, defaulted, applied, applyError, ...undecided } = item;
  const previousStage = {
    decision: decision!,
    ...(comment ? { comment } : {}),
    ...(decidedBy ? { decidedBy } : {}),
    ...(defaulted ? { defaulted } : {}),
  };
  return { ...undecided, reviewerId, previousStage, sourcePage };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
