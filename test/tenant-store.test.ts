import { DEFAULT_TENANT_POLICY } from '../shared/runbooks';
import { TenantExistsError, TenantStore } from '../store/tenants';
import { testMongo } from './support/servers';

let mongo: Awaited<ReturnType<typeof testMongo>>;
let store: TenantStore;

beforeAll(async () => {
  mongo = await testMongo('tenants');
  store = new TenantStore(mongo.db);
  await store.ensureIndexes();
});
afterAll(() => mongo.drop());

it('creates a tenant with the default policy and refuses a duplicate id', async () => {
  const created = await store.create({ tenantId: 'acme', name: 'Acme', policy: { retentionDays: 45 } });
  expect(created.policy).toEqual({ ...DEFAULT_TENANT_POLICY, retentionDays: 45 });
  await expect(store.create({ tenantId: 'acme', name: 'Again' })).rejects.toBeInstanceOf(TenantExistsError);
});

it('merges policy changes and replaces connections per platform', async () => {
  await store.create({
    tenantId: 'globex',
    name: 'Globex',
    connections: [{ platform: 'okta', baseUrl: 'https://a.example', credentials: { apiToken: 'env:OKTA_A' } }],
  });
  await store.update('globex', {
    policy: { rotationMaxAgeDays: 30 },
    connections: [
      { platform: 'okta', baseUrl: 'https://b.example' },
      { platform: 'aws-iam', settings: { region: 'eu-west-1' } },
    ],
  });
  const tenant = await store.get('globex');
  expect(tenant?.policy.rotationMaxAgeDays).toBe(30);
  expect(tenant?.policy.retentionDays).toBe(DEFAULT_TENANT_POLICY.retentionDays);
  expect(tenant?.connections.map((c) => c.platform).sort()).toEqual(['aws-iam', 'okta']);
  expect((await store.connection('globex', 'okta'))?.baseUrl).toBe('https://b.example');
  expect(await store.update('nobody', { name: 'x' })).toBeNull();
});
