/**
 * The embedded secret store (store/secrets.ts) on FerretDB: sealed per tenant and name,
 * master keys rotated by resealing, no key = no secret kept anywhere, and a rotation
 * through the product's workers whose new secret outlives the worker's memory.
 */
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { referenceAdapterFactory, ReferencePlatform } from '../activities/platforms/reference';
import { SecretCipher } from '../infra/secret-cipher';
import { rotationSecretName, type CredentialRotationRequest } from '../shared';
import { taskQueues } from '../shared/task-queues';
import { createStores, ensureIndexes } from '../store';
import { SecretStoreUnavailableError, SecretVault } from '../store/secrets';
import { credentialRotation } from '../workflows/credential-rotation';
import { createWorkers } from '../workers/create-workers';
import { bundleWorkflows, testMongo, timeSkippingEnv, uniqueQueue } from './support/servers';

let mongo: Awaited<ReturnType<typeof testMongo>>;
const key = (id: string) => ({ id, key: randomBytes(32) });

beforeAll(async () => {
  mongo = await testMongo('secret_vault');
});
afterAll(() => mongo.drop());

it('binds a sealed value to its tenant and name: copied into another tenant, it does not open', async () => {
  const vault = new SecretVault(mongo.db, new SecretCipher([key('k1')]));
  await vault.put('acme', 'okta-token', 'acme-secret');
  const sealed = await mongo.db.collection('tenant_secrets').findOne({ _id: 'acme/okta-token' as never });
  expect(JSON.stringify(sealed)).not.toContain('acme-secret');
  await mongo.db
    .collection('tenant_secrets')
    .insertOne({ ...sealed!, _id: 'globex/okta-token' as never, tenantId: 'globex' });
  expect(await vault.readCurrent('acme', 'okta-token')).toBe('acme-secret');
  await expect(vault.readCurrent('globex', 'okta-token')).rejects.toThrow(/not sealed for this tenant and name/);
});

it('rotates the master key: old values open under the new key list and are resealed under the new key', async () => {
  const k1 = key('k1');
  await new SecretVault(mongo.db, new SecretCipher([k1])).put('initech', 'scim-token', 'v1');
  const rotated = new SecretVault(mongo.db, new SecretCipher([key('k2'), k1]));
  expect(await rotated.readCurrent('initech', 'scim-token')).toBe('v1');
  // The test above sealed its records under another key also called k1: they do not open, and are named, not resealed.
  const { resealed, unreadable } = await rotated.reseal();
  expect({ resealed, unreadable: unreadable.sort() }).toEqual({
    resealed: 1,
    unreadable: ['acme/okta-token', 'globex/okta-token'],
  });
  const doc = await mongo.db.collection('tenant_secrets').findOne({ _id: 'initech/scim-token' as never });
  expect((doc!.versions as { sealed: { keyId: string } }[]).map((v) => v.sealed.keyId)).toEqual(['k2']);
  await expect(new SecretVault(mongo.db, new SecretCipher([k1])).readCurrent('initech', 'scim-token')).rejects.toThrow(
    /unknown key id "k2"/,
  );
});

it('gives a consumer only what a rotation wrote: a value handed over through intake never comes out, even under a rotated name', async () => {
  const vault = new SecretVault(mongo.db, new SecretCipher([key('k1')]));
  const name = rotationSecretName('umbrella', 'reference', 'svc-x', 'access-key');
  await vault.put('umbrella', name, 'handed-over');
  expect(await vault.readRotated('umbrella', name)).toBeUndefined();
  const versionId = await vault.putPending('umbrella', name, 'rotated-value', 'umbrella/rotation-1');
  expect(await vault.readRotated('umbrella', name)).toBeUndefined(); // still the handed-over one until promoted
  await vault.promote('umbrella', name, versionId);
  expect(await vault.readRotated('umbrella', name)).toMatchObject({ value: 'rotated-value', versionId });
  expect(await vault.readRotated('other-tenant', name)).toBeUndefined();
});

it('refuses to keep a secret when it has no key, rather than keeping it anywhere else', async () => {
  const keyless = new SecretVault(mongo.db);
  await expect(keyless.put('acme', 'x', 'value')).rejects.toBeInstanceOf(SecretStoreUnavailableError);
  expect(await mongo.db.collection('tenant_secrets').findOne({ _id: 'acme/x' as never })).toBeNull();
});

describe('a rotation on the product workers', () => {
  let env: TestWorkflowEnvironment;
  afterAll(() => env?.teardown());

  it('stores the new secret durably: a worker that never saw it reads the current value from the store', async () => {
    env = await timeSkippingEnv();
    const k1 = key('k1');
    const cipher = new SecretCipher([k1]);
    const stores = createStores(mongo.db, { secretCipher: cipher });
    await ensureIndexes(stores);
    const platform = new ReferencePlatform();
    const tenantId = uniqueQueue('t');
    await stores.tenants.create({
      tenantId,
      name: tenantId,
      policy: { rotationGracePeriodHours: 0 },
      connections: [{ platform: 'reference' }],
    });
    platform.seedAccount({ userName: 'svc-ci', kind: 'service' });
    const old = platform.seedCredential({
      id: 'old-key',
      kind: 'access-key',
      ownerId: 'svc-ci',
      status: 'active',
      secret: 'old-secret',
    });
    const secretName = rotationSecretName(tenantId, 'reference', 'svc-ci', 'access-key');
    await stores.secrets.promote(
      tenantId,
      secretName,
      await stores.secrets.putPending(tenantId, secretName, 'old-secret', 'seed'),
    );

    const prefix = `${uniqueQueue('vault')}-`;
    const workers = await createWorkers(
      {
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        mongo,
        secretCipher: cipher,
        adapters: { reference: referenceAdapterFactory(platform) },
      },
      { taskQueuePrefix: prefix, workflowBundle: await bundleWorkflows(), platforms: ['reference'] },
    );
    const running = Promise.all(workers.map((w) => w.run()));
    const request: CredentialRotationRequest = {
      tenantId,
      requestedBy: { id: 'rotation-schedule', kind: 'schedule' },
      credential: { platform: 'reference', ownerId: 'svc-ci', credentialId: old.id, kind: 'access-key' },
      mode: 'single-phase',
    };
    const result = await env.client.workflow.execute(credentialRotation, {
      args: [request],
      taskQueue: taskQueues(prefix).workflows,
      workflowId: uniqueQueue('rotation'),
    });
    workers.forEach((w) => w.shutdown());
    await running;

    expect(result).toMatchObject({ outcome: 'rotated' });
    const fresh = new SecretVault(mongo.db, new SecretCipher([k1]));
    const current = await fresh.readCurrent(tenantId, secretName);
    expect(platform.credentialsOf('svc-ci')).toEqual([
      expect.objectContaining({ id: result.newCredentialId, status: 'active' }),
    ]);
    expect(current).toBe(platform.credentials.get(result.newCredentialId!)!.secret);
  });
});
