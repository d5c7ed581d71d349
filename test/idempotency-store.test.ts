/** The idempotency-key store on FerretDB: reserve once, replay, refuse another body, release on failure, expire. */
import { bodyHash, IdempotencyStore } from '../store/idempotency';
import { testMongo } from './support/servers';

let mongo: Awaited<ReturnType<typeof testMongo>>;
let store: IdempotencyStore;

beforeAll(async () => {
  mongo = await testMongo('idempotency');
  store = new IdempotencyStore(mongo.db);
  await store.ensureIndexes();
});
afterAll(() => mongo.drop());

const t0 = new Date('2026-11-01T00:00:00Z');
const hour = 3_600_000;

it('reserves a key once, then replays its answer, and refuses it with another body', async () => {
  const hash = bodyHash({ subject: 'a' });
  expect(await store.reserve('k1', hash, t0)).toEqual({ state: 'reserved' });
  expect(await store.reserve('k1', hash, t0)).toEqual({ state: 'in-progress' });
  await store.complete('k1', { status: 202, location: '/runs/1', body: { runId: '1' } });
  expect(await store.reserve('k1', hash, t0)).toEqual({
    state: 'replay',
    response: { status: 202, location: '/runs/1', body: { runId: '1' } },
  });
  expect(await store.reserve('k1', bodyHash({ subject: 'b' }), t0)).toEqual({ state: 'mismatch' });
});

it('frees a key whose work failed, but never one that has an answer', async () => {
  const hash = bodyHash({ subject: 'c' });
  await store.reserve('k2', hash, t0);
  await store.release('k2');
  expect(await store.reserve('k2', hash, t0)).toEqual({ state: 'reserved' });
  await store.complete('k2', { status: 202, body: {} });
  await store.release('k2');
  expect((await store.reserve('k2', hash, t0)).state).toBe('replay');
});

it('forgets keys after a day: reused afresh, and purged', async () => {
  const hash = bodyHash({ subject: 'd' });
  await store.reserve('k3', hash, t0);
  await store.complete('k3', { status: 202, body: {} });
  expect(await store.reserve('k3', bodyHash({ other: true }), new Date(t0.getTime() + 25 * hour))).toEqual({
    state: 'reserved',
  });
  await store.reserve('k4', hash, t0);
  expect(await store.purgeExpired(new Date(t0.getTime() + 25 * hour))).toBeGreaterThanOrEqual(1);
  expect(await store.reserve('k4', hash, new Date(t0.getTime() + 25 * hour))).toEqual({ state: 'reserved' });
});
