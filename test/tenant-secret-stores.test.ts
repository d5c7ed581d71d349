import { InMemorySecretStore } from '../activities/secret-stores/in-memory';
import { AwsSecretsManagerStore } from '../activities/secret-stores/aws-secrets-manager';
import { tenantSecretStores } from '../activities/secret-stores/tenant-secret-stores';
import { TenantStore } from '../store/tenants';
import { testMongo } from './support/servers';

let mongo: Awaited<ReturnType<typeof testMongo>>;

beforeAll(async () => {
  mongo = await testMongo('secret_stores');
});
afterAll(() => mongo.drop());

it("uses the tenant's configured secret store, and the fallback for tenants without one", async () => {
  const tenants = new TenantStore(mongo.db);
  await tenants.create({ tenantId: 'plain', name: 'Plain' });
  await tenants.create({ tenantId: 'aws', name: 'AWS' });
  await mongo.db.collection('tenants').updateOne(
    { tenantId: 'aws' },
    { $set: { secretStore: { platform: 'aws-iam', settings: { region: 'eu-west-1' }, credentials: { accessKeyId: 'env:K', secretAccessKey: 'env:S' } } } },
  );
  const fallback = new InMemorySecretStore();
  const resolve = tenantSecretStores(tenants, () => 'x', () => Promise.resolve(fallback));
  expect(await resolve('plain')).toBe(fallback);
  expect(await resolve('aws')).toBeInstanceOf(AwsSecretsManagerStore);
});
