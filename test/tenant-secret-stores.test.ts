import { randomBytes } from 'node:crypto';
import { AwsSecretsManagerStore } from '../activities/secret-stores/aws-secrets-manager';
import { embeddedSecretStore } from '../activities/secret-stores/embedded';
import { tenantSecretStores } from '../activities/secret-stores/tenant-secret-stores';
import { SecretCipher } from '../infra/secret-cipher';
import { SecretVault } from '../store/secrets';
import { TenantStore } from '../store/tenants';
import { testMongo } from './support/servers';

let mongo: Awaited<ReturnType<typeof testMongo>>;

beforeAll(async () => {
  mongo = await testMongo('secret_stores');
});
afterAll(() => mongo.drop());

it("uses the tenant's chosen secret store, and the embedded store for tenants without one", async () => {
  const tenants = new TenantStore(mongo.db);
  await tenants.create({ tenantId: 'plain', name: 'Plain' });
  await tenants.create({
    tenantId: 'aws',
    name: 'AWS',
    secretStore: {
      kind: 'aws-secrets-manager',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'secret:aws-key-id', secretAccessKey: 'secret:aws-key' },
    },
  });
  const vault = new SecretVault(mongo.db, new SecretCipher([{ id: 'k1', key: randomBytes(32) }]));
  const resolve = tenantSecretStores(
    tenants,
    () => Promise.resolve(() => 'x'),
    (tenantId) => embeddedSecretStore(vault, tenantId),
  );
  expect((await resolve('plain')).name).toBe('embedded');
  expect(await resolve('aws')).toBeInstanceOf(AwsSecretsManagerStore);
});
