/**
 * The AWS IAM adapter against a real moto server (one per file), driven through
 * createPlatformActivities as the workers run it. Rotation stores the new key
 * in moto's Secrets Manager. Throttling and 5xx replies, which moto cannot
 * produce, come from a tiny contract fake answering in IAM's Query error format.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetPolicyCommand, GetUserCommand, GetUserPolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { awsIamAdapterFactory } from '../activities/platforms/aws-iam';
import { readSecretRef } from '../activities/connection-secrets';
import { PlatformError } from '../activities/errors';
import { createPlatformActivities, type PlatformActivities } from '../activities/platform-activities';
import { awsSecretsManagerStoreFactory } from '../activities/secret-stores/aws-secrets-manager';
import type { PlatformConnection } from '../shared';
import { awsClients, iamUserState, seedIamUser } from './support/aws-fixtures';
import type { Emulator } from './support/emulator';
import { motoConnection, startMoto } from './support/moto';
import { failure, platformRunner, subjectFor, uniqueName } from './support/platform-harness';

let moto: Emulator;
let iam: IAMClient;
let secrets: SecretsManagerClient;
let activities: PlatformActivities;

/** The tenant's secret store: moto's Secrets Manager, rotated secrets under tenant-a/. */
const tenantSecretStore = () =>
  awsSecretsManagerStoreFactory(
    { ...motoConnection('aws-iam', moto.url), settings: { region: 'eu-west-1', namePrefix: 'tenant-a/' } },
    readSecretRef,
  );

function activitiesFor(connection: PlatformConnection): PlatformActivities {
  return createPlatformActivities('aws-iam', {
    resolveAdapter: () => Promise.resolve(awsIamAdapterFactory(connection, readSecretRef)),
    resolveSecretStore: () => Promise.resolve(tenantSecretStore()),
  });
}

beforeAll(async () => {
  moto = await startMoto();
  process.stdout.write(`moto ready in ${moto.startupMs} ms\n`);
  ({ iam, secrets } = awsClients(moto.url));
  activities = activitiesFor(motoConnection('aws-iam', moto.url));
}, 90_000);

afterAll(async () => {
  iam?.destroy();
  secrets?.destroy();
  await moto?.stop();
});

const run = platformRunner('tenant-a', () => activities);

describe('offboarding', () => {
  it('leaves no console password, no active key, no group, no policy, sessions denied; a repeat changes nothing', async () => {
    const seeded = await seedIamUser(iam, uniqueName('leaver'));
    const subject = subjectFor(seeded.userName);
    const offboard = async () => [
      (await run('revokeSessions', { subject })).outcome,
      (await run('disableAccount', { subject })).outcome,
      (await run('removeAllEntitlements', { subject })).outcome,
    ];

    expect(await offboard()).toEqual(['done', 'done', 'done']);
    const state = await iamUserState(iam, seeded.userName);
    expect(state).toMatchObject({
      loginProfile: false,
      groups: [],
      attachedPolicies: [],
      inlinePolicies: ['AWSRevokeOlderSessions'],
    });
    expect(state.accessKeys).toEqual(seeded.accessKeyIds.map((id) => ({ id, status: 'Inactive' })));
    const deny = await iam.send(
      new GetUserPolicyCommand({ UserName: seeded.userName, PolicyName: 'AWSRevokeOlderSessions' }),
    );
    const statement = JSON.parse(decodeURIComponent(deny.PolicyDocument!)).Statement[0];
    expect(statement).toMatchObject({ Effect: 'Deny', Action: ['*'] });
    expect(Date.parse(statement.Condition.DateLessThan['aws:TokenIssueTime'])).toBeGreaterThan(Date.now() - 60_000);
    // The managed policy itself survives: only the user's attachment is gone.
    await expect(iam.send(new GetPolicyCommand({ PolicyArn: seeded.policyArn }))).resolves.toBeDefined();

    expect(await offboard()).toEqual(['already-done', 'already-done', 'already-done']);
    expect(await iamUserState(iam, seeded.userName)).toEqual(state);
  });

  it('deletes a user after removing everything IAM requires first; a repeat is already done', async () => {
    const seeded = await seedIamUser(iam, uniqueName('retired'));
    const subject = subjectFor(seeded.userName);
    await run('revokeSessions', { subject });

    await expect(run('deleteAccount', { subject })).resolves.toMatchObject({ outcome: 'done' });
    const gone = await failure(iam.send(new GetUserCommand({ UserName: seeded.userName })));
    expect(gone).toMatchObject({ name: 'NoSuchEntityException' });
    await expect(run('deleteAccount', { subject })).resolves.toMatchObject({ outcome: 'already-done' });
  });

  it('re-enables exactly the access keys that disableAccount deactivated', async () => {
    const seeded = await seedIamUser(iam, uniqueName('returner'));
    const subject = subjectFor(seeded.userName);
    await run('deactivateCredential', { ownerId: seeded.userName, credentialId: seeded.accessKeyIds[0]! });
    await run('disableAccount', { subject });

    await expect(run('enableAccount', { subject })).resolves.toMatchObject({ outcome: 'done' });
    const { accessKeys } = await iamUserState(iam, seeded.userName);
    expect(accessKeys).toEqual([
      { id: seeded.accessKeyIds[0], status: 'Inactive' },
      { id: seeded.accessKeyIds[1], status: 'Active' },
    ]);
    await expect(run('enableAccount', { subject })).resolves.toMatchObject({ outcome: 'already-done' });
  });
});

describe('accounts and entitlements', () => {
  it('creates a tagged user with its groups, updates tags, and reports repeats as already done', async () => {
    const userName = uniqueName('joiner');
    const seeded = await seedIamUser(iam, uniqueName('team'));
    const subject = { ...subjectFor(userName), email: 'joiner@example.com', displayName: 'Joan Iner' };
    const entitlements = [
      { kind: 'group' as const, id: seeded.groups[0]! },
      { kind: 'policy' as const, id: seeded.policyArn },
    ];

    await expect(run('createAccount', { subject, entitlements })).resolves.toMatchObject({
      outcome: 'done',
      data: { accountId: userName },
    });
    await expect(run('createAccount', { subject, entitlements })).resolves.toMatchObject({ outcome: 'already-done' });
    const listed = await run('listEntitlements', { subject });
    expect(listed.data).toEqual([
      { kind: 'group', id: seeded.groups[0], name: expect.stringContaining(':group/') },
      { kind: 'policy', id: seeded.policyArn, name: expect.any(String) },
    ]);

    await expect(run('updateAccount', { subject, changes: { email: 'joan@example.com' } })).resolves.toMatchObject({
      outcome: 'done',
    });
    await expect(run('updateAccount', { subject, changes: { email: 'joan@example.com' } })).resolves.toMatchObject({
      outcome: 'already-done',
    });
    const user = await iam.send(new GetUserCommand({ UserName: userName }));
    expect(user.User?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'email', Value: 'joan@example.com' },
        { Key: 'identity-runbooks:subject-id', Value: `e-${userName}` },
      ]),
    );

    await expect(run('removeEntitlement', { subject, entitlement: entitlements[0]! })).resolves.toMatchObject({
      outcome: 'done',
    });
    await expect(run('removeEntitlement', { subject, entitlement: entitlements[0]! })).resolves.toMatchObject({
      outcome: 'already-done',
    });
    await expect(run('addEntitlement', { subject, entitlement: entitlements[1]! })).resolves.toMatchObject({
      outcome: 'already-done',
    });
  });

  it('refuses to adopt a same-named user that belongs to another subject', async () => {
    const seeded = await seedIamUser(iam, uniqueName('taken'));
    const err = await failure(
      run('createAccount', { subject: { subjectId: 'someone-else', userName: seeded.userName } }),
    );
    expect(err).toMatchObject({ type: 'PlatformConflict', nonRetryable: true });
  });
});

describe('non-human credentials and rotation', () => {
  it('rotates a service user key: exactly one active key remains, the new one, stored as AWSCURRENT; a repeat is already done', async () => {
    const serviceUser = uniqueName('svc-ci');
    await run('createAccount', { subject: subjectFor(serviceUser) });
    const first = await run('createCredential', {
      ownerId: serviceUser,
      kind: 'access-key',
      secretName: `${serviceUser}/key`,
      idempotencyKey: `${serviceUser}-bootstrap`,
    });
    const store = tenantSecretStore();
    await store.promote(first.data!.secretRef);
    const oldKeyId = first.data!.credential.id;

    const rotate = async (idempotencyKey: string) => {
      const created = await run('createCredential', {
        ownerId: serviceUser,
        kind: 'access-key',
        secretName: `${serviceUser}/key`,
        idempotencyKey,
      });
      if (created.data) {
        const adapter = awsIamAdapterFactory(motoConnection('aws-iam', moto.url), readSecretRef);
        expect(
          await adapter.verifyCredential!(created.data.credential, await store.reveal(created.data.secretRef)),
        ).toBe(true);
        await store.promote(created.data.secretRef);
      }
      const deactivated = await run('deactivateCredential', { ownerId: serviceUser, credentialId: oldKeyId });
      const deleted = await run('deleteCredential', { ownerId: serviceUser, credentialId: oldKeyId });
      return { created, outcomes: [created.outcome, deactivated.outcome, deleted.outcome] };
    };

    const { created, outcomes } = await rotate('rotation-2026-q4');
    expect(outcomes).toEqual(['done', 'done', 'done']);
    expect(JSON.stringify(created)).not.toMatch(/SecretAccessKey|"secret"/);
    const newKeyId = created.data!.credential.id;
    const listed = await run('listCredentials', { ownerId: serviceUser });
    expect(listed.data).toEqual([
      expect.objectContaining({ id: newKeyId, kind: 'access-key', status: 'active', createdAt: expect.any(String) }),
    ]);

    const stored = await secrets.send(new DescribeSecretCommand({ SecretId: `tenant-a/${serviceUser}/key` }));
    expect(stored.VersionIdsToStages?.[created.data!.secretRef.versionId!]).toEqual(['AWSCURRENT']);
    expect(stored.VersionIdsToStages?.[first.data!.secretRef.versionId!]).toEqual(['AWSPREVIOUS']);
    const current = await secrets.send(new GetSecretValueCommand({ SecretId: `tenant-a/${serviceUser}/key` }));
    const adapter = awsIamAdapterFactory(motoConnection('aws-iam', moto.url), readSecretRef);
    expect(await adapter.verifyCredential!({ ...created.data!.credential }, current.SecretString!)).toBe(true);

    const again = await rotate('rotation-2026-q4');
    expect(again.outcomes).toEqual(['already-done', 'already-done', 'already-done']);
    // The repeat gets the same key and, from the store, the same secret version.
    expect(again.created.data).toEqual(created.data);
    expect((await iamUserState(iam, serviceUser)).accessKeys).toEqual([{ id: newKeyId, status: 'Active' }]);
  });

  it('replaces a key whose secret an interrupted attempt lost before storing it', async () => {
    const serviceUser = uniqueName('svc-etl');
    await run('createAccount', { subject: subjectFor(serviceUser) });
    let storeDown = true;
    // The secret store fails once right after IAM created the key, as a throttled or crashed attempt would.
    const flaky = createPlatformActivities('aws-iam', {
      resolveAdapter: () => Promise.resolve(awsIamAdapterFactory(motoConnection('aws-iam', moto.url), readSecretRef)),
      resolveSecretStore: () => {
        const store = tenantSecretStore();
        // The store itself answers, except the first put (after IAM created the key).
        return Promise.resolve({
          name: store.name,
          putPending: (...args: Parameters<typeof store.putPending>) => {
            if (!storeDown) return store.putPending(...args);
            storeDown = false;
            return Promise.reject(new PlatformError('throttled', 'secrets manager throttled', 1000));
          },
          promote: (ref) => store.promote(ref),
          discardPending: (ref) => store.discardPending(ref),
          current: (name) => store.current(name),
          versionFor: (name, key) => store.versionFor(name, key),
          reveal: (ref) => store.reveal(ref),
        });
      },
    });
    const request = {
      ownerId: serviceUser,
      kind: 'access-key' as const,
      secretName: `${serviceUser}/key`,
      idempotencyKey: 'etl-rotation-1',
    };

    expect(await failure(run('createCredential', request, flaky))).toMatchObject({
      type: 'PlatformThrottled',
      nonRetryable: false,
    });
    const [lost] = (await iamUserState(iam, serviceUser)).accessKeys;
    const retried = await run('createCredential', request, flaky);
    expect(retried).toMatchObject({ outcome: 'done', detail: expect.stringContaining(lost!.id) });
    expect((await iamUserState(iam, serviceUser)).accessKeys).toEqual([
      { id: retried.data!.credential.id, status: 'Active' },
    ]);
    const adapter = awsIamAdapterFactory(motoConnection('aws-iam', moto.url), readSecretRef);
    expect(
      await adapter.verifyCredential!(
        retried.data!.credential,
        await tenantSecretStore().reveal(retried.data!.secretRef),
      ),
    ).toBe(true);
    await expect(run('createCredential', request, flaky)).resolves.toMatchObject({
      outcome: 'already-done',
      data: retried.data,
    });
  });

  it('keeps to the two-key limit: an inactive key makes room, two active keys are a conflict', async () => {
    const seeded = await seedIamUser(iam, uniqueName('svc-full'));
    const request = { ownerId: seeded.userName, kind: 'access-key' as const, secretName: `${seeded.userName}/key` };
    const full = await failure(run('createCredential', { ...request, idempotencyKey: 'full-1' }));
    expect(full).toMatchObject({ type: 'PlatformConflict', nonRetryable: true });

    await run('deactivateCredential', { ownerId: seeded.userName, credentialId: seeded.accessKeyIds[0]! });
    await expect(run('createCredential', { ...request, idempotencyKey: 'full-2' })).resolves.toMatchObject({
      outcome: 'done',
      detail: expect.stringContaining(seeded.accessKeyIds[0]!),
    });
    const ids = (await iamUserState(iam, seeded.userName)).accessKeys.map((k) => k.id);
    expect(ids).toHaveLength(2);
    expect(ids).not.toContain(seeded.accessKeyIds[0]);
  });

  it('disables an IAM user used as a service account', async () => {
    const seeded = await seedIamUser(iam, uniqueName('svc-old'));
    await expect(run('disableServiceAccount', { serviceAccountId: seeded.userName })).resolves.toMatchObject({
      outcome: 'done',
    });
    expect((await iamUserState(iam, seeded.userName)).accessKeys.every((k) => k.status === 'Inactive')).toBe(true);
    await expect(run('disableServiceAccount', { serviceAccountId: seeded.userName })).resolves.toMatchObject({
      outcome: 'already-done',
    });
  });

  it('verifies a key only for its owner', async () => {
    const seeded = await seedIamUser(iam, uniqueName('svc-verify'));
    const adapter = awsIamAdapterFactory(motoConnection('aws-iam', moto.url), readSecretRef);
    const credential = {
      platform: 'aws-iam' as const,
      id: seeded.accessKeyIds[0]!,
      kind: 'access-key' as const,
      ownerId: seeded.userName,
      status: 'active' as const,
    };
    // moto checks no signatures: it answers with the key's owner, which must be the credential's.
    expect(await adapter.verifyCredential!(credential, 'any')).toBe(true);
    expect(await adapter.verifyCredential!({ ...credential, ownerId: 'someone-else' }, 'any')).toBe(false);
    expect(await adapter.verifyCredential!({ ...credential, id: 'AKIAUNKNOWNKEY000000' }, 'any')).toBe(false);
  });
});

describe('failure classification', () => {
  it('fails a missing user and a wrong entitlement kind as non-retryable', async () => {
    const missing = await failure(run('disableAccount', { subject: subjectFor('nobody-here') }));
    expect(missing).toMatchObject({ type: 'PlatformNotFound', nonRetryable: true });
    const seeded = await seedIamUser(iam, uniqueName('kinds'));
    const wrongKind = await failure(
      run('addEntitlement', { subject: subjectFor(seeded.userName), entitlement: { kind: 'license', id: 'E5' } }),
    );
    expect(wrongKind).toMatchObject({ type: 'PlatformInvalidRequest', nonRetryable: true });
    const badArn = await failure(
      run('addEntitlement', {
        subject: subjectFor(seeded.userName),
        entitlement: { kind: 'policy', id: 'not-an-arn' },
      }),
    );
    expect(badArn).toMatchObject({ nonRetryable: true });
  });

  describe('against a contract fake of IAM error replies', () => {
    let fake: Server;
    let reply: { status: number; code: string; retryAfter?: string };
    let fakeActivities: PlatformActivities;

    beforeAll(async () => {
      // IAM's Query protocol error body; moto cannot be made to throttle or fail.
      fake = createServer((_req, res) => {
        res.writeHead(reply.status, {
          'Content-Type': 'text/xml',
          ...(reply.retryAfter && { 'Retry-After': reply.retryAfter }),
        });
        res.end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>${reply.code}</Code><Message>${reply.code} from the fake</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
        );
      });
      await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
      fakeActivities = activitiesFor(
        motoConnection('aws-iam', `http://127.0.0.1:${(fake.address() as AddressInfo).port}`),
      );
    });
    afterAll(() => new Promise((resolve) => fake.close(resolve)));

    const disable = () => failure(run('disableAccount', { subject: subjectFor('anyone') }, fakeActivities));

    it('retries throttling after the Retry-After delay', async () => {
      reply = { status: 400, code: 'Throttling', retryAfter: '7' };
      expect(await disable()).toMatchObject({ type: 'PlatformThrottled', nonRetryable: false, nextRetryDelay: 7000 });
      reply = { status: 429, code: 'TooManyRequests' };
      expect(await disable()).toMatchObject({ type: 'PlatformThrottled', nonRetryable: false });
    });

    it('retries server failures, not access denied', async () => {
      reply = { status: 500, code: 'ServiceFailure' };
      expect(await disable()).toMatchObject({ type: 'PlatformServerError', nonRetryable: false });
      reply = { status: 403, code: 'AccessDenied' };
      expect(await disable()).toMatchObject({ type: 'PlatformForbidden', nonRetryable: true });
    });
  });

  it('retries an unreachable endpoint', async () => {
    const closed = activitiesFor(motoConnection('aws-iam', 'http://127.0.0.1:9'));
    const err = await failure(run('disableAccount', { subject: subjectFor('anyone') }, closed));
    expect(err).toMatchObject({ type: 'PlatformUnreachable', nonRetryable: false });
  });
});
