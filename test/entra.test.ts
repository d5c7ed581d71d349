/**
 * The Entra adapter's real Graph client code, run through createPlatformActivities in
 * MockActivityEnvironment, against a CONTRACT FAKE of Microsoft Graph v1.0
 * (test/fakes/entra-graph.ts): no Graph emulator exists, so the fake follows the
 * published API and the tests check the effects on its state.
 */
import { entraAdapterFactory } from '../activities/platforms/entra';
import { CAPABILITIES, type PlatformConnection, type Subject } from '../shared';
import { FakeGraph, type FakeUser } from './fakes/entra-graph';
import { everyPage } from './support/pages';
import { activityFailure, implementedActions, platformHarness } from './support/platform-harness';

const CLIENT_SECRET = 'entra-client-s3cret-value';
let graph: FakeGraph;
let clientSecretVar = 'ENTRA_CLIENT_SECRET';
const connection = (fake = graph): PlatformConnection => ({
  platform: 'entra',
  baseUrl: fake.graphUrl,
  settings: { tenantId: 'contoso.onmicrosoft.com', clientId: 'runbooks-app', authorityHost: fake.http.baseUrl },
  credentials: { clientSecret: `env:${clientSecretVar}` },
});
const entra = platformHarness('entra', entraAdapterFactory, connection, {
  ENTRA_CLIENT_SECRET: CLIENT_SECRET,
  WRONG_SECRET: 'not-the-secret',
});

beforeAll(async () => {
  graph = await new FakeGraph().start();
  graph.clients.set('runbooks-app', CLIENT_SECRET);
});
afterAll(() => graph.stop());
afterEach(() => {
  clientSecretVar = 'ENTRA_CLIENT_SECRET';
});

const subjectOf = (user: FakeUser): Subject => ({
  subjectId: `hr-${user.id.slice(0, 6)}`,
  userName: user.userPrincipalName,
});

it('implements exactly the Entra capability catalogue', () => {
  const adapter = entraAdapterFactory(connection(), () => 'unused');
  expect(implementedActions(adapter).sort()).toEqual([...CAPABILITIES.entra].sort());
});

describe('offboarding a leaver', () => {
  it('disables the account, revokes sign-in sessions and removes groups (paged), role and license; a repeat is already done', async () => {
    const leaver = graph.addUser('leaver@contoso.com', { licenses: new Set(['sku-e5']) });
    graph.skus.add('sku-e5');
    const groups = ['sales', 'vpn', 'wiki', 'crm', 'finance'].map((name) =>
      graph.addObject('group', name, { members: new Set([leaver.id]) }),
    );
    const role = graph.addObject('directoryRole', 'Helpdesk Administrator', { members: new Set([leaver.id]) });
    const subject = subjectOf(leaver);

    await expect(entra.run('disableAccount', { subject })).resolves.toEqual({ outcome: 'done' });
    await expect(entra.run('revokeSessions', { subject })).resolves.toEqual({ outcome: 'done' });
    const removed = await entra.run('removeAllEntitlements', { subject });

    expect(leaver.accountEnabled).toBe(false);
    expect(leaver.sessionRevocations).toBe(1);
    expect(removed.outcome).toBe('done');
    expect(removed.data?.removed.map((e) => `${e.kind}:${e.id}`).sort()).toEqual(
      [...groups.map((g) => `group:${g.id}`), `role:${role.id}`, 'license:sku-e5'].sort(),
    );
    expect([...groups, role].filter((g) => g.members.has(leaver.id))).toEqual([]);
    expect(leaver.licenses.size).toBe(0);
    // memberOf had 6 entries at 2 per page: the adapter followed @odata.nextLink.
    expect(
      graph.http.requests.filter((r) => r.path.endsWith(`/users/${leaver.id}/memberOf`)).length,
    ).toBeGreaterThanOrEqual(3);

    await expect(entra.run('disableAccount', { subject })).resolves.toEqual({ outcome: 'already-done' });
    await expect(entra.run('removeAllEntitlements', { subject })).resolves.toEqual({
      outcome: 'already-done',
      data: { removed: [] },
    });
  });

  it('leaves dynamic-group memberships and group-inherited licenses alone (they follow the user), removing the rest', async () => {
    const leaver = graph.addUser('dynamic@contoso.com', {
      licenses: new Set(['sku-visio']),
      inheritedLicenses: new Map([['sku-e5', 'licensing-group']]),
    });
    graph.skus.add('sku-visio');
    const dynamic = graph.addObject('group', 'all-staff (dynamic)', {
      members: new Set([leaver.id]),
      groupTypes: ['DynamicMembership'],
    });
    const result = await entra.run('removeAllEntitlements', { subject: subjectOf(leaver) });
    expect(result.data?.removed).toEqual([{ kind: 'license', id: 'sku-visio', name: 'SKU-sku-' }]);
    expect(leaver.licenses.size).toBe(0);
    expect([...leaver.inheritedLicenses.keys()]).toEqual(['sku-e5']);
    expect(dynamic.members.has(leaver.id)).toBe(true);
  });

  it('deletes the account, and a second delete is already done', async () => {
    const leaver = graph.addUser('gone@contoso.com');
    const group = graph.addObject('group', 'alumni', { members: new Set([leaver.id]) });
    await expect(entra.run('deleteAccount', { subject: subjectOf(leaver) })).resolves.toEqual({ outcome: 'done' });
    expect(graph.users.has(leaver.id)).toBe(false);
    expect(group.members.size).toBe(0);
    await expect(entra.run('deleteAccount', { subject: subjectOf(leaver) })).resolves.toEqual({
      outcome: 'already-done',
    });
  });

  it('hands every application, service principal and group the leaver owns to the new owner', async () => {
    const leaver = graph.addUser('owner@contoso.com');
    const manager = graph.addUser('manager@contoso.com');
    const owned = [
      graph.addObject('application', 'billing-sync', { owners: new Set([leaver.id]) }),
      graph.addObject('servicePrincipal', 'billing-sync', { owners: new Set([leaver.id]) }),
      graph.addObject('group', 'billing-team', { owners: new Set([leaver.id, manager.id]) }),
    ];
    const input = { subject: subjectOf(leaver), newOwner: subjectOf(manager) };
    await expect(entra.run('transferOwnership', input)).resolves.toEqual({ outcome: 'done' });
    expect(owned.map((o) => [...o.owners])).toEqual([[manager.id], [manager.id], [manager.id]]);
    await expect(entra.run('transferOwnership', input)).resolves.toEqual({ outcome: 'already-done' });
  });

  it('lists and removes a federated sign-in identity', async () => {
    const user = graph.addUser('guest@contoso.com', {
      identities: [
        { signInType: 'userPrincipalName', issuer: 'contoso.com', issuerAssignedId: 'guest@contoso.com' },
        { signInType: 'federated', issuer: 'facebook.com', issuerAssignedId: 'fb-123' },
      ],
    });
    const subject = subjectOf(user);
    await expect(entra.run('listFederationLinks', { subject })).resolves.toEqual({
      outcome: 'done',
      data: [{ providerId: 'facebook.com', externalUserId: 'fb-123' }],
    });
    await expect(entra.run('removeFederationLink', { subject, providerId: 'facebook.com' })).resolves.toEqual({
      outcome: 'done',
    });
    expect(user.identities.map((i) => i.signInType)).toEqual(['userPrincipalName']);
    await expect(entra.run('removeFederationLink', { subject, providerId: 'facebook.com' })).resolves.toEqual({
      outcome: 'already-done',
    });
  });
});

describe('joiners and movers', () => {
  it('creates a user with a group and a license once; a repeat is already done with the same id', async () => {
    const group = graph.addObject('group', 'engineering');
    graph.skus.add('sku-e3');
    const subject: Subject = {
      subjectId: 'hr-42',
      userName: 'joiner@contoso.com',
      displayName: 'Jo Iner',
      email: 'joiner@contoso.com',
    };
    const entitlements = [
      { kind: 'group' as const, id: group.id },
      { kind: 'license' as const, id: 'sku-e3' },
    ];
    const first = await entra.run('createAccount', { subject, entitlements });
    const created = [...graph.users.values()].find((u) => u.userPrincipalName === 'joiner@contoso.com')!;
    expect(first).toEqual({ outcome: 'done', data: { accountId: created.id } });
    expect(created).toMatchObject({ displayName: 'Jo Iner', accountEnabled: true });
    expect(group.members.has(created.id)).toBe(true);
    expect(created.licenses.has('sku-e3')).toBe(true);
    await expect(entra.run('createAccount', { subject, entitlements })).resolves.toEqual({
      outcome: 'already-done',
      data: { accountId: created.id },
    });
  });

  it('updates the display name, re-enables an account, and adds then removes a group idempotently', async () => {
    const user = graph.addUser('mover@contoso.com', { displayName: 'Old Name', accountEnabled: false });
    const group = graph.addObject('group', 'ops');
    const subject = { ...subjectOf(user), accounts: { entra: user.id } };
    await expect(entra.run('updateAccount', { subject, changes: { displayName: 'New Name' } })).resolves.toEqual({
      outcome: 'done',
    });
    await expect(entra.run('updateAccount', { subject, changes: { displayName: 'New Name' } })).resolves.toEqual({
      outcome: 'already-done',
    });
    await expect(entra.run('enableAccount', { subject })).resolves.toEqual({ outcome: 'done' });
    await expect(entra.run('enableAccount', { subject })).resolves.toEqual({ outcome: 'already-done' });
    expect(user).toMatchObject({ displayName: 'New Name', accountEnabled: true });

    const entitlement = { kind: 'group' as const, id: group.id };
    await expect(entra.run('addEntitlement', { subject, entitlement })).resolves.toEqual({ outcome: 'done' });
    await expect(entra.run('addEntitlement', { subject, entitlement })).resolves.toEqual({ outcome: 'already-done' });
    expect(group.members.has(user.id)).toBe(true);
    await expect(entra.run('removeEntitlement', { subject, entitlement })).resolves.toEqual({ outcome: 'done' });
    await expect(entra.run('removeEntitlement', { subject, entitlement })).resolves.toEqual({
      outcome: 'already-done',
    });
    expect(group.members.size).toBe(0);
  });

  it("lists a user's enterprise-application roles (paged), grants one once and removes it; a leaver loses them all", async () => {
    const user = graph.addUser('apps@contoso.com');
    const salesforce = graph.addObject('servicePrincipal', 'Salesforce');
    const workday = graph.addObject('servicePrincipal', 'Workday');
    const admin = graph.assignAppRole(user.id, salesforce.id, 'role-sf-admin');
    graph.assignAppRole(user.id, workday.id);
    graph.assignAppRole(user.id, workday.id, 'role-wd-approver');
    const subject = subjectOf(user);

    const listed = await entra.run('listEntitlements', { subject });
    expect(listed.data?.filter((e) => e.kind === 'app')).toEqual([
      { kind: 'app', id: `${salesforce.id}:role-sf-admin`, name: 'Salesforce' },
      { kind: 'app', id: `${workday.id}:00000000-0000-0000-0000-000000000000`, name: 'Workday' },
      { kind: 'app', id: `${workday.id}:role-wd-approver`, name: 'Workday' },
    ]);
    // Three assignments at two per page: the adapter followed @odata.nextLink.
    expect(
      graph.http.requests.filter((r) => r.path.endsWith(`/users/${user.id}/appRoleAssignments`)).length,
    ).toBeGreaterThanOrEqual(2);

    const reader = { kind: 'app' as const, id: `${salesforce.id}:role-sf-reader` };
    await expect(entra.run('addEntitlement', { subject, entitlement: reader })).resolves.toEqual({ outcome: 'done' });
    await expect(entra.run('addEntitlement', { subject, entitlement: reader })).resolves.toEqual({
      outcome: 'already-done',
    });
    const held = () => [...graph.appRoleAssignments.values()].filter((a) => a.principalId === user.id);
    expect(held().filter((a) => a.appRoleId === 'role-sf-reader')).toHaveLength(1);

    const adminRef = { kind: 'app' as const, id: `${salesforce.id}:${admin.appRoleId}` };
    await expect(entra.run('removeEntitlement', { subject, entitlement: adminRef })).resolves.toEqual({
      outcome: 'done',
    });
    await expect(entra.run('removeEntitlement', { subject, entitlement: adminRef })).resolves.toEqual({
      outcome: 'already-done',
    });
    expect(graph.appRoleAssignments.has(admin.id)).toBe(false);
    expect(
      await activityFailure(entra.run('addEntitlement', { subject, entitlement: { kind: 'app', id: 'not-a-pair' } })),
    ).toMatchObject({ type: 'PlatformInvalidRequest', nonRetryable: true });

    const removed = await entra.run('removeAllEntitlements', { subject });
    expect(removed.data?.removed.filter((e) => e.kind === 'app')).toHaveLength(3);
    expect(held()).toEqual([]);
  });
});

describe('temporary access pass', () => {
  it('issues a pass into the secret store only; a repeat is already done; a pass whose value was lost is replaced', async () => {
    const user = graph.addUser('tap-joiner@contoso.com');
    const request = {
      ownerId: user.userPrincipalName,
      kind: 'temporary-access-pass' as const,
      secretName: 'joiners/tap',
      idempotencyKey: 'onboarding-1/tap',
    };
    const created = await entra.run('createCredential', request);
    const issued = user.temporaryAccessPasses[0]!;
    expect(created).toMatchObject({
      outcome: 'done',
      data: { credential: { kind: 'temporary-access-pass', id: `tap:${issued.id}`, ownerId: user.userPrincipalName } },
    });
    expect(issued).toMatchObject({ isUsableOnce: true, lifetimeInMinutes: 480 });
    expect(JSON.stringify(created)).not.toContain(issued.temporaryAccessPass);
    await expect(entra.secrets.reveal(created.data!.secretRef)).resolves.toBe(issued.temporaryAccessPass);

    // A retry finds the pass and its stored value: already done, same reference.
    await expect(entra.run('createCredential', request)).resolves.toMatchObject({
      outcome: 'already-done',
      data: { secretRef: created.data!.secretRef },
    });
    // A pass whose value an interrupted attempt never stored cannot be read again: it is replaced.
    const replaced = await entra.run('createCredential', {
      ...request,
      secretName: 'joiners/tap-2',
      idempotencyKey: 'onboarding-2/tap',
    });
    expect(replaced.detail).toMatch(/^replaced tap:/);
    expect(user.temporaryAccessPasses.map((p) => p.id)).not.toContain(issued.id);
    await expect(entra.secrets.reveal(replaced.data!.secretRef)).resolves.toBe(
      user.temporaryAccessPasses[0]!.temporaryAccessPass,
    );
  });
});

describe('application credentials', () => {
  it('adds a client secret that goes to the secret store only, once per idempotency key, verifies it signs in, then removes it', async () => {
    const app = graph.addObject('application', 'payroll-export');
    const request = {
      ownerId: app.id,
      kind: 'client-secret' as const,
      description: 'payroll rotation',
      secretName: 'payroll/client-secret',
      idempotencyKey: 'rotation-7',
    };

    const created = await entra.run('createCredential', request);
    const issued = app.passwordCredentials[0]!;
    expect(created.outcome).toBe('done');
    expect(created.data?.credential).toMatchObject({
      platform: 'entra',
      id: issued.keyId,
      kind: 'client-secret',
      ownerId: app.id,
      status: 'active',
    });
    expect(JSON.stringify(created)).not.toContain(issued.secretText);
    expect(entra.secrets.stagesOf(created.data!.secretRef)).toEqual(['pending']);
    await expect(entra.secrets.reveal(created.data!.secretRef)).resolves.toBe(issued.secretText);

    await expect(entra.run('createCredential', request)).resolves.toMatchObject({ outcome: 'already-done' });
    expect(app.passwordCredentials).toHaveLength(1);

    const adapter = entraAdapterFactory(connection(), () => CLIENT_SECRET);
    await expect(adapter.verifyCredential!(created.data!.credential, issued.secretText!)).resolves.toBe(true);
    await expect(adapter.verifyCredential!(created.data!.credential, 'a-guessed-secret')).resolves.toBe(false);

    const listed = await entra.run('listCredentials', { ownerId: app.id });
    expect(listed.data?.map((c) => c.id)).toEqual([issued.keyId]);
    await expect(entra.run('deleteCredential', { ownerId: app.id, credentialId: issued.keyId })).resolves.toEqual({
      outcome: 'done',
    });
    expect(app.passwordCredentials).toEqual([]);
    await expect(adapter.verifyCredential!(created.data!.credential, issued.secretText!)).resolves.toBe(false);
    await expect(entra.run('deleteCredential', { ownerId: app.id, credentialId: issued.keyId })).resolves.toEqual({
      outcome: 'already-done',
    });
    await expect(
      entra.run('deleteCredential', { ownerId: 'deleted-app-id', credentialId: issued.keyId }),
    ).resolves.toEqual({ outcome: 'already-done' });
  });

  it('lists the secrets and certificates of the apps a person owns, with dates and expiry status', async () => {
    const owner = graph.addUser('dev@contoso.com');
    const expired = {
      keyId: 'k-old',
      displayName: 'old',
      startDateTime: '2020-01-01T00:00:00Z',
      endDateTime: '2021-01-01T00:00:00Z',
    };
    const cert = {
      keyId: 'k-cert',
      displayName: 'CN=sp',
      startDateTime: '2025-01-01T00:00:00Z',
      endDateTime: '2099-01-01T00:00:00Z',
    };
    const app = graph.addObject('application', 'dev-tool', {
      owners: new Set([owner.id]),
      passwordCredentials: [expired],
    });
    const sp = graph.addObject('servicePrincipal', 'dev-tool', { owners: new Set([owner.id]), keyCredentials: [cert] });
    graph.addObject('group', 'devs', { owners: new Set([owner.id]) });

    const listed = await entra.run('listCredentials', { subject: subjectOf(owner) });
    expect(listed.data).toEqual([
      {
        platform: 'entra',
        id: 'k-old',
        kind: 'client-secret',
        ownerId: app.id,
        status: 'inactive',
        createdAt: expired.startDateTime,
        expiresAt: expired.endDateTime,
        description: 'old',
      },
      {
        platform: 'entra',
        id: 'k-cert',
        kind: 'certificate',
        ownerId: sp.id,
        status: 'active',
        createdAt: cert.startDateTime,
        expiresAt: cert.endDateTime,
        description: 'CN=sp',
      },
    ]);
  });

  it('disables a service principal once', async () => {
    const sp = graph.addObject('servicePrincipal', 'legacy-daemon');
    await expect(entra.run('disableServiceAccount', { serviceAccountId: sp.id })).resolves.toEqual({ outcome: 'done' });
    expect(sp.accountEnabled).toBe(false);
    await expect(entra.run('disableServiceAccount', { serviceAccountId: sp.id })).resolves.toEqual({
      outcome: 'already-done',
    });
  });
});

describe('tenant inventory (access reviews, rotation campaigns)', () => {
  // A directory of its own per test, so a listing holds exactly what the test put there.
  let directory: FakeGraph;
  const inventory = platformHarness('entra', entraAdapterFactory, () => connection(directory), {
    ENTRA_CLIENT_SECRET: CLIENT_SECRET,
  });
  const adapter = () => entraAdapterFactory(connection(directory), () => CLIENT_SECRET);
  const secret = (keyId: string, endDateTime = '2099-01-01T00:00:00Z') => ({
    keyId,
    displayName: keyId,
    startDateTime: '2025-01-01T00:00:00Z',
    endDateTime,
  });

  beforeEach(async () => {
    directory = await new FakeGraph().start();
    directory.clients.set('runbooks-app', CLIENT_SECRET);
  });
  afterEach(() => directory.stop());

  it('lists every user by @odata.nextLink, $top a page: employee id or UPN, the manager by UPN, the last sign-in', async () => {
    const boss = directory.addUser('boss@contoso.com', {
      employeeId: 'E-100',
      displayName: 'Bo Ss',
      mail: 'boss@contoso.com',
      lastSignInDateTime: '2026-11-30T08:15:00Z',
    });
    const ana = directory.addUser('ana@contoso.com', {
      manager: boss.id,
      employeeId: 'E-101',
      lastSignInDateTime: '2026-11-01T09:00:00Z',
    });
    const staff = [
      ana,
      directory.addUser('ben@contoso.com', { manager: boss.id, lastSignInDateTime: '2026-11-02T09:00:00Z' }),
      directory.addUser('cy@contoso.com', { manager: boss.id, employeeId: 'E-103' }),
      directory.addUser('di@contoso.com', { manager: boss.id }),
      directory.addUser('ed@contoso.com', {
        manager: boss.id,
        employeeId: 'E-105',
        lastSignInDateTime: '2026-11-05T09:00:00Z',
      }),
      directory.addUser('flo@contoso.com', { manager: ana.id, lastSignInDateTime: '2026-11-06T09:00:00Z' }),
    ];
    const crm = directory.addObject('group', 'crm', { members: new Set([ana.id]) });
    const entra = adapter();

    const pages = await everyPage((cursor) => entra.listAccounts!({ cursor, limit: 3 }));
    // The last page of users leads on to the service principals (none in this directory).
    expect(pages.map((p) => p.accounts.length)).toEqual([3, 3, 1, 0]);
    const [first, ...rest] = pages.flatMap((p) => p.accounts);
    expect(first).toEqual({
      subjectId: 'E-100',
      userName: 'boss@contoso.com',
      email: 'boss@contoso.com',
      displayName: 'Bo Ss',
      lastActiveAt: '2026-11-30T08:15:00Z',
      accounts: { entra: boss.id },
    });
    expect(rest.map((a) => [a.subjectId, a.managerId, a.lastActiveAt, a.accounts?.entra])).toEqual([
      ['E-101', 'boss@contoso.com', '2026-11-01T09:00:00Z', staff[0]!.id],
      ['ben@contoso.com', 'boss@contoso.com', '2026-11-02T09:00:00Z', staff[1]!.id],
      ['E-103', 'boss@contoso.com', undefined, staff[2]!.id],
      ['di@contoso.com', 'boss@contoso.com', undefined, staff[3]!.id],
      ['E-105', 'boss@contoso.com', '2026-11-05T09:00:00Z', staff[4]!.id],
      ['flo@contoso.com', 'ana@contoso.com', '2026-11-06T09:00:00Z', staff[5]!.id],
    ]);
    // A listed account is a subject the review's next step acts on (by its object id).
    await expect(inventory.run('listEntitlements', { subject: rest[0]! })).resolves.toEqual({
      outcome: 'done',
      data: [{ kind: 'group', id: crm.id, name: 'crm' }],
    });
    // A cursor naming another host (a tampered heartbeat) is refused before the token is sent anywhere.
    await expect(
      entra.listAccounts!({ cursor: 'https://graph.example.net/v1.0/users?$skiptoken=3', limit: 3 }),
    ).rejects.toMatchObject({ kind: 'invalid' });
    await expect(
      entra.listAccounts!({ cursor: 'sp:https://graph.example.net/v1.0/servicePrincipals?$skiptoken=2', limit: 3 }),
    ).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('goes on from the last page of users to the service principals holding a directory role, as service accounts without a manager', async () => {
    const users = ['ana', 'ben', 'cy'].map((name) => directory.addUser(`${name}@contoso.com`));
    const backup = directory.addObject('servicePrincipal', 'backup-daemon');
    directory.addObject('servicePrincipal', 'no-roles-app');
    const identity = directory.addObject('servicePrincipal', 'vm-identity', {
      servicePrincipalType: 'ManagedIdentity',
    });
    // Microsoft's own (first-party) service principal: Microsoft manages its roles, so it is not reviewed.
    const exchange = directory.addObject('servicePrincipal', 'Office 365 Exchange Online', {
      appOwnerOrganizationId: 'f8cdef31-a31e-4b4a-93e4-5f571e91255a',
    });
    const roles = [
      directory.assignRole(backup.id, 'Application Administrator'),
      directory.assignRole(backup.id, 'Cloud Application Administrator'),
      directory.assignRole(backup.id, 'User Administrator', '/administrativeUnits/au-emea'),
    ];
    directory.assignRole(identity.id, 'Directory Readers');
    directory.assignRole(exchange.id, 'Exchange Administrator');
    const userRole = directory.assignRole(users[0]!.id, 'Global Reader');

    const pages = await everyPage((cursor) => adapter().listAccounts!({ cursor, limit: 2 }));
    expect(pages.map((p) => p.accounts.map((a) => a.userName))).toEqual([
      ['ana@contoso.com', 'ben@contoso.com'],
      ['cy@contoso.com'],
      ['backup-daemon'],
      ['vm-identity'],
    ]);
    expect(pages[1]!.nextCursor).toBe('sp:');
    expect(pages[2]!.nextCursor).toMatch(/^sp:http:\/\/127\.0\.0\.1:\d+\/v1\.0\/servicePrincipals\?/);
    const [robot, managed] = pages.slice(2).flatMap((p) => p.accounts);
    expect(robot).toEqual({
      subjectId: `sp:${backup.appId}`,
      userName: 'backup-daemon',
      displayName: 'backup-daemon',
      accounts: { entra: backup.id },
      service: true,
    });
    expect(managed).toEqual({
      subjectId: `sp:${identity.appId}`,
      userName: 'vm-identity',
      displayName: 'vm-identity',
      accounts: { entra: identity.id },
      service: true,
    });

    // Its entitlements are its role assignments (3, at the fake's 2 a page), the scoped one naming its scope.
    await expect(inventory.run('listEntitlements', { subject: robot! })).resolves.toEqual({
      outcome: 'done',
      data: [
        { kind: 'role', id: roles[0]!.id, name: 'Application Administrator' },
        { kind: 'role', id: roles[1]!.id, name: 'Cloud Application Administrator' },
        { kind: 'role', id: roles[2]!.id, name: 'User Administrator (scope /administrativeUnits/au-emea)' },
      ],
    });

    // A revoked item's subject as the review stores it (no service flag): the assignment is deleted, once.
    const stored: Subject = { subjectId: robot!.subjectId, userName: robot!.userName, accounts: robot!.accounts };
    const entitlement = { kind: 'role' as const, id: roles[0]!.id };
    await expect(inventory.run('removeEntitlement', { subject: stored, entitlement })).resolves.toEqual({
      outcome: 'done',
    });
    expect([...directory.roleAssignments.keys()].filter((id) => roles.some((r) => r.id === id))).toEqual([
      roles[1]!.id,
      roles[2]!.id,
    ]);
    await expect(inventory.run('removeEntitlement', { subject: stored, entitlement })).resolves.toEqual({
      outcome: 'already-done',
    });

    // A `sp:` subject naming a user's object id is no service principal: nothing of the user's is touched.
    const impostor: Subject = { subjectId: 'sp:forged', userName: 'ana', accounts: { entra: users[0]!.id } };
    expect(
      await activityFailure(
        inventory.run('removeEntitlement', { subject: impostor, entitlement: { kind: 'role', id: userRole.id } }),
      ),
    ).toMatchObject({ type: 'PlatformNotFound' });
    expect(directory.roleAssignments.has(userRole.id)).toBe(true);
  });

  it('enumerates every application secret and certificate, a page of applications at a time, owned by the object id rotation uses', async () => {
    const apps = [
      directory.addObject('application', 'crm-sync', { passwordCredentials: [secret('crm-secret')] }),
      directory.addObject('application', 'hr-feed', {
        passwordCredentials: [secret('hr-secret')],
        keyCredentials: [secret('hr-cert')],
      }),
      directory.addObject('application', 'no-credentials'),
      directory.addObject('application', 'old-portal', {
        passwordCredentials: [secret('portal-secret', '2025-06-01T00:00:00Z')],
      }),
      directory.addObject('application', 'backup', { keyCredentials: [secret('backup-cert')] }),
    ];

    const pages = await everyPage((cursor) => adapter().listCredentialsPage!({ cursor, limit: 2 }));
    expect(pages).toHaveLength(3);
    const listed = pages.flatMap((p) => p.credentials);
    expect(listed[0]).toEqual({
      platform: 'entra',
      id: 'crm-secret',
      kind: 'client-secret',
      ownerId: apps[0]!.id,
      status: 'active',
      createdAt: '2025-01-01T00:00:00Z',
      expiresAt: '2099-01-01T00:00:00Z',
      description: 'crm-secret',
    });
    expect(listed.map((c) => [c.id, c.kind, c.ownerId, c.status, c.expiresAt])).toEqual([
      ['crm-secret', 'client-secret', apps[0]!.id, 'active', '2099-01-01T00:00:00Z'],
      ['hr-secret', 'client-secret', apps[1]!.id, 'active', '2099-01-01T00:00:00Z'],
      ['hr-cert', 'certificate', apps[1]!.id, 'active', '2099-01-01T00:00:00Z'],
      ['portal-secret', 'client-secret', apps[3]!.id, 'inactive', '2025-06-01T00:00:00Z'],
      ['backup-cert', 'certificate', apps[4]!.id, 'active', '2099-01-01T00:00:00Z'],
    ]);
    // listCredentials without an owner is this enumeration; its owner ids are the ones deleteCredential acts on.
    await expect(inventory.run('listCredentials', {})).resolves.toEqual({ outcome: 'done', data: listed });
    await expect(
      inventory.run('deleteCredential', { ownerId: listed[1]!.ownerId, credentialId: 'hr-secret' }),
    ).resolves.toEqual({ outcome: 'done' });
    expect(apps[1]!.passwordCredentials).toEqual([]);
  });

  it("fails as throttled with Graph's delay when a later page is throttled, and the retry of that cursor goes on where it stopped", async () => {
    const names = ['a1', 'a2', 'a3', 'a4', 'a5'];
    for (const name of names)
      directory.addObject('application', name, { passwordCredentials: [secret(`${name}-secret`)] });
    directory.maxPageSize = 2; // fewer than the $top asked: the adapter follows nextLink, not page length
    directory.throttlePage(2, 7);
    expect(await activityFailure(inventory.run('listCredentials', {}))).toMatchObject({
      type: 'PlatformThrottled',
      nonRetryable: false,
      nextRetryDelay: 7000,
    });

    const entra = adapter();
    const first = await entra.listCredentialsPage!({ limit: 100 });
    directory.throttlePage(1, 7);
    await expect(entra.listCredentialsPage!({ cursor: first.nextCursor, limit: 100 })).rejects.toMatchObject({
      kind: 'throttled',
      retryAfterMs: 7000,
    });
    const rest = await everyPage((cursor) => entra.listCredentialsPage!({ cursor, limit: 100 }), first.nextCursor);
    expect([first, ...rest].flatMap((p) => p.credentials.map((c) => c.id))).toEqual(
      names.map((name) => `${name}-secret`),
    );
  });
});

describe('failure classification', () => {
  it('turns Graph throttling (429 Retry-After) into a retryable failure with the server-given delay', async () => {
    const user = graph.addUser('busy@contoso.com');
    await entra.run('listEntitlements', { subject: subjectOf(user) }); // token cached, so the 429 hits Graph itself
    graph.http.failNext(1, 429, { 'Retry-After': '7' });
    const failure = await activityFailure(entra.run('disableAccount', { subject: subjectOf(user) }));
    expect(failure).toMatchObject({ type: 'PlatformThrottled', nonRetryable: false, nextRetryDelay: 7000 });
    expect(user.accountEnabled).toBe(true);
  });

  it('retries a Graph 503 but not a 403 (missing permission)', async () => {
    const user = graph.addUser('perm@contoso.com');
    graph.http.failNext(1, 503);
    expect(await activityFailure(entra.run('revokeSessions', { subject: subjectOf(user) }))).toMatchObject({
      type: 'PlatformServerError',
      nonRetryable: false,
    });
    graph.http.failNext(1, 403);
    expect(await activityFailure(entra.run('revokeSessions', { subject: subjectOf(user) }))).toMatchObject({
      type: 'PlatformForbidden',
      nonRetryable: true,
    });
    expect(user.sessionRevocations).toBe(0);
  });

  it('does not retry an action on an unknown user', async () => {
    const subject: Subject = { subjectId: 'hr-x', userName: 'nobody@contoso.com' };
    expect(await activityFailure(entra.run('disableAccount', { subject }))).toMatchObject({
      type: 'PlatformNotFound',
      nonRetryable: true,
    });
    expect(await activityFailure(entra.run('revokeSessions', { subject }))).toMatchObject({
      type: 'PlatformNotFound',
      nonRetryable: true,
    });
  });

  it('gets a fresh token once when Graph rejects the cached one (401), and fails as forbidden when that is rejected too', async () => {
    const user = graph.addUser('stale-token@contoso.com');
    const tokenRequests = () => graph.http.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/token')).length;
    await entra.run('listEntitlements', { subject: subjectOf(user) });
    graph.revokeIssuedTokens();
    const before = tokenRequests();
    await expect(entra.run('disableAccount', { subject: subjectOf(user) })).resolves.toEqual({ outcome: 'done' });
    expect(tokenRequests()).toBe(before + 1);

    graph.http.failNext(2, 401);
    expect(await activityFailure(entra.run('enableAccount', { subject: subjectOf(user) }))).toMatchObject({
      type: 'PlatformForbidden',
      nonRetryable: true,
    });
    expect(user.accountEnabled).toBe(false);
  });

  it('reports a rejected client secret as forbidden without revealing it', async () => {
    clientSecretVar = 'WRONG_SECRET';
    const failure = await activityFailure(
      entra.run('listEntitlements', { subject: { subjectId: 'hr-y', userName: 'any@contoso.com' } }),
    );
    expect(failure).toMatchObject({ type: 'PlatformForbidden', nonRetryable: true });
    expect(JSON.stringify({ message: failure.message, details: failure.details })).not.toMatch(/not-the-secret|s3cret/);
  });

  it('refuses a certificate credential it cannot create, as unsupported', async () => {
    const app = graph.addObject('application', 'cert-app');
    const request = { ownerId: app.id, kind: 'certificate' as const, secretName: 'x', idempotencyKey: 'k' };
    expect(await activityFailure(entra.run('createCredential', request))).toMatchObject({
      type: 'UnsupportedAction',
      nonRetryable: true,
    });
  });
});
