/**
 * The Okta adapter's real client code, run through createPlatformActivities in
 * MockActivityEnvironment, against a CONTRACT FAKE of the Okta Management API
 * (test/fakes/okta.ts): no Okta emulator exists, so the fake follows the published
 * API and the tests check the effects on its state.
 */
import { toActivityFailure } from '../activities/errors';
import { oktaAdapterFactory } from '../activities/platforms/okta';
import { CAPABILITIES, type PlatformConnection, type Subject } from '../shared';
import { FakeOkta, type FakeOktaApp, type FakeOktaUser } from './fakes/okta';
import { everyPage } from './support/pages';
import { activityFailure, implementedActions, platformHarness } from './support/platform-harness';

const API_TOKEN = '00okta-ssws-t0ken';
let org: FakeOkta;
let tokenVar = 'OKTA_API_TOKEN';
const okta = platformHarness(
  'okta',
  oktaAdapterFactory,
  () => ({ platform: 'okta', baseUrl: org.http.baseUrl, credentials: { apiToken: `env:${tokenVar}` } }),
  {
    OKTA_API_TOKEN: API_TOKEN,
    OLD_TOKEN: 'revoked-okta-t0ken',
  },
);

beforeAll(async () => {
  org = await new FakeOkta(API_TOKEN).start();
});
afterAll(() => org.stop());
afterEach(() => {
  tokenVar = 'OKTA_API_TOKEN';
});

const subjectOf = (user: FakeOktaUser): Subject => ({
  subjectId: `hr-${user.id.slice(3, 9)}`,
  userName: user.profile.login,
});

it('implements exactly the Okta capability catalogue', () => {
  const adapter = oktaAdapterFactory(
    { platform: 'okta', baseUrl: 'http://127.0.0.1:9', credentials: { apiToken: 'env:X' } },
    () => 'unused',
  );
  expect(implementedActions(adapter).sort()).toEqual([...CAPABILITIES.okta].sort());
});

describe('offboarding a leaver', () => {
  it('deactivates (not suspends), clears sessions with OAuth tokens, and removes groups (paged), admin role and apps; a repeat is already done', async () => {
    const leaver = org.addUser('leaver@acme.test', { roles: [{ id: 'ra-helpdesk', type: 'HELP_DESK_ADMIN' }] });
    const groups = ['eng', 'vpn', 'wiki', 'sales', 'crm'].map((name) => org.addGroup(name, [leaver.id]));
    const app = org.addApp('Salesforce', { assigned: new Set([leaver.id]) });
    const subject = subjectOf(leaver);

    await expect(okta.run('disableAccount', { subject })).resolves.toEqual({ outcome: 'done' });
    await expect(okta.run('revokeSessions', { subject })).resolves.toEqual({ outcome: 'done' });
    const removed = await okta.run('removeAllEntitlements', { subject });

    expect(leaver.status).toBe('DEPROVISIONED');
    expect(leaver.sessionClears).toEqual([{ oauthTokens: true }]);
    expect(removed.data?.removed.map((e) => `${e.kind}:${e.id}`).sort()).toEqual(
      [...groups.map((g) => `group:${g.id}`), 'role:ra-helpdesk', `app:${app.id}`].sort(),
    );
    expect(groups.filter((g) => g.members.has(leaver.id))).toEqual([]);
    expect(org.groups.get('everyone')!.members.has(leaver.id)).toBe(true); // built-in, not an entitlement
    expect(leaver.roles).toEqual([]);
    expect(app.assigned.size).toBe(0);
    // Six groups (with Everyone) at two per page: the adapter followed Link rel="next".
    expect(
      org.http.requests.filter((r) => r.path === `/api/v1/users/${leaver.id}/groups`).length,
    ).toBeGreaterThanOrEqual(3);

    await expect(okta.run('disableAccount', { subject })).resolves.toEqual({ outcome: 'already-done' });
    await expect(okta.run('removeAllEntitlements', { subject })).resolves.toEqual({
      outcome: 'already-done',
      data: { removed: [] },
    });
  });

  it('leaves directory-mastered groups and group-assigned roles alone (they follow the groups), removing the rest', async () => {
    const leaver = org.addUser('ad-user@acme.test', {
      roles: [
        { id: 'ra-group', type: 'ORG_ADMIN', assignmentType: 'GROUP' },
        { id: 'ra-user', type: 'REPORT_ADMIN' },
      ],
    });
    const adGroup = org.addGroup('AD: Finance', [leaver.id], 'APP_GROUP');
    const result = await okta.run('removeAllEntitlements', { subject: subjectOf(leaver) });
    expect(result.data?.removed).toEqual([{ kind: 'role', id: 'ra-user', name: 'REPORT_ADMIN' }]);
    expect(leaver.roles.map((r) => r.id)).toEqual(['ra-group']);
    expect(adGroup.members.has(leaver.id)).toBe(true);
  });

  it("deletes in Okta's two steps from an active user, and a second delete is already done", async () => {
    const leaver = org.addUser('gone@acme.test');
    await expect(okta.run('deleteAccount', { subject: subjectOf(leaver) })).resolves.toEqual({ outcome: 'done' });
    expect(org.users.has(leaver.id)).toBe(false);
    await expect(okta.run('deleteAccount', { subject: subjectOf(leaver) })).resolves.toEqual({
      outcome: 'already-done',
    });
  });

  it('revokes the API tokens and OAuth grants a leaver owns, and leaves others alone', async () => {
    const leaver = org.addUser('tokens@acme.test', {
      grants: [
        {
          id: 'oag1',
          status: 'ACTIVE',
          clientId: 'cli-1',
          scopeId: 'okta.users.read',
          created: '2026-01-01T00:00:00.000Z',
        },
      ],
    });
    const other = org.addUser('other@acme.test');
    for (const [id, userId] of [
      ['tok-a', leaver.id],
      ['tok-b', other.id],
      ['tok-c', leaver.id],
    ] as const) {
      org.apiTokens.set(id, { id, name: `token ${id}`, userId, created: '2025-06-01T00:00:00.000Z' });
    }
    const listed = await okta.run('listCredentials', { subject: subjectOf(leaver) });
    expect(listed.data?.map((c) => `${c.kind}:${c.id}`)).toEqual([
      'api-token:tok-a',
      'api-token:tok-c',
      'oauth-grant:oag1',
    ]);
    expect(listed.data?.[0]).toEqual({
      platform: 'okta',
      id: 'tok-a',
      kind: 'api-token',
      ownerId: leaver.id,
      status: 'active',
      createdAt: '2025-06-01T00:00:00.000Z',
      description: 'token tok-a',
    });

    for (const credential of listed.data!) {
      await expect(okta.run('deleteCredential', { ownerId: leaver.id, credentialId: credential.id })).resolves.toEqual({
        outcome: 'done',
      });
      await expect(okta.run('deleteCredential', { ownerId: leaver.id, credentialId: credential.id })).resolves.toEqual({
        outcome: 'already-done',
      });
    }
    expect([...org.apiTokens.keys()]).toEqual(['tok-b']);
    expect(leaver.grants[0]!.status).toBe('REVOKED');
    expect(
      await activityFailure(okta.run('deactivateCredential', { ownerId: other.id, credentialId: 'tok-b' })),
    ).toMatchObject({ type: 'UnsupportedAction', nonRetryable: true });
  });

  it('lists and unlinks identity-provider links', async () => {
    const user = org.addUser('federated@acme.test');
    org.idpLinks.set('0oaAzureIdp', new Map([[user.id, 'aad|1234']]));
    const subject = subjectOf(user);
    await expect(okta.run('listFederationLinks', { subject })).resolves.toEqual({
      outcome: 'done',
      data: [{ providerId: '0oaAzureIdp', externalUserId: 'aad|1234' }],
    });
    await expect(okta.run('removeFederationLink', { subject, providerId: '0oaAzureIdp' })).resolves.toEqual({
      outcome: 'done',
    });
    expect(org.idpLinks.get('0oaAzureIdp')!.size).toBe(0);
    await expect(okta.run('removeFederationLink', { subject, providerId: '0oaAzureIdp' })).resolves.toEqual({
      outcome: 'already-done',
    });
  });
});

describe('joiners and movers', () => {
  it('creates an active user in a group with a role once; a repeat is already done', async () => {
    const group = org.addGroup('new-starters');
    const subject: Subject = {
      subjectId: 'hr-9',
      userName: 'joiner@acme.test',
      displayName: 'Jo Iner',
      email: 'jo@acme.test',
    };
    const entitlements = [
      { kind: 'group' as const, id: group.id },
      { kind: 'role' as const, id: 'READ_ONLY_ADMIN' },
    ];
    const first = await okta.run('createAccount', { subject, entitlements });
    const user = org.userByLogin('joiner@acme.test')!;
    expect(first).toEqual({ outcome: 'done', data: { accountId: user.id } });
    expect(user).toMatchObject({
      status: 'ACTIVE',
      profile: { login: 'joiner@acme.test', email: 'jo@acme.test', firstName: 'Jo', lastName: 'Iner' },
    });
    expect(group.members.has(user.id)).toBe(true);
    expect(user.roles.map((r) => r.type)).toEqual(['READ_ONLY_ADMIN']);
    await expect(okta.run('createAccount', { subject, entitlements })).resolves.toEqual({
      outcome: 'already-done',
      data: { accountId: user.id },
    });
  });

  it('updates the profile, unsuspends, and adds/removes a group and a role by type idempotently', async () => {
    const user = org.addUser('mover@acme.test', { status: 'SUSPENDED' });
    const group = org.addGroup('platform');
    const subject = { ...subjectOf(user), accounts: { okta: user.id } };
    await expect(okta.run('updateAccount', { subject, changes: { displayName: 'Mo Ver' } })).resolves.toEqual({
      outcome: 'done',
    });
    await expect(okta.run('updateAccount', { subject, changes: { displayName: 'Mo Ver' } })).resolves.toEqual({
      outcome: 'already-done',
    });
    expect(user.profile.displayName).toBe('Mo Ver');
    await expect(okta.run('enableAccount', { subject })).resolves.toEqual({ outcome: 'done' });
    await expect(okta.run('enableAccount', { subject })).resolves.toEqual({ outcome: 'already-done' });
    expect(user.status).toBe('ACTIVE');

    for (const entitlement of [
      { kind: 'group' as const, id: group.id },
      { kind: 'role' as const, id: 'APP_ADMIN' },
    ]) {
      await expect(okta.run('addEntitlement', { subject, entitlement })).resolves.toEqual({ outcome: 'done' });
      await expect(okta.run('addEntitlement', { subject, entitlement })).resolves.toEqual({ outcome: 'already-done' });
      await expect(okta.run('removeEntitlement', { subject, entitlement })).resolves.toEqual({ outcome: 'done' });
      await expect(okta.run('removeEntitlement', { subject, entitlement })).resolves.toEqual({
        outcome: 'already-done',
      });
    }
    expect(group.members.has(user.id)).toBe(false);
    expect(user.roles).toEqual([]);
  });
});

describe('service app client secrets', () => {
  it('rotates a secret: the new one goes only to the secret store; the old one is deactivated, then deleted', async () => {
    const app = org.addApp('billing-daemon');
    app.secrets.push({
      id: 'ocs-old',
      status: 'ACTIVE',
      created: '2025-01-01T00:00:00.000Z',
      client_secret: 'old-secret-value',
    });

    const created = await okta.run('createCredential', {
      ownerId: app.id,
      kind: 'client-secret',
      secretName: 'billing/client-secret',
      idempotencyKey: 'rot-1',
    });
    const issued = app.secrets[1]!;
    expect(created.data?.credential).toMatchObject({
      platform: 'okta',
      id: issued.id,
      kind: 'client-secret',
      ownerId: app.id,
      status: 'active',
    });
    expect(JSON.stringify(created)).not.toContain(issued.client_secret);
    expect(okta.secrets.stagesOf(created.data!.secretRef)).toEqual(['pending']);
    await expect(okta.secrets.reveal(created.data!.secretRef)).resolves.toBe(issued.client_secret);

    await expect(okta.run('deactivateCredential', { ownerId: app.id, credentialId: 'ocs-old' })).resolves.toEqual({
      outcome: 'done',
    });
    await expect(okta.run('deactivateCredential', { ownerId: app.id, credentialId: 'ocs-old' })).resolves.toEqual({
      outcome: 'already-done',
    });
    await expect(okta.run('deleteCredential', { ownerId: app.id, credentialId: 'ocs-old' })).resolves.toEqual({
      outcome: 'done',
    });
    await expect(okta.run('deleteCredential', { ownerId: app.id, credentialId: 'ocs-old' })).resolves.toEqual({
      outcome: 'already-done',
    });
    await expect(okta.run('deleteCredential', { ownerId: '0oaDeletedApp', credentialId: 'ocs-old' })).resolves.toEqual({
      outcome: 'already-done',
    });
    expect(app.secrets.map((s) => s.id)).toEqual([issued.id]);
    await expect(okta.run('listCredentials', { ownerId: app.id })).resolves.toMatchObject({
      data: [{ id: issued.id, kind: 'client-secret', status: 'active' }],
    });
  });

  it('deletes an active secret by deactivating it first, and disables the service app once', async () => {
    const app = org.addApp('legacy-daemon');
    app.secrets.push({ id: 'ocs-live', status: 'ACTIVE', created: '2025-01-01T00:00:00.000Z', client_secret: 'live' });
    await expect(okta.run('deleteCredential', { ownerId: app.id, credentialId: 'ocs-live' })).resolves.toEqual({
      outcome: 'done',
    });
    expect(app.secrets).toEqual([]);
    await expect(okta.run('disableServiceAccount', { serviceAccountId: app.id })).resolves.toEqual({ outcome: 'done' });
    expect(app.status).toBe('INACTIVE');
    await expect(okta.run('disableServiceAccount', { serviceAccountId: app.id })).resolves.toEqual({
      outcome: 'already-done',
    });
  });
});

describe('failure classification', () => {
  it('honours X-Rate-Limit-Reset on a 429 as the retry delay', async () => {
    const user = org.addUser('busy@acme.test');
    const reset = Math.floor(Date.now() / 1000) + 20;
    org.http.failNext(1, 429, {
      'X-Rate-Limit-Limit': '600',
      'X-Rate-Limit-Remaining': '0',
      'X-Rate-Limit-Reset': String(reset),
    });
    const failure = await activityFailure(okta.run('disableAccount', { subject: subjectOf(user) }));
    expect(failure).toMatchObject({ type: 'PlatformThrottled', nonRetryable: false });
    expect(failure.nextRetryDelay).toBeGreaterThanOrEqual(19_000);
    expect(failure.nextRetryDelay).toBeLessThanOrEqual(21_000);
    expect(user.status).toBe('ACTIVE');
  });

  it('does not retry a 403, an unknown user, or a revoked API token (which it never echoes); retries a 500', async () => {
    const user = org.addUser('perm@acme.test');
    org.http.failNext(1, 403);
    expect(await activityFailure(okta.run('revokeSessions', { subject: subjectOf(user) }))).toMatchObject({
      type: 'PlatformForbidden',
      nonRetryable: true,
    });
    expect(
      await activityFailure(okta.run('revokeSessions', { subject: { subjectId: 'x', userName: 'nobody@acme.test' } })),
    ).toMatchObject({ type: 'PlatformNotFound', nonRetryable: true });
    org.http.failNext(1, 500);
    expect(await activityFailure(okta.run('revokeSessions', { subject: subjectOf(user) }))).toMatchObject({
      type: 'PlatformServerError',
      nonRetryable: false,
    });
    expect(user.sessionClears).toEqual([]);

    tokenVar = 'OLD_TOKEN';
    const rejected = await activityFailure(okta.run('disableAccount', { subject: subjectOf(user) }));
    expect(rejected).toMatchObject({ type: 'PlatformForbidden', nonRetryable: true });
    expect(rejected.message).not.toContain('revoked-okta-t0ken');
  });
});

describe('tenant-wide inventories (access reviews, rotation campaigns)', () => {
  // A fresh org per test: an inventory lists everything in it.
  let tenant: FakeOkta;
  const connection = (): PlatformConnection => ({
    platform: 'okta',
    baseUrl: tenant.http.baseUrl,
    credentials: { apiToken: 'env:OKTA_API_TOKEN' },
  });
  const inventory = platformHarness('okta', oktaAdapterFactory, connection, { OKTA_API_TOKEN: API_TOKEN });
  const adapter = () => oktaAdapterFactory(connection(), () => API_TOKEN);
  const gets = (path: string) => tenant.http.requests.filter((r) => r.method === 'GET' && r.path === path).length;
  const secret = (id: string, status: FakeOktaApp['secrets'][number]['status'] = 'ACTIVE') => ({
    id,
    status,
    created: '2026-01-01T00:00:00.000Z',
    client_secret: `value-${id}`,
  });
  const addTokens = (entries: [id: string, userId: string][]) => {
    for (const [id, userId] of entries)
      tenant.apiTokens.set(id, { id, name: `token ${id}`, userId, created: '2025-06-01T00:00:00.000Z' });
  };

  beforeEach(async () => {
    tenant = await new FakeOkta(API_TOKEN).start();
  });
  afterEach(() => tenant.stop());

  it('lists every user, `limit` a page, with subject id, manager and last sign-in, leaving deactivated users out', async () => {
    tenant.pageSize = 200; // Okta's largest page: the adapter's limit decides
    const boss = tenant.addUser('boss@acme.test', {
      profile: { employeeNumber: 'E100', displayName: 'Big Boss' },
      lastLogin: '2026-03-01T09:00:00.000Z',
    });
    const reports = ['ann', 'bob', 'cat', 'dan', 'eve'].map((name, i) =>
      tenant.addUser(`${name}@acme.test`, {
        profile: { employeeNumber: `E10${i + 1}`, managerId: 'E100', firstName: name, lastName: 'Smith' },
        lastLogin: `2026-02-0${i + 1}T08:00:00.000Z`,
      }),
    );
    const contractor = tenant.addUser('contractor@partner.test', {
      profile: { email: 'c@partner.test', manager: 'boss@acme.test' },
    }); // never signed in
    tenant.addUser('leaver@acme.test', { status: 'DEPROVISIONED', profile: { employeeNumber: 'E999' } });
    const wiki = tenant.addGroup('wiki', [reports[0]!.id]);

    const okta = adapter();
    const pages = (await everyPage((cursor) => okta.listAccounts!({ cursor, limit: 3 }))).map((p) => p.accounts);

    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(gets('/api/v1/users')).toBe(3);
    const accounts = pages.flat();
    expect(accounts.map((a) => a.subjectId)).toEqual([
      'E100',
      'E101',
      'E102',
      'E103',
      'E104',
      'E105',
      'contractor@partner.test',
    ]);
    expect(accounts[0]).toEqual({
      subjectId: 'E100',
      userName: 'boss@acme.test',
      email: 'boss@acme.test',
      displayName: 'Big Boss',
      lastActiveAt: '2026-03-01T09:00:00.000Z',
      accounts: { okta: boss.id },
    });
    expect(accounts[1]).toEqual({
      subjectId: 'E101',
      userName: 'ann@acme.test',
      email: 'ann@acme.test',
      displayName: 'ann Smith',
      managerId: 'E100',
      lastActiveAt: '2026-02-01T08:00:00.000Z',
      accounts: { okta: reports[0]!.id },
    });
    expect(accounts.slice(1, 6).map((a) => [a.managerId, a.accounts?.okta])).toEqual(
      reports.map((r) => ['E100', r.id]),
    );
    expect(accounts[6]).toEqual({
      subjectId: 'contractor@partner.test',
      userName: 'contractor@partner.test',
      email: 'c@partner.test',
      displayName: 'Test User',
      managerId: 'boss@acme.test',
      accounts: { okta: contractor.id },
    });
    // A listed account is a subject the review's next step can act on.
    await expect(inventory.run('listEntitlements', { subject: accounts[1]! })).resolves.toMatchObject({
      data: [{ kind: 'group', id: wiki.id }],
    });
    // A cursor is followed only on the org's origin (the SSWS token would go with it).
    await expect(
      okta.listAccounts!({ cursor: 'https://attacker.example/api/v1/users?after=3', limit: 3 }),
    ).rejects.toMatchObject({ kind: 'invalid' });
  });

  it("lists every API token, then every service app's client secrets, through the Link-paged listings, as listCredentials by owner lists them", async () => {
    const admin = tenant.addUser('admin@acme.test');
    const robot = tenant.addUser('robot@acme.test');
    addTokens([
      ['tok-1', admin.id],
      ['tok-2', robot.id],
      ['tok-3', admin.id],
    ]);
    const billing = tenant.addApp('billing-daemon', { secrets: [secret('ocs-b1', 'INACTIVE'), secret('ocs-b2')] });
    const reporting = tenant.addApp('reporting-daemon', { secrets: [secret('ocs-r1')] });
    tenant.addApp('jwt-daemon'); // authenticates with a key: no secrets
    const portal = tenant.addApp('customer-portal', { applicationType: 'web', secrets: [secret('ocs-web')] });
    const sso = tenant.addApp('Salesforce', { name: 'salesforce' });
    const nightly = tenant.addApp('nightly-export', { secrets: [secret('ocs-n1')] });

    const listed = (await inventory.run('listCredentials', {})).data!;

    expect(listed.map((c) => `${c.kind}:${c.id}:${c.ownerId}:${c.status}`)).toEqual([
      `api-token:tok-1:${admin.id}:active`,
      `api-token:tok-2:${robot.id}:active`,
      `api-token:tok-3:${admin.id}:active`,
      `client-secret:ocs-b1:${billing.id}:inactive`,
      `client-secret:ocs-b2:${billing.id}:active`,
      `client-secret:ocs-r1:${reporting.id}:active`,
      `client-secret:ocs-n1:${nightly.id}:active`,
    ]);
    // Two per page: three tokens took two pages, the five OIDC apps three (the SAML app filtered out by Okta).
    expect(gets('/api/v1/api-tokens')).toBe(2);
    expect(gets('/api/v1/apps')).toBe(3);
    expect(
      gets(`/api/v1/apps/${portal.id}/credentials/secrets`) + gets(`/api/v1/apps/${sso.id}/credentials/secrets`),
    ).toBe(0);
    // The same records (ids, owners) that rotation then acts on by owner.
    expect(listed.filter((c) => c.ownerId === billing.id)).toEqual(
      (await inventory.run('listCredentials', { ownerId: billing.id })).data,
    );
    expect(listed.filter((c) => c.ownerId === admin.id)).toEqual(
      (await inventory.run('listCredentials', { ownerId: admin.id })).data,
    );
    await expect(
      adapter().listCredentialsPage!({ cursor: `${tenant.http.baseUrl}/api/v1/apps`, limit: 2 }),
    ).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('fails a listing throttled mid-way as PlatformThrottled, retried after X-Rate-Limit-Reset', async () => {
    const owner = tenant.addUser('owner@acme.test');
    addTokens([
      ['tok-1', owner.id],
      ['tok-2', owner.id],
      ['tok-3', owner.id],
    ]);
    tenant.limitRate('/api/v1/api-tokens', 1, 20);

    const failure = await activityFailure(inventory.run('listCredentials', {}));
    expect(failure).toMatchObject({ type: 'PlatformThrottled', nonRetryable: false });
    expect(failure.nextRetryDelay).toBeGreaterThanOrEqual(19_000);
    expect(failure.nextRetryDelay).toBeLessThanOrEqual(21_000);
    expect(gets('/api/v1/api-tokens')).toBe(2); // the first page went through, the second was refused
  });

  it('resumes listAccounts from its cursor after a 429, missing and repeating no one', async () => {
    const logins = ['a', 'b', 'c', 'd', 'e'].map((n) => tenant.addUser(`${n}@acme.test`).profile.login);
    tenant.limitRate('/api/v1/users', 1, 20);
    const okta = adapter();

    const first = await okta.listAccounts!({ limit: 2 });
    const throttled: unknown = await okta.listAccounts!({ cursor: first.nextCursor, limit: 2 }).catch(
      (err: unknown) => err,
    );
    // What the access review's collection step turns it into.
    expect(toActivityFailure(throttled)).toMatchObject({ type: 'PlatformThrottled', nonRetryable: false });

    tenant.rateLimits.delete('/api/v1/users'); // the window reset
    const accounts = [...first.accounts];
    for (let cursor = first.nextCursor; cursor;) {
      const page = await okta.listAccounts!({ cursor, limit: 2 });
      accounts.push(...page.accounts);
      cursor = page.nextCursor;
    }
    expect(accounts.map((a) => a.userName)).toEqual(logins);
  });
});
