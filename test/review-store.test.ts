/**
 * The access-review store on FerretDB: collected chunks become reviewer shares in
 * pages, decisions are all-or-nothing per reviewer, the deadline defaults what is
 * left, and the apply phase resumes where a failed batch stopped without applying
 * anything twice.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Platform } from '../shared';
import { REVIEW_PAGE_SIZE, ReviewStore, type AppliedRevocation, type StoredReviewItem } from '../store/reviews';
import { layoutShares } from '../store/review-pages';
import { testMongo, uniqueQueue } from './support/servers';

let mongo: Awaited<ReturnType<typeof testMongo>>;
let store: ReviewStore;

beforeAll(async () => {
  mongo = await testMongo('reviews');
  store = new ReviewStore(mongo.db);
});
afterAll(() => mongo.drop());

function item(reviewerId: string, n: number, platform: Platform = 'okta'): StoredReviewItem {
  const subjectId = `u${n}`;
  return {
    itemId: `${platform}:${subjectId}:group:g`,
    reviewerId,
    subjectId,
    platform,
    entitlementId: 'g',
    entitlementKind: 'group',
    subject: { subjectId, userName: `${subjectId}@example.com`, accounts: {} },
  };
}

/** Collects the items in chunks of 3 per platform and builds the shares. */
async function campaign(items: StoredReviewItem[]) {
  const [tenantId, reviewId] = [uniqueQueue('t'), uniqueQueue('r')];
  for (const platform of new Set(items.map((i) => i.platform))) {
    const mine = items.filter((i) => i.platform === platform);
    let chunks = 0;
    for (let i = 0; i < mine.length; i += 3, chunks += 1)
      await store.putCollected(tenantId, reviewId, platform, chunks, mine.slice(i, i + 3));
    await store.finishCollecting(tenantId, reviewId, platform, chunks);
  }
  return { tenantId, reviewId, built: await store.buildShares(tenantId, reviewId) };
}

it('lays shares out in reviewer order, pages never mixing reviewers, repeats dropped', () => {
  const items = [item('b', 1), item('a', 2), item('b', 3), item('a', 2), item('b', 4), item('b', 5)];
  const { shares, pages } = layoutShares(items, 2);
  expect(shares).toEqual([
    { reviewerId: 'a', total: 1, firstPage: 0, pages: 1 },
    { reviewerId: 'b', total: 4, firstPage: 1, pages: 2 },
  ]);
  expect(pages.map((p) => p.map((i) => i.subjectId))).toEqual([['u2'], ['u1', 'u3'], ['u4', 'u5']]);
});

it('builds shares once from collected chunks; a repeated build keeps the decisions made since', async () => {
  const items = [
    ...Array.from({ length: REVIEW_PAGE_SIZE + 5 }, (_, n) => item('mgr-big', n)),
    item('mgr-small', 1, 'github'),
    item('mgr-small', 2, 'github'),
  ];
  const { tenantId, reviewId, built } = await campaign(items);
  expect(built).toEqual({ items: REVIEW_PAGE_SIZE + 7, reviewers: 2 });
  expect(await store.sharesAfter(tenantId, reviewId, undefined, 10)).toEqual([
    { reviewerId: 'mgr-big', total: REVIEW_PAGE_SIZE + 5 },
    { reviewerId: 'mgr-small', total: 2 },
  ]);
  expect(await store.sharesAfter(tenantId, reviewId, 'mgr-big', 10)).toEqual([{ reviewerId: 'mgr-small', total: 2 }]);
  expect(await store.sharesAfter(tenantId, reviewId, 'mgr-small', 10)).toEqual([]);

  await store.recordDecisions(
    tenantId,
    reviewId,
    { id: 'mgr-small', kind: 'user' },
    [{ itemId: 'github:u1:group:g', decision: 'approve' }],
    'T1',
  );
  expect(await store.buildShares(tenantId, reviewId)).toEqual(built);
  expect((await store.tally(tenantId, reviewId)).approved).toBe(1);
});

it('shows undecided items first, across pages, and records decisions all or nothing', async () => {
  const { tenantId, reviewId } = await campaign(Array.from({ length: REVIEW_PAGE_SIZE + 2 }, (_, n) => item('mgr', n)));
  const first = await store.window(tenantId, reviewId, 'mgr', 3);
  expect(first.remaining).toBe(REVIEW_PAGE_SIZE + 2);
  expect(first.items[0]).not.toHaveProperty('subject'); // apply-phase data stays in the store
  const mgr = { id: 'mgr', kind: 'user' as const };

  const foreign = await store.recordDecisions(
    tenantId,
    reviewId,
    mgr,
    [
      { itemId: first.items[0]!.itemId, decision: 'approve' },
      { itemId: 'okta:nobody:group:g', decision: 'approve' },
    ],
    'T1',
  );
  expect(foreign).toEqual({ notAssigned: ['okta:nobody:group:g'], remaining: REVIEW_PAGE_SIZE + 2 });

  const ids = first.items.map((i) => i.itemId);
  const lastPage = (await store.window(tenantId, reviewId, 'mgr', 1000)).items.slice(-1)[0]!.itemId;
  const recorded = await store.recordDecisions(
    tenantId,
    reviewId,
    mgr,
    [...ids, lastPage].map((itemId) => ({ itemId, decision: 'revoke', comment: 'left' })),
    'T2',
  );
  expect(recorded).toEqual({ notAssigned: [], remaining: REVIEW_PAGE_SIZE - 2 });
  const next = await store.window(tenantId, reviewId, 'mgr', 1000);
  expect(next.items.slice(0, REVIEW_PAGE_SIZE - 2).every((i) => !i.decision)).toBe(true);
  expect(next.items.slice(-4)).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ itemId: lastPage, decision: 'revoke', comment: 'left', defaulted: false }),
    ]),
  );
});

it('defaults what is left at the deadline, once, and counts it in the tally', async () => {
  const { tenantId, reviewId } = await campaign([item('a', 1), item('a', 2), item('a', 3), item('b', 4)]);
  await store.recordDecisions(
    tenantId,
    reviewId,
    { id: 'a', kind: 'user' },
    [{ itemId: 'okta:u1:group:g', decision: 'approve' }],
    'T1',
  );
  expect(await store.tally(tenantId, reviewId)).toMatchObject({
    items: 4,
    approved: 1,
    undecided: 3,
    openShares: 2,
    reviewers: 2,
  });

  expect(await store.closeShare(tenantId, reviewId, 'a', 'revoke', 'T2')).toBe(2);
  expect(await store.closeShare(tenantId, reviewId, 'a', 'revoke', 'T3')).toBe(2); // a retried close reports the same
  expect(await store.tally(tenantId, reviewId)).toMatchObject({
    approved: 1,
    revoked: 2,
    undecided: 1,
    defaulted: 2,
    openShares: 1,
  });
  const items = (await store.window(tenantId, reviewId, 'a', 10)).items;
  expect(items.find((i) => i.itemId === 'okta:u2:group:g')).toMatchObject({ decision: 'revoke', defaulted: true });
});

it('applies revocations per platform in batches, resumes after a retryable failure and applies nothing twice', async () => {
  const items = [...Array.from({ length: 5 }, (_, n) => item('a', n)), item('a', 9, 'github'), item('b', 7)];
  const { tenantId, reviewId } = await campaign(items);
  for (const reviewer of ['a', 'b']) await store.closeShare(tenantId, reviewId, reviewer, 'revoke', 'T1');
  const revoked: string[] = [];
  let throttleOn: string | undefined = 'okta:u3:group:g';
  const revoke = (i: StoredReviewItem): Promise<AppliedRevocation> => {
    if (i.itemId === throttleOn) {
      throttleOn = undefined;
      return Promise.reject(ApplicationFailure.retryable('429', 'Throttled'));
    }
    revoked.push(i.itemId);
    return Promise.resolve(i.subjectId === 'u4' ? { applied: 'failed', applyError: 'forbidden' } : { applied: 'done' });
  };

  await expect(store.applyRevocations(tenantId, reviewId, 'okta', 2, revoke)).resolves.toEqual({
    applied: 2,
    failed: 0,
    remaining: true,
  });
  await expect(store.applyRevocations(tenantId, reviewId, 'okta', 2, revoke)).rejects.toThrow('429');
  await expect(store.applyRevocations(tenantId, reviewId, 'okta', 10, revoke)).resolves.toEqual({
    applied: 2,
    failed: 1,
    remaining: false,
  });
  await expect(store.applyRevocations(tenantId, reviewId, 'okta', 10, revoke)).resolves.toEqual({
    applied: 0,
    failed: 0,
    remaining: false,
  });
  await expect(store.applyRevocations(tenantId, reviewId, 'github', 10, revoke)).resolves.toEqual({
    applied: 1,
    failed: 0,
    remaining: false,
  });

  expect(revoked.sort()).toEqual([
    'github:u9:group:g',
    'okta:u0:group:g',
    'okta:u1:group:g',
    'okta:u2:group:g',
    'okta:u3:group:g',
    'okta:u4:group:g',
    'okta:u7:group:g',
  ]);
  expect(await store.tally(tenantId, reviewId)).toMatchObject({
    revoked: 7,
    applied: 6,
    applyFailed: 1,
    openShares: 0,
  });
});

it('hands chosen first-stage decisions to a second stage once, and writes its answers back (unanswered ones stand)', async () => {
  const { tenantId, reviewId } = await campaign([item('a', 1), item('a', 2), item('b', 3), item('b', 4)]);
  const revoke = (itemId: string) => ({ itemId, decision: 'revoke' as const, comment: 'unused' });
  await store.recordDecisions(
    tenantId,
    reviewId,
    { id: 'a', kind: 'user' },
    [revoke('okta:u1:group:g'), { itemId: 'okta:u2:group:g', decision: 'approve' }],
    'T1',
  );
  await store.closeShare(tenantId, reviewId, 'b', 'revoke', 'T2');
  const stage = { stageId: `${reviewId}:stage-2`, reviewerId: 'ciso', decisions: ['revoke' as const] };

  expect(await store.startStage(tenantId, reviewId, stage)).toEqual({ items: 3, reviewers: 1 });
  expect(await store.startStage(tenantId, reviewId, stage)).toEqual({ items: 3, reviewers: 1 });
  const staged = await store.window(tenantId, stage.stageId, 'ciso', 10);
  expect(staged.items.map((i) => [i.itemId, i.previousStage])).toEqual([
    ['okta:u1:group:g', { decision: 'revoke', comment: 'unused', decidedBy: 'a' }],
    ['okta:u3:group:g', { decision: 'revoke', decidedBy: 'default-decision', defaulted: true }],
    ['okta:u4:group:g', { decision: 'revoke', decidedBy: 'default-decision', defaulted: true }],
  ]);

  await store.recordDecisions(
    tenantId,
    stage.stageId,
    { id: 'ciso', kind: 'user' },
    [{ itemId: 'okta:u3:group:g', decision: 'approve' }, revoke('okta:u1:group:g')],
    'T3',
  );
  await store.closeShare(tenantId, stage.stageId, 'ciso', 'approve', 'T4');
  expect(await store.mergeStage(tenantId, reviewId, stage.stageId)).toEqual({ overturned: 1 });
  expect(await store.mergeStage(tenantId, reviewId, stage.stageId)).toEqual({ overturned: 1 });
  const final = await store.window(tenantId, reviewId, 'b', 10);
  expect(final.items.map((i) => [i.itemId, i.decision, i.defaulted])).toEqual([
    ['okta:u3:group:g', 'approve', false],
    ['okta:u4:group:g', 'revoke', true],
  ]);
  expect(await store.tally(tenantId, reviewId)).toMatchObject({ items: 4, approved: 2, revoked: 2, defaulted: 1 });
});
