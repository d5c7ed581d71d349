import { MockActivityEnvironment } from '@temporalio/testing';
import { createRunbookActivities } from '../activities/runbooks';
import { InvalidRunbookError, PRODUCT_TENANT, RunbookStore, RunbookVersionConflictError } from '../store/runbooks';
import { SEED_RUNBOOKS } from '../runbooks';
import { testMongo } from './support/servers';

let mongo: Awaited<ReturnType<typeof testMongo>>;
let store: RunbookStore;

beforeAll(async () => {
  mongo = await testMongo('runbooks');
  store = new RunbookStore(mongo.db);
  await store.ensureIndexes();
});
afterAll(() => mongo.drop());

const draft = (name: string) => ({
  kind: 'offboarding',
  name,
  steps: [{ id: 'disable', platform: 'reference', action: 'disableAccount', onFailure: 'continue' }],
});

it('stores each change as a new immutable version and lists the latest', async () => {
  await store.create('acme', 'leaver', draft('Leaver v1'), 'alice');
  const v2 = await store.update('acme', 'leaver', draft('Leaver v2'), 'bob', 1);
  expect(v2).toMatchObject({ version: 2, name: 'Leaver v2', createdBy: 'bob' });
  expect((await store.get('acme', 'leaver', 1))?.name).toBe('Leaver v1');
  expect((await store.get('acme', 'leaver'))?.version).toBe(2);
  expect((await store.versions('acme', 'leaver')).map((r) => r.version)).toEqual([2, 1]);
  expect((await store.list('acme', 'offboarding')).map((r) => [r.runbookId, r.version])).toEqual([['leaver', 2]]);
  expect(await store.list('acme', 'onboarding')).toEqual([]);
});

it('lets only one of two concurrent writers of the same version create the next', async () => {
  await store.create('acme', 'race', draft('v1'), 'alice');
  // Both edited version 1 (If-Match: 1): whether the second reads before or after the first writes, it must lose.
  const results = await Promise.allSettled([
    store.update('acme', 'race', draft('a'), 'a', 1),
    store.update('acme', 'race', draft('b'), 'b', 1),
  ]);
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  expect(results.find((r) => r.status === 'rejected')).toMatchObject({
    reason: expect.any(RunbookVersionConflictError),
  });
  expect((await store.versions('acme', 'race')).map((r) => r.version)).toEqual([2, 1]);
  await expect(store.update('acme', 'race', draft('stale'), 'c', 1)).rejects.toBeInstanceOf(
    RunbookVersionConflictError,
  );
});

it('never stores an invalid runbook and names every problem', async () => {
  const bad = {
    kind: 'offboarding',
    name: 'x',
    steps: [{ id: 'a', platform: 'mars', action: 'disableAccount', onFailure: 'continue', after: ['zz'] }],
  };
  const err = await store.create('acme', 'bad', bad, 'alice').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidRunbookError);
  expect((err as InvalidRunbookError).problems.map((p) => p.path)).toEqual(['steps.0.platform', 'steps.0.after.0']);
  expect(await store.get('acme', 'bad')).toBeNull();
});

it('archives a runbook: gone from lists and new runs, every version kept for pinned runs', async () => {
  await store.create('acme', 'old', draft('old'), 'alice');
  await store.setDefault('acme', 'old');
  expect(await store.archive('acme', 'old')).toBe(true);
  expect((await store.list('acme')).map((r) => r.runbookId)).not.toContain('old');
  expect((await store.versions('acme', 'old')).length).toBe(1);
  const { loadRunbook } = createRunbookActivities({ runbooks: store });
  const env = new MockActivityEnvironment();
  await expect(env.run(loadRunbook, 'acme', 'offboarding' as const, 'old')).rejects.toMatchObject({
    type: 'RunbookArchived',
    nonRetryable: true,
  });
  await expect(env.run(loadRunbook, 'acme', 'offboarding' as const, 'old', 1)).resolves.toMatchObject({
    runbookId: 'old',
    version: 1,
  });
});

it('loads the product seeds once, however often it starts', async () => {
  const first = await store.loadSeeds(SEED_RUNBOOKS);
  const again = await store.loadSeeds(SEED_RUNBOOKS);
  expect(first.inserted).toBe(SEED_RUNBOOKS.length);
  expect(again.inserted).toBe(0);
  expect((await store.list(PRODUCT_TENANT)).map((r) => r.runbookId).sort()).toEqual(
    SEED_RUNBOOKS.map((s) => s.runbookId).sort(),
  );
});

it("resolves a run's runbook: named, tenant default, then product default; refuses the wrong kind", async () => {
  await store.loadSeeds(SEED_RUNBOOKS);
  const { loadRunbook } = createRunbookActivities({ runbooks: store });
  const env = new MockActivityEnvironment();
  await expect(env.run(loadRunbook, 'globex', 'offboarding' as const)).resolves.toMatchObject({
    runbookId: 'standard-offboarding',
    tenantId: PRODUCT_TENANT,
  });
  await store.create('globex', 'our-leaver', draft('ours'), 'alice');
  await store.setDefault('globex', 'our-leaver');
  await expect(env.run(loadRunbook, 'globex', 'offboarding' as const)).resolves.toMatchObject({
    runbookId: 'our-leaver',
    tenantId: 'globex',
  });
  await expect(env.run(loadRunbook, 'globex', 'offboarding' as const, 'reference-offboarding')).resolves.toMatchObject({
    tenantId: PRODUCT_TENANT,
  });
  await expect(env.run(loadRunbook, 'globex', 'onboarding' as const, 'our-leaver')).rejects.toMatchObject({
    type: 'RunbookKindMismatch',
  });
  await expect(env.run(loadRunbook, 'globex', 'offboarding' as const, 'missing')).rejects.toMatchObject({
    type: 'RunbookNotFound',
  });
});
