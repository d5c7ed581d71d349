/**
 * The Google Workspace adapter's real client code (JWT bearer token flow, Directory
 * and Data Transfer calls) against a CONTRACT FAKE of Google's published APIs
 * (test/fakes/google-workspace.ts): effects are checked on the fake's state.
 */
import { generateKeyPairSync } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../activities/errors';
import { googleWorkspaceAdapterFactory } from '../activities/platforms/google-workspace';
import type { PlatformAdapter } from '../activities/platforms/adapter';
import { CAPABILITIES, type PlatformConnection, type Subject } from '../shared';
import { GoogleWorkspaceFake } from './fakes/google-workspace';
import { everyPage } from './support/pages';
import { activityFailure, implementedActions, platformHarness } from './support/platform-harness';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const clientEmail = 'runbooks@acme-idp.iam.gserviceaccount.com';
const privateKeyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const env = {
  GW_KEY: JSON.stringify({ type: 'service_account', client_email: clientEmail, private_key: privateKeyPem }),
};

let fake: GoogleWorkspaceFake;
let connection: PlatformConnection;
let adapter: PlatformAdapter;
const { run } = platformHarness('google-workspace', googleWorkspaceAdapterFactory, () => connection, env);

beforeAll(async () => {
  fake = await new GoogleWorkspaceFake({
    clientEmail,
    publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }).start();
  connection = {
    platform: 'google-workspace',
    baseUrl: fake.directory.baseUrl,
    settings: { adminSubject: 'admin@acme.example', domain: 'acme.example', tokenUrl: fake.tokenUrl },
    credentials: { serviceAccountKey: 'env:GW_KEY' },
  };
  adapter = googleWorkspaceAdapterFactory(connection, (ref) => env[ref.slice(4) as 'GW_KEY']);
});
afterAll(() => fake.stop());

const subject = (userName: string): Subject => ({ subjectId: `hr-${userName}`, userName });
/** What the access review's collection throws for a failed page: the PlatformError classified as an activity failure. */
const pageFailure = (page: Promise<unknown>) =>
  activityFailure(page.catch((err: unknown) => Promise.reject(toActivityFailure(err))));

async function accountPages(limit: number): Promise<Subject[][]> {
  return (await everyPage((cursor) => adapter.listAccounts!({ cursor, limit }))).map((p) => p.accounts);
}

it('implements exactly its catalogue actions, and needs a key and a delegated admin', () => {
  expect(implementedActions(adapter).sort()).toEqual([...CAPABILITIES['google-workspace']].sort());
  expect(() =>
    googleWorkspaceAdapterFactory({ ...connection, settings: { domain: 'acme.example' } }, () => ''),
  ).toThrow(/settings.adminSubject/);
});

it('authenticates with a service-account JWT for the delegated admin and refuses calls without a token', async () => {
  fake.addUser('ada@acme.example');
  await expect(adapter.disableAccount!({ subject: subject('ada') })).resolves.toEqual({ outcome: 'done' });
  expect(fake.tokenSubjects).toContain('admin@acme.example');
  const res = await fetch(`${fake.directory.baseUrl}/admin/directory/v1/users/ada@acme.example`);
  expect(res.status).toBe(401);
});

it('fetches a fresh token once when Google rejects the cached one', async () => {
  fake.addUser('abe@acme.example');
  await adapter.disableAccount!({ subject: subject('abe') });
  const issuedBefore = fake.tokenSubjects.length;
  fake.revokeIssuedTokens();
  expect(await adapter.enableAccount!({ subject: subject('abe') })).toEqual({ outcome: 'done' });
  expect(fake.tokenSubjects.length).toBe(issuedBefore + 1);
});

it('suspends and unsuspends a user, reporting a repeat as already done', async () => {
  const user = fake.addUser('bob@acme.example');
  expect(await adapter.disableAccount!({ subject: subject('bob') })).toEqual({ outcome: 'done' });
  expect(fake.users.get(user.id)!.suspended).toBe(true);
  expect(await adapter.disableAccount!({ subject: subject('bob') })).toEqual({ outcome: 'already-done' });
  expect(await adapter.enableAccount!({ subject: subject('bob') })).toEqual({ outcome: 'done' });
  expect(fake.users.get(user.id)!.suspended).toBe(false);
  expect(await adapter.enableAccount!({ subject: subject('bob') })).toEqual({ outcome: 'already-done' });
});

it('creates an account with its groups once, and updates it only when something changed', async () => {
  fake.addGroup('eng@acme.example');
  const joiner = { ...subject('cy'), displayName: 'Cy Young' };
  const created = await adapter.createAccount!({
    subject: joiner,
    entitlements: [{ kind: 'group', id: 'eng@acme.example' }],
  });
  expect(created.outcome).toBe('done');
  const user = fake.userByKey('cy@acme.example')!;
  expect(created.data).toEqual({ accountId: user.id });
  expect(user.name).toEqual({ givenName: 'Cy', familyName: 'Young' });
  expect(fake.groups.get('eng@acme.example')!.members.has('cy@acme.example')).toBe(true);
  expect(
    await adapter.createAccount!({ subject: joiner, entitlements: [{ kind: 'group', id: 'eng@acme.example' }] }),
  ).toEqual({ outcome: 'already-done', data: { accountId: user.id } });

  expect(await adapter.updateAccount!({ subject: joiner, changes: { managerId: 'boss@acme.example' } })).toEqual({
    outcome: 'done',
  });
  expect(user.relations).toEqual([{ type: 'manager', value: 'boss@acme.example' }]);
  expect(await adapter.updateAccount!({ subject: joiner, changes: { managerId: 'boss@acme.example' } })).toEqual({
    outcome: 'already-done',
  });
});

it('lists group memberships over several pages and removes them all, idempotently', async () => {
  fake.addUser('dee@acme.example');
  const groups = ['g1', 'g2', 'g3', 'g4', 'g5'].map((g) => `${g}@acme.example`);
  groups.forEach((g) => fake.addGroup(g, ['dee@acme.example']));
  const listed = await adapter.listEntitlements!({ subject: subject('dee') });
  expect(listed.data!.map((e) => e.id).sort()).toEqual(groups);
  expect(fake.directory.requests.filter((r) => r.path === '/admin/directory/v1/groups').length).toBeGreaterThanOrEqual(
    3,
  );

  const removed = await adapter.removeAllEntitlements!({ subject: subject('dee') });
  expect(removed.data!.removed).toHaveLength(5);
  expect(groups.some((g) => fake.groups.get(g)!.members.has('dee@acme.example'))).toBe(false);
  expect(await adapter.removeAllEntitlements!({ subject: subject('dee') })).toEqual({
    outcome: 'already-done',
    data: { removed: [] },
  });
  expect(
    await adapter.removeEntitlement!({
      subject: subject('dee'),
      entitlement: { kind: 'group', id: 'g1@acme.example' },
    }),
  ).toEqual({ outcome: 'already-done' });
});

it("lists a leaver's OAuth grants and app passwords, and revokes each once", async () => {
  fake.addUser('eve@acme.example');
  fake.tokens.set('eve@acme.example', [{ clientId: '1234.apps.googleusercontent.com', displayText: 'Sketchy CRM' }]);
  fake.asps.set('eve@acme.example', [
    { codeId: 7, name: 'Thunderbird', creationTime: '1700000000000', lastTimeUsed: '0' },
  ]);
  const { data } = await adapter.listCredentials!({ subject: subject('eve') });
  expect(data).toEqual([
    {
      platform: 'google-workspace',
      id: 'oauth:1234.apps.googleusercontent.com',
      kind: 'oauth-grant',
      ownerId: 'eve@acme.example',
      status: 'active',
      description: 'Sketchy CRM',
    },
    {
      platform: 'google-workspace',
      id: 'asp:7',
      kind: 'password',
      ownerId: 'eve@acme.example',
      status: 'active',
      description: 'Thunderbird',
      createdAt: '2023-11-14T22:13:20.000Z',
    },
  ]);
  for (const c of data!)
    expect(await adapter.deleteCredential!({ ownerId: c.ownerId, credentialId: c.id })).toEqual({ outcome: 'done' });
  expect(fake.tokens.get('eve@acme.example')).toEqual([]);
  expect(fake.asps.get('eve@acme.example')).toEqual([]);
  expect(await adapter.deleteCredential!({ ownerId: 'eve@acme.example', credentialId: 'asp:7' })).toEqual({
    outcome: 'already-done',
  });
  await expect(adapter.deleteCredential!({ ownerId: 'eve@acme.example', credentialId: 'key-9' })).rejects.toMatchObject(
    { kind: 'invalid' },
  );
});

it('transfers Drive ownership to the new owner once, finding the Drive application across pages', async () => {
  const leaver = fake.addUser('fay@acme.example');
  const heir = fake.addUser('gus@acme.example');
  expect((await adapter.transferOwnership!({ subject: subject('fay'), newOwner: subject('gus') })).outcome).toBe(
    'done',
  );
  expect(fake.transfers).toEqual([
    expect.objectContaining({
      oldOwnerUserId: leaver.id,
      newOwnerUserId: heir.id,
      applicationDataTransfers: [expect.objectContaining({ applicationId: fake.driveApplicationId })],
    }),
  ]);
  expect((await adapter.transferOwnership!({ subject: subject('fay'), newOwner: subject('gus') })).outcome).toBe(
    'already-done',
  );
  expect(fake.transfers).toHaveLength(1);
});

it('signs a user out and deletes the account; deleting again is already done, signing out a deleted user is non-retryable', async () => {
  fake.addUser('hal@acme.example');
  expect(await run('revokeSessions', { subject: subject('hal') })).toEqual({ outcome: 'done' });
  expect(fake.signedOut).toContain('hal@acme.example');
  expect(await run('deleteAccount', { subject: subject('hal') })).toEqual({ outcome: 'done' });
  expect(fake.userByKey('hal@acme.example')).toBeUndefined();
  expect(await run('deleteAccount', { subject: subject('hal') })).toEqual({ outcome: 'already-done' });
  const err = await activityFailure(run('revokeSessions', { subject: subject('hal') }));
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: 'PlatformNotFound', nonRetryable: true });
});

it('lists every user, suspended ones too, over several pages with subject id, manager and last sign-in; a listed account resolves for revocation', async () => {
  const rex = await adapter.createAccount!({
    subject: { subjectId: 'E-100', userName: 'rex', displayName: 'Rex Ray' },
  });
  const ona = fake.addUser('ona@acme.example', {
    name: { fullName: 'Ona Oak' },
    externalIds: [{ type: 'organization', value: 'E-101' }],
    relations: [
      { type: 'assistant', value: 'pa@acme.example' },
      { type: 'manager', value: 'boss@acme.example' },
    ],
    lastLoginTime: '2025-05-01T08:00:00.000Z',
  });
  const pia = fake.addUser('pia@acme.example', {
    suspended: true,
    relations: [{ type: 'manager', value: 'boss@acme.example' }],
    lastLoginTime: '2024-01-02T03:04:05.000Z',
  });
  const quin = fake.addUser('quin@acme.example');
  ['ray', 'sue', 'tom'].forEach((n) => fake.addUser(`${n}@acme.example`));
  fake.addGroup('audit@acme.example', ['ona@acme.example']);

  const pages = await accountPages(3);
  expect(pages.length).toBeGreaterThanOrEqual(3);
  expect(pages.every((p) => p.length <= 3)).toBe(true);
  const accounts = new Map(pages.flat().map((a) => [a.userName, a]));
  expect([...accounts.keys()].sort()).toEqual([...fake.users.values()].map((u) => u.primaryEmail).sort());
  expect(accounts.get('rex@acme.example')).toMatchObject({
    subjectId: 'E-100',
    accounts: { 'google-workspace': rex.data!.accountId },
  });
  expect(accounts.get('ona@acme.example')).toEqual({
    subjectId: 'E-101',
    userName: 'ona@acme.example',
    email: 'ona@acme.example',
    displayName: 'Ona Oak',
    managerId: 'boss@acme.example',
    accounts: { 'google-workspace': ona.id },
    lastActiveAt: '2025-05-01T08:00:00.000Z',
  });
  expect(accounts.get('pia@acme.example')).toEqual({
    subjectId: 'pia@acme.example',
    userName: 'pia@acme.example',
    email: 'pia@acme.example',
    managerId: 'boss@acme.example',
    accounts: { 'google-workspace': pia.id },
    lastActiveAt: '2024-01-02T03:04:05.000Z',
  });
  // Never signed in: Google's epoch is no last activity.
  expect(accounts.get('quin@acme.example')).toEqual({
    subjectId: 'quin@acme.example',
    userName: 'quin@acme.example',
    email: 'quin@acme.example',
    accounts: { 'google-workspace': quin.id },
  });

  // The review stores only subjectId, userName and accounts, and revokes with them.
  const { subjectId, userName, accounts: ids } = accounts.get('ona@acme.example')!;
  expect(
    await adapter.removeEntitlement!({
      subject: { subjectId, userName, accounts: ids },
      entitlement: { kind: 'group', id: 'audit@acme.example' },
    }),
  ).toEqual({ outcome: 'done' });
  expect(fake.groups.get('audit@acme.example')!.members.has('ona@acme.example')).toBe(false);
});

it('classifies a quota error or a 429 while paging users as retryable throttling, and the same cursor then resumes', async () => {
  const first = await adapter.listAccounts!({ limit: 2 });
  expect(first.nextCursor).toBeDefined();
  fake.exceedQuotaNext(1);
  expect(await pageFailure(adapter.listAccounts!({ cursor: first.nextCursor, limit: 2 }))).toMatchObject({
    type: 'PlatformThrottled',
    nonRetryable: false,
  });
  fake.directory.failNext(1, 429, { 'Retry-After': '3' });
  expect(await pageFailure(adapter.listAccounts!({ cursor: first.nextCursor, limit: 2 }))).toMatchObject({
    type: 'PlatformThrottled',
    nonRetryable: false,
    nextRetryDelay: 3000,
  });
  const resumed = await adapter.listAccounts!({ cursor: first.nextCursor, limit: 2 });
  expect(resumed.accounts.map((a) => a.userName)).toEqual(
    [...fake.users.values()].slice(2, 4).map((u) => u.primaryEmail),
  );
});

it("classifies Google's 403 quota errors and 429 Retry-After as retryable throttling", async () => {
  fake.addUser('ida@acme.example');
  fake.exceedQuotaNext(1);
  const quota = await activityFailure(run('disableAccount', { subject: subject('ida') }));
  expect(quota).toMatchObject({ type: 'PlatformThrottled', nonRetryable: false });
  fake.directory.failNext(1, 429, { 'Retry-After': '3' });
  const throttled = await activityFailure(run('disableAccount', { subject: subject('ida') }));
  expect(throttled).toMatchObject({ type: 'PlatformThrottled', nonRetryable: false, nextRetryDelay: 3000 });
  expect(await run('disableAccount', { subject: subject('ida') })).toEqual({ outcome: 'done' });
});

it('rejects an entitlement that is not a group, and a key Google would not accept, as non-retryable without leaking the key', async () => {
  await expect(
    adapter.addEntitlement!({ subject: subject('ida'), entitlement: { kind: 'license', id: 'x' } }),
  ).rejects.toMatchObject({ kind: 'invalid' });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const wrongEnv = {
    GW_KEY: JSON.stringify({ client_email: 'intruder@evil.iam.gserviceaccount.com', private_key: other }),
  };
  const wrong = platformHarness('google-workspace', googleWorkspaceAdapterFactory, () => connection, wrongEnv);
  const err = await activityFailure(wrong.run('disableAccount', { subject: subject('ida') }));
  expect(err).toMatchObject({ type: 'PlatformForbidden', nonRetryable: true });
  expect(err.message).not.toContain('PRIVATE KEY');
  expect(err.message).toBe('google-workspace token request was rejected with 400');
});
