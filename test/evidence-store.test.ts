import { EvidenceStore } from '../store/evidence';
import type { EvidenceRecord } from '../shared/runbooks';
import { testMongo } from './support/servers';

let mongo: Awaited<ReturnType<typeof testMongo>>;
let store: EvidenceStore;

beforeAll(async () => {
  mongo = await testMongo('evidence');
  store = new EvidenceStore(mongo.db);
  await store.ensureIndexes();
});
afterAll(() => mongo.drop());

const record = (event: string, at: string): EvidenceRecord => ({
  tenantId: 'acme',
  runId: 'acme/offboarding/e-1',
  kind: 'offboarding',
  subjectId: 'e-1',
  at,
  actor: { id: 'desk-1', kind: 'user' },
  event,
});

it('appends once per key, so a retried activity writes nothing twice', async () => {
  expect(await store.append('run-1/step-a/done', record('step-done', '2026-01-01T00:00:02Z'))).toEqual({
    appended: true,
  });
  expect(await store.append('run-1/step-a/done', record('step-done', '2026-01-01T00:00:09Z'))).toEqual({
    appended: false,
  });
  await store.append('run-1/requested', record('requested', '2026-01-01T00:00:01Z'));
  const trail = await store.forRun('acme', 'acme/offboarding/e-1');
  expect(trail.map((r) => [r.event, r.at])).toEqual([
    ['requested', '2026-01-01T00:00:01Z'],
    ['step-done', '2026-01-01T00:00:02Z'],
  ]);
});

it('keeps tenants apart', async () => {
  expect(await store.forRun('globex', 'acme/offboarding/e-1')).toEqual([]);
});
