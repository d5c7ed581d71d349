/**
 * The rules an access review's collection applies, through the collection activity
 * (MockActivityEnvironment) on FerretDB: one person, one reviewer across platforms
 * (correlation), scope (people or service accounts, privileged access only) and the
 * decision helper from the platform's own usage data.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAccessReviewActivities, type CollectRules } from '../activities/access-review';
import type { PlatformAdapter } from '../activities/platforms/adapter';
import { createReferenceAdapter, ReferencePlatform } from '../activities/platforms/reference';
import { DAY_MS, recommend, type Platform, type ReviewItem, type Subject } from '../shared';
import { ReviewStore } from '../store/reviews';
import { testMongo, uniqueQueue } from './support/servers';

let mongo: Awaited<ReturnType<typeof testMongo>>;
let reviews: ReviewStore;
beforeAll(async () => {
  mongo = await testMongo('review_rules');
  reviews = new ReviewStore(mongo.db);
});
afterAll(() => mongo.drop());

/** The reference platform standing for another platform, its accounts listed with extra fields (email, service, last activity). */
function platformAs(
  platform: Platform,
  accounts: (Partial<Subject> & { userName: string; groups?: string[]; roles?: string[] })[],
): PlatformAdapter {
  const reference = new ReferencePlatform();
  for (const a of accounts)
    reference.seedAccount({
      userName: a.userName,
      managerId: a.managerId,
      entitlements: [
        ...(a.groups ?? []).map((id) => ({ kind: 'group' as const, id })),
        ...(a.roles ?? []).map((id) => ({ kind: 'role' as const, id })),
      ],
    });
  const adapter = createReferenceAdapter(reference);
  return {
    ...adapter,
    platform,
    listAccounts: async (page) => {
      const listed = await adapter.listAccounts!(page);
      return {
        ...listed,
        accounts: listed.accounts.map((s) => ({
          ...s,
          ...accounts.find((a) => a.userName === s.userName),
          accounts: { reference: s.userName },
        })),
      };
    },
  };
}

async function review(adapters: PlatformAdapter[], rules?: CollectRules): Promise<Map<string, ReviewItem[]>> {
  const tenantId = uniqueQueue('t');
  const reviewId = uniqueQueue('r');
  const activities = createAccessReviewActivities({
    reviews,
    resolveAdapter: (_t, platform) => Promise.resolve(adapters.find((a) => a.platform === platform)!),
  });
  const env = new MockActivityEnvironment();
  for (const a of adapters)
    await env.run(activities.collectReviewItems, {
      tenantId,
      reviewId,
      platform: a.platform,
      fallbackReviewerId: 'security-team',
      rules,
    });
  await env.run(activities.buildReviewerShares, { tenantId, reviewId });
  const byReviewer = new Map<string, ReviewItem[]>();
  for (const share of await reviews.sharesAfter(tenantId, reviewId, undefined, 100))
    byReviewer.set(share.reviewerId, (await reviews.window(tenantId, reviewId, share.reviewerId, 100)).items);
  return byReviewer;
}

const labels = (items: ReviewItem[] | undefined) =>
  (items ?? []).map((i) => `${i.platform}:${i.subjectId}:${i.entitlementId}`).sort();

it('gives one person one reviewer: an account with no manager goes to the manager the same person has elsewhere, by email', async () => {
  const entra = platformAs('entra', [
    { userName: 'kim@acme.com', email: 'Kim@Acme.com', managerId: 'mgr-lee', groups: ['staff'] },
  ]);
  const aws = platformAs('aws-iam', [
    { userName: 'kim', email: 'kim@acme.com', groups: ['admins'] },
    { userName: 'bot', groups: ['deployers'] },
  ]);
  const shares = await review([entra, aws]);
  expect(labels(shares.get('mgr-lee'))).toEqual(['aws-iam:kim:admins', 'entra:kim@acme.com:staff']);
  expect(shares.get('mgr-lee')!.find((i) => i.platform === 'aws-iam')).toMatchObject({
    personId: 'kim@acme.com',
    reviewerReason: 'manager on entra of the same person (kim@acme.com)',
  });
  // An account that cannot be correlated goes to the fallback reviewer, saying why.
  expect(shares.get('security-team')).toEqual([
    expect.objectContaining({
      subjectId: 'bot',
      reviewerReason: 'fallback reviewer: no manager on aws-iam and no email to find the person elsewhere',
    }),
  ]);

  // An account's own manager is never replaced (a look-alike account elsewhere cannot pull items), and nobody reviews themself.
  const okta = platformAs('okta', [
    { userName: 'kim.okta', email: 'kim@acme.com', managerId: 'mgr-okta', groups: ['wiki'] },
    { userName: 'ego', email: 'ego@acme.com', managerId: 'EGO@acme.com', groups: ['finance'] },
  ]);
  const mixed = await review([entra, aws, okta]);
  expect(labels(mixed.get('mgr-okta'))).toEqual(['okta:kim.okta:wiki']);
  expect(mixed.get('security-team')!.find((i) => i.subjectId === 'ego')).toMatchObject({
    reviewerReason: 'fallback reviewer: the account on okta names itself as its manager',
  });

  // Correlated by user name instead, Kim's AWS account is another person's: it stays with the fallback reviewer.
  const byUserName = await review([entra, aws], { correlateBy: 'user-name' });
  expect(labels(byUserName.get('mgr-lee'))).toEqual(['entra:kim@acme.com:staff']);
  expect(labels(byUserName.get('security-team'))).toEqual(['aws-iam:bot:deployers', 'aws-iam:kim:admins']);
});

it('scopes a campaign to people or service accounts, and to privileged access (roles and the tenant’s named groups)', async () => {
  const aws = platformAs('aws-iam', [
    { userName: 'ann', managerId: 'mgr', groups: ['staff', 'breakglass'], roles: ['admin'] },
    { userName: 'ci-bot', service: true, managerId: 'mgr', groups: ['deployers'], roles: ['poweruser'] },
  ]);
  expect(labels((await review([aws], { scope: { accounts: 'service' } })).get('mgr'))).toEqual([
    'aws-iam:ci-bot:deployers',
    'aws-iam:ci-bot:poweruser',
  ]);
  expect(
    labels(
      (
        await review([aws], {
          scope: { accounts: 'people', privilegedOnly: true },
          privilegedEntitlements: ['breakglass'],
        })
      ).get('mgr'),
    ),
  ).toEqual(['aws-iam:ann:admin', 'aws-iam:ann:breakglass']);
});

it('recommends from the platform’s own usage: the permission’s last use first, else the account’s last activity, against the tenant’s idle limit', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const ago = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();
  expect(recommend({ lastUsedAt: ago(45) }, now, { lastActiveAt: ago(1) })).toEqual({
    recommendation: 'revoke',
    recommendationReason: 'no sign-in for 45 days',
  });
  expect(recommend({}, now, { lastActiveAt: ago(45) })).toEqual({
    recommendation: 'revoke',
    recommendationReason: 'account: no sign-in or use for 45 days',
  });
  expect(recommend({}, now, { lastActiveAt: ago(45), idleDays: 60 })).toEqual({
    recommendation: 'approve',
    recommendationReason: 'account last active 45 days ago',
  });
  expect(recommend({}, now)).toEqual({});
});

it('stops a listing that never ends (a cursor repeating), rather than filling the worker and the store', async () => {
  const endless: PlatformAdapter = {
    ...platformAs('scim', []),
    listAccounts: () => Promise.resolve({ accounts: [], nextCursor: 'same-again' }),
  };
  const activities = createAccessReviewActivities({ reviews, resolveAdapter: () => Promise.resolve(endless) });
  const collected = new MockActivityEnvironment().run(activities.collectReviewItems, {
    tenantId: uniqueQueue('t'),
    reviewId: 'r',
    platform: 'scim' as const,
    fallbackReviewerId: 'sec',
  });
  await expect(collected).rejects.toMatchObject({ type: 'EndlessPaging', nonRetryable: true });
});
