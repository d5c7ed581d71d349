/**
 * The GitHub adapter's real client code against a CONTRACT FAKE of the GitHub REST
 * API (test/fakes/github.ts): effects are checked on the fake organisation's state.
 */
import { generateKeyPairSync } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { toActivityFailure } from '../activities/errors';
import { githubAdapterFactory } from '../activities/platforms/github';
import { createPlatformActivities } from '../activities/platform-activities';
import type { PlatformAdapter } from '../activities/platforms/adapter';
import { CAPABILITIES, type PlatformConnection, type Subject } from '../shared';
import { GitHubFake } from './fakes/github';
import { everyPage } from './support/pages';
import { activityFailure, implementedActions, platformHarness } from './support/platform-harness';
import { bundleWorkflows, testTemporal, uniqueQueue } from './support/servers';
import type { platformStep } from './workflows/platform-step';

const TOKEN = 'github_pat_11AAAAAAA0123456789';
const appKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const env = { GH_TOKEN: TOKEN, GH_APP_KEY: appKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
const readSecret = (ref: string) => env[ref.slice(4) as keyof typeof env];
const fake = new GitHubFake('acme', TOKEN, {
  appId: '123456',
  installationId: '987',
  publicKeyPem: appKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
});
/** The recommended setup: the adapter authenticates as a GitHub App installation. */
let connection: PlatformConnection;
/** An org owner's personal access token instead. */
let patConnection: PlatformConnection;
let adapter: PlatformAdapter;
const { run } = platformHarness('github', githubAdapterFactory, () => connection, env);

beforeAll(async () => {
  const http = await fake.start();
  connection = {
    platform: 'github',
    baseUrl: http.baseUrl,
    settings: { org: 'acme', appId: '123456', installationId: '987' },
    credentials: { appPrivateKey: 'env:GH_APP_KEY' },
  };
  patConnection = {
    platform: 'github',
    baseUrl: http.baseUrl,
    settings: { org: 'acme' },
    credentials: { token: 'env:GH_TOKEN' },
  };
  adapter = githubAdapterFactory(connection, readSecret);
});
afterAll(() => fake.http.stop());

const subject = (login: string): Subject => ({ subjectId: `hr-${login}`, userName: login });
/** What the access review's collection throws for a failed page: the PlatformError classified as an activity failure. */
const pageFailure = (page: Promise<unknown>) =>
  activityFailure(page.catch((err: unknown) => Promise.reject(toActivityFailure(err))));
const activeMembers = () => [...fake.members].filter(([, m]) => m.state === 'active').map(([login]) => login);

it('implements exactly its catalogue actions', () => {
  expect(implementedActions(adapter).sort()).toEqual([...CAPABILITIES.github].sort());
});

it('authenticates as the GitHub App installation, and renews an installation token GitHub revoked', async () => {
  fake.addUser('abe', { role: 'member' });
  expect((await adapter.listEntitlements!({ subject: subject('abe') })).outcome).toBe('done');
  expect(fake.installationTokens.size).toBe(1);
  fake.installationTokens.clear();
  expect((await adapter.listEntitlements!({ subject: subject('abe') })).outcome).toBe('done');
  expect(fake.installationTokens.size).toBe(1);
});

it("with an owner's token, lists what GitHub shows it and says that fine-grained PAT grants stay hidden", async () => {
  fake.addUser('ben', { role: 'member' });
  const sso = fake.addCredentialAuthorization('ben', 'personal access token', 'classic');
  fake.addFineGrainedGrant('ben', 'hidden-from-pats');
  const withPat = githubAdapterFactory(patConnection, readSecret);
  const listed = await withPat.listCredentials!({ subject: subject('ben') });
  expect(listed.data!.map((c) => c.id)).toEqual([`sso:${sso}`]);
  expect(listed.detail).toMatch(/fine-grained PAT grants not visible/);
  const revoked = await withPat.revokeSessions!({ subject: subject('ben') });
  expect(revoked).toMatchObject({
    outcome: 'done',
    detail: expect.stringMatching(/^1 token authorizations revoked; fine-grained PAT grants not visible/),
  });
  expect(fake.fineGrainedGrants.some((g) => g.owner.login === 'ben')).toBe(true);
});

it('invites a joiner to the org with their teams once', async () => {
  fake.addUser('ada');
  fake.addTeam('platform');
  const created = await adapter.createAccount!({
    subject: subject('ada'),
    entitlements: [{ kind: 'team', id: 'platform' }],
  });
  expect(created).toEqual({ outcome: 'done', data: { accountId: 'ada' } });
  expect(fake.invitations).toEqual([
    { invitee_id: fake.users.get('ada'), role: 'direct_member', team_ids: [fake.teams.get('platform')!.id] },
  ]);
  expect(fake.members.get('ada')).toMatchObject({ state: 'pending' });
  expect(await adapter.createAccount!({ subject: subject('ada') })).toEqual({
    outcome: 'already-done',
    data: { accountId: 'ada' },
  });
  expect(fake.invitations).toHaveLength(1);
});

it('removes a member from the org, and reports a repeat as already done', async () => {
  fake.addUser('bob', { role: 'member' });
  expect(await adapter.disableAccount!({ subject: subject('bob') })).toEqual({ outcome: 'done' });
  expect(fake.members.has('bob')).toBe(false);
  expect(await adapter.disableAccount!({ subject: subject('bob') })).toEqual({ outcome: 'already-done' });
});

it('lists teams over several pages, the owner role and outside-collaborator access, and removes them all once', async () => {
  fake.addUser('cy', { role: 'admin' });
  for (const slug of ['t1', 't2', 't3', 't4', 't5']) fake.addTeam(slug, slug === 't2' || slug === 't5' ? ['cy'] : []);
  ['x1', 'x2', 'cy'].forEach((c) => fake.outsideCollaborators.add(c));
  const { data } = await adapter.listEntitlements!({ subject: subject('cy') });
  expect(data!.map((e) => `${e.kind}:${e.id}`)).toEqual([
    'role:org-owner',
    'team:t2',
    'team:t5',
    'org-membership:outside-collaborator',
  ]);

  const removed = await adapter.removeAllEntitlements!({ subject: subject('cy') });
  expect(removed.data!.removed).toHaveLength(4);
  expect(fake.members.get('cy')!.role).toBe('member');
  expect(fake.teams.get('t2')!.members.has('cy')).toBe(false);
  expect(fake.outsideCollaborators.has('cy')).toBe(false);
  expect(await adapter.removeAllEntitlements!({ subject: subject('cy') })).toEqual({
    outcome: 'already-done',
    data: { removed: [] },
  });
  expect(await adapter.removeEntitlement!({ subject: subject('cy'), entitlement: { kind: 'team', id: 't5' } })).toEqual(
    { outcome: 'already-done' },
  );
  expect(await adapter.addEntitlement!({ subject: subject('cy'), entitlement: { kind: 'team', id: 't1' } })).toEqual({
    outcome: 'done',
  });
  expect(await adapter.addEntitlement!({ subject: subject('cy'), entitlement: { kind: 'team', id: 't1' } })).toEqual({
    outcome: 'already-done',
  });
});

it("finds a leaver's SSO-authorized tokens and keys, fine-grained PATs and deploy keys across repositories, and revokes each once", async () => {
  fake.addUser('dee', { role: 'member' });
  const sso = fake.addCredentialAuthorization('dee', 'SSH key', 'laptop');
  fake.addCredentialAuthorization('someone-else', 'personal access token', 'theirs');
  const pat = fake.addFineGrainedGrant('dee', 'ci-deploy');
  ['api', 'web', 'infra'].forEach((repo) => fake.addDeployKey(repo, `${repo}-bot`, 'other'));
  const key = fake.addDeployKey('infra', 'dee-prod-deploy', 'dee');

  const { data } = await run('listCredentials', { subject: subject('dee') });
  expect(data).toEqual([
    {
      platform: 'github',
      id: `sso:${sso}`,
      kind: 'ssh-key',
      ownerId: 'dee',
      status: 'active',
      createdAt: '2025-01-15T00:00:00Z',
      description: 'laptop',
    },
    {
      platform: 'github',
      id: `fine-grained-pat:${pat}`,
      kind: 'personal-access-token',
      ownerId: 'dee',
      status: 'active',
      createdAt: '2025-02-01T00:00:00Z',
      lastUsedAt: '2025-03-01T00:00:00Z',
      description: 'ci-deploy',
    },
    {
      platform: 'github',
      id: `deploy-key:infra/${key.id}`,
      kind: 'deploy-key',
      ownerId: 'dee',
      status: 'active',
      createdAt: '2025-01-02T03:04:05Z',
      description: 'dee-prod-deploy',
    },
  ]);
  for (const c of data!)
    expect(await run('deleteCredential', { ownerId: 'dee', credentialId: c.id })).toEqual({ outcome: 'done' });
  expect(fake.repos.get('infra')!.map((k) => k.title)).toEqual(['infra-bot']);
  expect(fake.fineGrainedGrants.some((g) => g.owner.login === 'dee')).toBe(false);
  expect(fake.credentialAuthorizations.map((a) => a.login)).toEqual(['someone-else']);
  for (const c of data!)
    expect(await run('deleteCredential', { ownerId: 'dee', credentialId: c.id })).toEqual({ outcome: 'already-done' });
  expect((await run('listCredentials', { ownerId: 'repo:api' })).data!.map((c) => c.description)).toEqual(['api-bot']);
});

it('revokes token access as its session revocation, and tolerates an org without SAML SSO', async () => {
  fake.addUser('eve', { role: 'member' });
  fake.addCredentialAuthorization('eve', 'personal access token', 'classic');
  fake.addFineGrainedGrant('eve', 'scripts');
  expect((await adapter.revokeSessions!({ subject: subject('eve') })).outcome).toBe('done');
  expect(fake.credentialAuthorizations.some((a) => a.login === 'eve')).toBe(false);
  expect(fake.fineGrainedGrants.some((g) => g.owner.login === 'eve')).toBe(false);
  expect((await adapter.revokeSessions!({ subject: subject('eve') })).outcome).toBe('already-done');
  fake.samlSso = false;
  try {
    expect((await adapter.revokeSessions!({ subject: subject('eve') })).outcome).toBe('already-done');
  } finally {
    fake.samlSso = true;
  }
});

it('deletes an account by removing membership and outside-collaborator access; a repeat is already done', async () => {
  fake.addUser('fay', { role: 'member' });
  fake.outsideCollaborators.add('fay');
  expect(await run('deleteAccount', { subject: subject('fay') })).toEqual({ outcome: 'done' });
  expect(fake.members.has('fay') || fake.outsideCollaborators.has('fay')).toBe(false);
  expect(await run('deleteAccount', { subject: subject('fay') })).toEqual({ outcome: 'already-done' });
});

it('lists the org members (not pending invitees) over several pages as accounts without a manager; a listed account resolves for revocation', async () => {
  ['kai', 'lea', 'max', 'ned', 'oli', 'pam', 'quy'].forEach((login) => fake.addUser(login, { role: 'member' }));
  fake.addUser('pia');
  fake.members.set('pia', { state: 'pending', role: 'member' });
  fake.addTeam('reviewed', ['lea']);

  const pages = (await everyPage((cursor) => adapter.listAccounts!({ cursor, limit: 3 }))).map((p) => p.accounts);
  expect(pages.length).toBeGreaterThanOrEqual(3);
  expect(pages.every((p) => p.length <= 3)).toBe(true);
  const accounts = pages.flat();
  expect(accounts.map((a) => a.userName)).toEqual(activeMembers());
  expect(accounts.map((a) => a.userName)).not.toContain('pia');
  expect(accounts.find((a) => a.userName === 'kai')).toEqual({
    subjectId: 'kai',
    userName: 'kai',
    accounts: { github: 'kai' },
  });

  const lea = accounts.find((a) => a.userName === 'lea')!;
  expect(await adapter.removeEntitlement!({ subject: lea, entitlement: { kind: 'team', id: 'reviewed' } })).toEqual({
    outcome: 'done',
  });
  expect(fake.teams.get('reviewed')!.members.has('lea')).toBe(false);
});

it("enumerates every fine-grained PAT the org approved, across pages, as the tenant-wide credential listing; an owner's token may not", async () => {
  const ids = ['ci', 'deploy', 'backup', 'docs', 'release'].map((name, i) =>
    fake.addFineGrainedGrant(i % 2 ? 'kai' : 'lea', name),
  );
  fake.fineGrainedGrants.find((g) => g.id === ids[4])!.token_expired = true;
  const before = fake.http.requests.length;
  const { data } = await run('listCredentials', {});
  expect(
    fake.http.requests.slice(before).filter((r) => r.path === '/orgs/acme/personal-access-tokens').length,
  ).toBeGreaterThanOrEqual(3);
  expect(data!.map((c) => c.id)).toEqual(fake.fineGrainedGrants.map((g) => `fine-grained-pat:${g.id}`));
  expect(data).toContainEqual({
    platform: 'github',
    id: `fine-grained-pat:${ids[1]}`,
    kind: 'personal-access-token',
    ownerId: 'kai',
    status: 'active',
    createdAt: '2025-02-01T00:00:00Z',
    lastUsedAt: '2025-03-01T00:00:00Z',
    description: 'deploy',
  });
  expect(data!.find((c) => c.id === `fine-grained-pat:${ids[4]}`)).toMatchObject({
    ownerId: 'lea',
    status: 'inactive',
  });

  const withPat = platformHarness('github', githubAdapterFactory, () => patConnection, env);
  expect(await activityFailure(withPat.run('listCredentials', {}))).toMatchObject({
    type: 'PlatformForbidden',
    nonRetryable: true,
  });
});

it('classifies a rate limit while paging as retryable at the time GitHub gives, resumes from the same cursor, and refuses a cursor to another origin', async () => {
  const first = await adapter.listAccounts!({ limit: 2 });
  expect(first.nextCursor).toBeDefined();
  fake.http.failNext(1, 403, {
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 30),
  });
  const primary = await pageFailure(adapter.listAccounts!({ cursor: first.nextCursor, limit: 2 }));
  expect(primary).toMatchObject({ type: 'PlatformThrottled', nonRetryable: false });
  expect(primary.nextRetryDelay).toBeGreaterThan(25_000);
  expect(primary.nextRetryDelay).toBeLessThanOrEqual(30_000);
  const resumed = await adapter.listAccounts!({ cursor: first.nextCursor, limit: 2 });
  expect(resumed.accounts.map((a) => a.userName)).toEqual(activeMembers().slice(2, 4));

  ['one', 'two', 'three'].forEach((name) => fake.addFineGrainedGrant('kai', name));
  const grants = await adapter.listCredentialsPage!({ limit: 2 });
  fake.http.failNext(1, 429, { 'retry-after': '5' });
  expect(await pageFailure(adapter.listCredentialsPage!({ cursor: grants.nextCursor, limit: 2 }))).toMatchObject({
    type: 'PlatformThrottled',
    nonRetryable: false,
    nextRetryDelay: 5000,
  });
  expect(
    (await adapter.listCredentialsPage!({ cursor: grants.nextCursor, limit: 2 })).credentials.map((c) => c.id),
  ).toEqual(fake.fineGrainedGrants.slice(2, 4).map((g) => `fine-grained-pat:${g.id}`));

  await expect(
    adapter.listAccounts!({ cursor: 'https://api.evil.example/orgs/acme/members?page=2', limit: 2 }),
  ).rejects.toMatchObject({ kind: 'invalid' });
});

describe('rate limits and failures through the platform activities', () => {
  const disable = () => activityFailure(run('disableAccount', { subject: subject('gus') }));
  beforeAll(() => fake.addUser('gus', { role: 'member' }));

  it('retries the primary rate limit (403, x-ratelimit-remaining 0) at x-ratelimit-reset', async () => {
    const reset = Math.floor(Date.now() / 1000) + 30;
    fake.http.failNext(1, 403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) });
    const err = await disable();
    expect(err).toMatchObject({ type: 'PlatformThrottled', nonRetryable: false });
    expect(err.nextRetryDelay).toBeGreaterThan(25_000);
    expect(err.nextRetryDelay).toBeLessThanOrEqual(30_000);
  });

  it('retries a secondary rate limit after its retry-after, on 403 or 429', async () => {
    fake.http.failNext(1, 403, { 'retry-after': '60' });
    expect(await disable()).toMatchObject({ type: 'PlatformThrottled', nonRetryable: false, nextRetryDelay: 60_000 });
    fake.http.failNext(1, 429, { 'retry-after': '5' });
    expect(await disable()).toMatchObject({ type: 'PlatformThrottled', nextRetryDelay: 5000 });
  });

  it('does not retry a plain 403 (missing permission), a bad token (401) or an unknown user', async () => {
    fake.http.failNext(1, 403);
    expect(await disable()).toMatchObject({ type: 'PlatformForbidden', nonRetryable: true });
    const wrongToken = platformHarness('github', githubAdapterFactory, () => patConnection, { GH_TOKEN: 'ghp_wrong' });
    const err = await activityFailure(wrongToken.run('disableAccount', { subject: subject('gus') }));
    expect(err).toMatchObject({ type: 'PlatformForbidden', nonRetryable: true });
    expect(err.message).not.toContain('ghp_wrong');
    expect(await activityFailure(run('createAccount', { subject: subject('nobody') }))).toMatchObject({
      type: 'PlatformNotFound',
      nonRetryable: true,
    });
    expect(await run('disableAccount', { subject: subject('gus') })).toEqual({ outcome: 'done' });
  });
});

it('is retried by Temporal at the rate-limit reset GitHub gave, not at the backoff of the retry policy', async () => {
  fake.addUser('hank', { role: 'member' });
  const temporal = await testTemporal();
  const taskQueue = uniqueQueue('github-retry');
  const worker = await Worker.create({
    connection: temporal.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflows(require.resolve('./workflows/platform-step')),
    activities: createPlatformActivities('github', {
      resolveAdapter: () => Promise.resolve(githubAdapterFactory(connection, readSecret)),
      resolveSecretStore: () => Promise.reject(new Error('not used')),
    }),
  });
  fake.http.failNext(1, 403, {
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1),
  });
  try {
    // An hour of backoff: only the delay from x-ratelimit-reset lets the retry happen within the test.
    const result = await worker.runUntil(
      temporal.client.workflow.execute<typeof platformStep>('platformStep', {
        taskQueue,
        workflowId: uniqueQueue('github-retry'),
        args: [
          {
            action: 'disableAccount',
            request: { tenantId: 'acme', subject: subject('hank') },
            initialInterval: '1 hour',
          },
        ],
      }),
    );
    expect(result).toEqual({ outcome: 'done', attempt: 2 }); // the second attempt, at GitHub's reset
    expect(fake.members.has('hank')).toBe(false);
  } finally {
    await temporal.close();
  }
});
