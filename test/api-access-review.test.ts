/**
 * Acceptance: an access review campaign driven through the API on the real
 * campaign and reviewer workflows (lifecycles), the Temporal dev server and
 * FerretDB, against the stateful reference platform. Two reviewers read and
 * decide their own items through the API, the blast-radius brake stops the
 * campaign until an approver's go-ahead (also through the API), and the
 * revocations are applied on the platform.
 */
import request from 'supertest';
import type { ReviewItem } from '../shared/runs';
import { admin, testApi, type TestApi } from './support/api';
import { startLifecycleWorkers, type LifecycleWorkers } from './support/lifecycle-workers';
import { seedReviewPopulation } from './support/review-population';
import { bundleWorkflows } from './support/servers';
import { eventually } from './support/poll';

let api: TestApi;
let lc: LifecycleWorkers;
let app: TestApi['app'];
type Auth = { Authorization: string };

beforeAll(async () => {
  api = await testApi('api_review');
  lc = await startLifecycleWorkers({
    connection: api.temporal.nativeConnection,
    db: api.mongo.db,
    workflowBundle: await bundleWorkflows(),
  });
  app = api.appWith({ queues: lc.queues });
});

afterAll(async () => {
  await lc?.stop();
  await api.close();
});

it('two reviewers decide through the API; after the go-ahead the revocations are applied', async () => {
  await lc.createTenant('review-acme', {
    reviewDefaultDecision: 'approve',
    blastRadius: { maxShare: 0.3, maxCount: 1000 },
  });
  const [mgrA, mgrB] = seedReviewPopulation(lc.platformOf('review-acme'), {
    prefix: 'review-acme',
    managers: 2,
    subjects: 4,
    perSubject: 2,
  });
  const desk = await api.keyFor([{ role: 'service-desk', tenantId: 'review-acme' }], 'desk-dana');
  const approver = await api.keyFor([{ role: 'approver', tenantId: 'review-acme' }], 'ciso');
  const reviewerA = await api.keyFor([{ role: 'reviewer', tenantId: 'review-acme' }], mgrA);
  const reviewerB = await api.keyFor([{ role: 'reviewer', tenantId: 'review-acme' }], mgrB);

  // The deadline is near (with room for a loaded machine), so the campaign reaches its apply phase on a real-time server.
  const deadline = new Date(Date.now() + 40_000).toISOString();
  const started = await request(app)
    .post('/v1/tenants/review-acme/access-reviews')
    .set(desk)
    .send({ reviewId: 'q3-2026', deadline })
    .expect(202);
  const run = started.headers.location!;

  const itemsOf = (reviewer: Auth) =>
    eventually(
      async () => {
        const res = await request(app).get('/v1/tenants/review-acme/reviews/q3-2026/items?reviewer=me').set(reviewer);
        return res.status === 200 && (res.body.items as ReviewItem[]).length === 4
          ? (res.body.items as ReviewItem[])
          : undefined;
      },
      'the reviewer’s items',
      30_000,
    );
  const [itemsA, itemsB] = await Promise.all([itemsOf(reviewerA), itemsOf(reviewerB)]);
  expect(new Set(itemsA.map((i) => i.reviewerId))).toEqual(new Set([mgrA]));
  expect(itemsA.filter((i) => i.recommendation === 'revoke').map((i) => i.entitlementId)).toEqual(['g0', 'g0']);

  const decisions = '/v1/tenants/review-acme/reviews/q3-2026/decisions';
  // Reviewer A cannot decide B's items: the reviewer workflow refuses them.
  const foreign = await request(app)
    .post(decisions)
    .set(reviewerA)
    .send({ decisions: [{ itemId: itemsB[0]!.itemId, decision: 'approve' }] })
    .expect(422);
  expect(foreign.body.detail).toMatch(/is not assigned to/);
  // A revokes both idle groups; B revokes one of theirs: 3 of 8 revocations trip the 30% brake.
  const verdictsA = itemsA.map((i) =>
    i.entitlementId === 'g0'
      ? { itemId: i.itemId, decision: 'revoke', comment: 'no sign-in for 60 days' }
      : { itemId: i.itemId, decision: 'approve' },
  );
  const revokedB = itemsB.find((i) => i.entitlementId === 'g0')!;
  const verdictsB = itemsB.map((i) =>
    i === revokedB
      ? { itemId: i.itemId, decision: 'revoke', comment: 'left the project' }
      : { itemId: i.itemId, decision: 'approve' },
  );
  await request(app)
    .post(decisions)
    .set(reviewerA)
    .send({ decisions: verdictsA })
    .expect(200, { recorded: 4, remaining: 0 });
  await request(app)
    .post(decisions)
    .set(reviewerB)
    .send({ decisions: verdictsB })
    .expect(200, { recorded: 4, remaining: 0 });

  const paused = await eventually(
    async () => {
      const res = await request(app).get(run).set(desk).expect(200);
      return res.body.status === 'paused' ? (res.body as { needsHuman: string[] }) : undefined;
    },
    'the blast-radius brake',
    90_000,
  );
  expect(paused.needsHuman[0]).toMatch(/^blast-radius brake: 3 of 8 entitlements would be revoked/);
  const entitlementsOf = (user: string) =>
    lc
      .platformOf('review-acme')
      .accounts.get(user)!
      .entitlements.map((e) => e.id)
      .sort();
  expect(entitlementsOf('review-acme-user-000000')).toEqual(['g0', 'g1']);

  await request(app).post(`${run}/go-ahead`).set(approver).send({ comment: 'reviewed the list' }).expect(202);
  await eventually(
    async () => ((await request(app).get(run).set(desk)).body.status === 'completed' ? true : undefined),
    'the applied revocations',
    60_000,
  );

  // Revoked where a reviewer said so, kept everywhere else.
  const revokedUsers = [...itemsA.filter((i) => i.entitlementId === 'g0'), revokedB].map((i) => i.subjectId);
  for (const item of [...itemsA, ...itemsB]) {
    const revoked = item.entitlementId === 'g0' && revokedUsers.includes(item.subjectId);
    expect([
      item.subjectId,
      item.entitlementId,
      lc
        .platformOf('review-acme')
        .accounts.get(item.subjectId)!
        .entitlements.some((e) => e.id === item.entitlementId),
    ]).toEqual([item.subjectId, item.entitlementId, !revoked]);
  }
  const evidence = await request(app).get(`${run}/evidence`).set(admin).expect(200);
  const events = (evidence.body.records as { event: string; actor: { id: string } }[]).map(
    (r) => `${r.event} by ${r.actor.id}`,
  );
  expect(events).toEqual(
    expect.arrayContaining([
      'blast-radius-go-ahead by ciso',
      'POST /v1/tenants/:tenantId/runs/:runId/go-ahead by ciso',
    ]),
  );
});

it('runs the tenant’s review schedule on demand: the campaign it starts is one of the tenant’s runs', async () => {
  await request(app)
    .post('/v1/tenants')
    .set(admin)
    .send({ tenantId: 'review-globex', name: 'Globex', connections: [{ platform: 'reference' }] })
    .expect(201);
  await request(app).post('/v1/tenants/review-globex/schedules/access-review/trigger').set(admin).expect(202);
  const now = new Date();
  const reviewId = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
  const listed = await eventually(
    async () => {
      const res = await request(app).get('/v1/tenants/review-globex/runs?kind=access-review').set(admin).expect(200);
      return (res.body.items as { runId: string; subjectId: string }[]).find((r) => r.subjectId === reviewId);
    },
    'the scheduled campaign',
    30_000,
  );
  // Progress comes from a query with a short deadline; on a loaded machine the first answer may come without it.
  const run = await eventually(
    async () => {
      const res = await request(app).get(`/v1/tenants/review-globex/runs/${listed.runId}`).set(admin).expect(200);
      return res.body.progressAvailable ? (res.body as object) : undefined;
    },
    'the campaign progress',
    30_000,
  );
  expect(run).toMatchObject({ kind: 'access-review', subjectId: reviewId, progressAvailable: true });
  await request(app).post(`/v1/tenants/review-globex/runs/${listed.runId}/cancel`).set(admin).expect(202);
});
