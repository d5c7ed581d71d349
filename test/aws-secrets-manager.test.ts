/** The AWS Secrets Manager secret store against a real moto server: staging labels as rotation moves them. */
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readSecretRef } from '../activities/connection-secrets';
import { PlatformError } from '../activities/errors';
import type { SecretStore } from '../activities/secret-store';
import { awsSecretsManagerStoreFactory } from '../activities/secret-stores/aws-secrets-manager';
import { awsClients } from './support/aws-fixtures';
import type { Emulator } from './support/emulator';
import { motoConnection, startMoto } from './support/moto';

let moto: Emulator;
let sm: SecretsManagerClient;
let store: SecretStore;
let sequence = 0;

beforeAll(async () => {
  moto = await startMoto();
  sm = awsClients(moto.url).secrets;
  store = awsSecretsManagerStoreFactory(
    { ...motoConnection('aws-iam', moto.url), settings: { region: 'eu-west-1', namePrefix: 'tenant-b/' } },
    readSecretRef,
  );
}, 90_000);

afterAll(async () => {
  sm?.destroy();
  await moto?.stop();
});

const uniqueName = () => `svc-${++sequence}/api-key`;
async function stages(name: string): Promise<Record<string, string[]>> {
  const described = await sm.send(new DescribeSecretCommand({ SecretId: `tenant-b/${name}` }));
  // Versions without any label are deprecated: leave them out.
  return Object.fromEntries(
    Object.entries(described.VersionIdsToStages ?? {}).filter(([, labels]) => labels.length > 0),
  );
}

it('stores a value as AWSPENDING and a repeat of the same request returns the same version', async () => {
  const name = uniqueName();
  const ref = await store.putPending(name, 'secret-one', 'rotation-1');
  expect(ref).toEqual({ store: 'aws-secrets-manager', name, versionId: expect.any(String) });
  // Secrets Manager makes a secret's first version AWSCURRENT too: there is nothing older to keep.
  expect(await stages(name)).toEqual({ [ref.versionId!]: ['AWSPENDING', 'AWSCURRENT'] });
  await expect(store.putPending(name, 'secret-one', 'rotation-1')).resolves.toEqual(ref);
  expect(Object.keys(await stages(name))).toHaveLength(1);
  await expect(store.versionFor(name, 'rotation-1')).resolves.toEqual(ref);
  await expect(store.versionFor(name, 'rotation-9')).resolves.toBeUndefined();
  await expect(store.versionFor('no-such-secret', 'rotation-1')).resolves.toBeUndefined();
  await store.promote(ref);
  expect(await stages(name)).toEqual({ [ref.versionId!]: ['AWSCURRENT'] });

  const next = await store.putPending(name, 'secret-two', 'rotation-2');
  expect(await stages(name)).toEqual({ [ref.versionId!]: ['AWSCURRENT'], [next.versionId!]: ['AWSPENDING'] });
  expect(await store.current(name)).toEqual(ref);
});

it('promotes: the new version becomes AWSCURRENT, the old one AWSPREVIOUS, no AWSPENDING remains', async () => {
  const name = uniqueName();
  const first = await store.putPending(name, 'secret-one', 'rotation-1');
  await store.promote(first);
  expect(await store.current(name)).toEqual(first);
  const second = await store.putPending(name, 'secret-two', 'rotation-2');
  expect(await store.current(name)).toEqual(first);

  await store.promote(second);
  expect(await stages(name)).toEqual({ [first.versionId!]: ['AWSPREVIOUS'], [second.versionId!]: ['AWSCURRENT'] });
  expect(await store.reveal((await store.current(name))!)).toBe('secret-two');
  expect(await store.reveal(first)).toBe('secret-one');
  await store.promote(second);
  expect(await stages(name)).toEqual({ [first.versionId!]: ['AWSPREVIOUS'], [second.versionId!]: ['AWSCURRENT'] });
});

it('discards a pending value whose test failed, leaving the current one alone', async () => {
  const name = uniqueName();
  const current = await store.putPending(name, 'good', 'rotation-1');
  await store.promote(current);
  const failed = await store.putPending(name, 'bad', 'rotation-2');

  await store.discardPending(failed);
  await store.discardPending(failed);
  expect(await stages(name)).toEqual({ [current.versionId!]: ['AWSCURRENT'] });
  expect(await store.current(name)).toEqual(current);
});

it('refuses a reused idempotency key with a different value', async () => {
  const name = uniqueName();
  await store.putPending(name, 'value', 'rotation-1');
  await expect(store.putPending(name, 'another value', 'rotation-1')).rejects.toMatchObject({ kind: 'conflict' });
});

it('refuses to promote a version the secret does not have', async () => {
  const name = uniqueName();
  await store.putPending(name, 'value', 'rotation-1');
  const err = await store
    .promote({ store: 'aws-secrets-manager', name, versionId: '00000000-0000-4000-8000-000000000000' })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PlatformError);
  expect(err).toMatchObject({ kind: 'not-found' });
});
