/**
 * The generic SCIM 2.0 adapter's real client code, run through createPlatformActivities
 * in MockActivityEnvironment, against a CONTRACT FAKE SCIM service provider
 * (test/fakes/scim.ts, following RFC 7643/7644): the tests check effects on its state.
 */
import { scimAdapterFactory } from '../activities/platforms/scim';
import { CAPABILITIES, type Subject } from '../shared';
import { FakeScim, type FakeScimUser } from './fakes/scim';
import { everyPage } from './support/pages';
import { activityFailure, implementedActions, platformHarness } from './support/platform-harness';

const TOKEN = 'scim-bearer-t0ken';
let app: FakeScim;
let tokenVar = 'SCIM_TOKEN';
let settings: Record<string, string> = {};
const scim = platformHarness(
  'scim',
  scimAdapterFactory,
  () => ({ platform: 'scim', baseUrl: app.baseUrl, settings, credentials: { token: `env:${tokenVar}` } }),
  {
    SCIM_TOKEN: TOKEN,
    STALE_TOKEN: 'revoked-t0ken',
  },
);

beforeAll(async () => {
  app = await new FakeScim(TOKEN).start();
});
afterAll(() => app.stop());
afterEach(() => {
  app.userGroupsAttribute = true;
  app.memberRemoval = 'filter';
  settings = {};
  tokenVar = 'SCIM_TOKEN';
});

const subjectOf = (user: FakeScimUser): Subject => ({
  subjectId: `hr-${user.id.slice(0, 6)}`,
  userName: user.userName,
});

it('implements exactly the SCIM capability catalogue', () => {
  const adapter = scimAdapterFactory(
    { platform: 'scim', baseUrl: 'http://127.0.0.1:9/scim/v2', credentials: { token: 'env:X' } },
    () => 'unused',
  );
  expect(implementedActions(adapter).sort()).toEqual([...CAPABILITIES.scim].sort());
});

describe('offboarding a leaver', () => {
  it('deactivates with PATCH active=false and leaves every group, paging a Groups filter when User.groups is absent; a repeat is already done', async () => {
    app.userGroupsAttribute = false;
    const leaver = app.addUser('leaver@acme.test');
    const groups = ['eng', 'oncall', 'design', 'all-hands', 'alumni'].map((name) => app.addGroup(name, [leaver.id]));
    const bystander = app.addUser('stays@acme.test');
    groups[0]!.members.add(bystander.id);
    const subject = subjectOf(leaver);

    await expect(scim.run('disableAccount', { subject })).resolves.toEqual({ outcome: 'done' });
    const removed = await scim.run('removeAllEntitlements', { subject });

    expect(leaver.active).toBe(false);
    expect(removed.data?.removed.map((e) => e.id).sort()).toEqual(groups.map((g) => g.id).sort());
    expect(groups.filter((g) => g.members.has(leaver.id))).toEqual([]);
    expect(groups[0]!.members.has(bystander.id)).toBe(true);
    // Five groups at two per page: three Groups pages for the listing.
    expect(
      app.http.requests.filter((r) => r.method === 'GET' && r.path === '/scim/v2/Groups').length,
    ).toBeGreaterThanOrEqual(3);

    await expect(scim.run('disableAccount', { subject })).resolves.toEqual({ outcome: 'already-done' });
    await expect(scim.run('removeAllEntitlements', { subject })).resolves.toEqual({
      outcome: 'already-done',
      data: { removed: [] },
    });
  });

  it("removes memberships with a value list where the provider rejects the RFC's path filter (settings.memberRemoval)", async () => {
    app.memberRemoval = 'value';
    const leaver = app.addUser('value-form@acme.test');
    const group = app.addGroup('support', [leaver.id]);
    expect(await activityFailure(scim.run('removeAllEntitlements', { subject: subjectOf(leaver) }))).toMatchObject({
      type: 'PlatformInvalidRequest',
      nonRetryable: true,
    });
    settings = { memberRemoval: 'value' };
    await expect(scim.run('removeAllEntitlements', { subject: subjectOf(leaver) })).resolves.toMatchObject({
      outcome: 'done',
    });
    expect(group.members.size).toBe(0);
  });

  it('deletes the user, and a second delete is already done', async () => {
    const leaver = app.addUser('gone@acme.test');
    await expect(scim.run('deleteAccount', { subject: subjectOf(leaver) })).resolves.toEqual({ outcome: 'done' });
    expect(app.users.has(leaver.id)).toBe(false);
    await expect(scim.run('deleteAccount', { subject: subjectOf(leaver) })).resolves.toEqual({
      outcome: 'already-done',
    });
    await expect(
      scim.run('deleteAccount', { subject: { ...subjectOf(leaver), accounts: { scim: leaver.id } } }),
    ).resolves.toEqual({ outcome: 'already-done' });
  });
});

describe('joiners and movers', () => {
  it('creates a user in a group once, found again by userName filter on repeat', async () => {
    const group = app.addGroup('new-starters');
    const subject: Subject = {
      subjectId: 'hr-7',
      userName: 'Joiner@acme.test',
      displayName: 'Jo Iner',
      email: 'joiner@acme.test',
    };
    const first = await scim.run('createAccount', { subject, entitlements: [{ kind: 'group', id: group.id }] });
    const user = app.userByName('joiner@acme.test')!;
    expect(first).toEqual({ outcome: 'done', data: { accountId: user.id } });
    expect(user).toMatchObject({
      externalId: 'hr-7',
      displayName: 'Jo Iner',
      active: true,
      emails: [{ value: 'joiner@acme.test', primary: true, type: 'work' }],
    });
    expect(group.members.has(user.id)).toBe(true);
    await expect(
      scim.run('createAccount', { subject, entitlements: [{ kind: 'group', id: group.id }] }),
    ).resolves.toEqual({ outcome: 'already-done', data: { accountId: user.id } });
    expect([...app.users.values()].filter((u) => u.userName === 'Joiner@acme.test')).toHaveLength(1);
  });

  it('replaces the user (PUT) for a changed email and name, re-enables, and moves groups idempotently', async () => {
    const user = app.addUser('mover@acme.test', {
      displayName: 'Mo Ver',
      active: false,
      emails: [{ value: 'old@acme.test', primary: true, type: 'work' }],
    });
    const group = app.addGroup('platform');
    const subject = subjectOf(user);
    const changes = { email: 'mover@acme.test', displayName: 'Mo Ver-Moved' };
    await expect(scim.run('updateAccount', { subject, changes })).resolves.toEqual({ outcome: 'done' });
    expect(user.emails?.[0]).toEqual({ value: 'mover@acme.test', primary: true, type: 'work' });
    expect(user.displayName).toBe('Mo Ver-Moved');
    await expect(scim.run('updateAccount', { subject, changes })).resolves.toEqual({ outcome: 'already-done' });
    await expect(scim.run('enableAccount', { subject })).resolves.toEqual({ outcome: 'done' });
    await expect(scim.run('enableAccount', { subject })).resolves.toEqual({ outcome: 'already-done' });
    expect(user.active).toBe(true);

    const entitlement = { kind: 'group' as const, id: group.id };
    await expect(scim.run('addEntitlement', { subject, entitlement })).resolves.toEqual({ outcome: 'done' });
    await expect(scim.run('addEntitlement', { subject, entitlement })).resolves.toEqual({ outcome: 'already-done' });
    await expect(scim.run('listEntitlements', { subject })).resolves.toEqual({
      outcome: 'done',
      data: [{ kind: 'group', id: group.id, name: 'platform' }],
    });
    await expect(scim.run('removeEntitlement', { subject, entitlement })).resolves.toEqual({ outcome: 'done' });
    await expect(scim.run('removeEntitlement', { subject, entitlement })).resolves.toEqual({ outcome: 'already-done' });
    expect(group.members.size).toBe(0);
  });
});

describe('access review inventory', () => {
  // An app of its own per test, so the listing holds exactly its users.
  let directory: FakeScim;
  beforeEach(async () => {
    directory = await new FakeScim(TOKEN).start();
  });
  afterEach(() => directory.stop());

  const adapter = () =>
    scimAdapterFactory(
      { platform: 'scim', baseUrl: directory.baseUrl, credentials: { token: 'env:SCIM_TOKEN' } },
      () => TOKEN,
    );

  /** Every page of listAccounts with `limit` as the count asked for. */
  async function accountPages(limit: number): Promise<Subject[][]> {
    const scimApp = adapter();
    return (await everyPage((cursor) => scimApp.listAccounts!({ cursor, limit }))).map((p) => p.accounts);
  }

  it('lists every user a ListResponse page at a time, with the enterprise employee number and manager', async () => {
    const emails = [
      { value: 'bo@home.test', type: 'home' },
      { value: 'boss@acme.test', primary: true, type: 'work' },
    ];
    const boss = directory.addUser('boss@acme.test', {
      displayName: 'Bo Ss',
      emails,
      enterprise: { employeeNumber: 'E-1' },
    });
    const ana = directory.addUser('ana@acme.test', { enterprise: { employeeNumber: 'E-2', manager: boss.id } });
    const team = [
      ana,
      directory.addUser('ben@acme.test', { enterprise: { manager: boss.id } }),
      directory.addUser('cy@acme.test', { enterprise: { employeeNumber: 'E-4', manager: ana.id } }),
      directory.addUser('di@acme.test'),
    ];
    const eng = directory.addGroup('eng', [ana.id]);

    const pages = await accountPages(2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const [first, ...rest] = pages.flat();
    expect(first).toEqual({
      subjectId: 'E-1',
      userName: 'boss@acme.test',
      email: 'boss@acme.test',
      displayName: 'Bo Ss',
      accounts: { scim: boss.id },
    });
    expect(rest.map((a) => [a.subjectId, a.managerId, a.accounts?.scim])).toEqual([
      ['E-2', boss.id, team[0]!.id],
      ['ben@acme.test', boss.id, team[1]!.id],
      ['E-4', ana.id, team[2]!.id],
      ['di@acme.test', undefined, team[3]!.id],
    ]);
    // A listed account is a subject the review's next step acts on (by its SCIM id).
    await expect(adapter().listEntitlements!({ subject: rest[0]! })).resolves.toEqual({
      outcome: 'done',
      data: [{ kind: 'group', id: eng.id, name: 'eng' }],
    });

    // A provider that caps pages below the count asked for: the next startIndex follows what came, nothing is skipped.
    directory.maxPageSize = 3;
    const capped = await accountPages(500);
    expect(capped.map((p) => p.length)).toEqual([3, 2]);
    expect(capped.flat()).toEqual(pages.flat());
  });
});

describe('failure classification', () => {
  it('turns 429 with Retry-After into a retryable failure with that delay', async () => {
    const user = app.addUser('busy@acme.test');
    app.http.failNext(1, 429, { 'Retry-After': '30' });
    expect(await activityFailure(scim.run('disableAccount', { subject: subjectOf(user) }))).toMatchObject({
      type: 'PlatformThrottled',
      nonRetryable: false,
      nextRetryDelay: 30_000,
    });
    expect(user.active).toBe(true);
  });

  it('does not retry a forbidden call, an unknown user, or a rejected token (which it never echoes)', async () => {
    const user = app.addUser('locked@acme.test');
    app.http.failNext(1, 403);
    expect(await activityFailure(scim.run('disableAccount', { subject: subjectOf(user) }))).toMatchObject({
      type: 'PlatformForbidden',
      nonRetryable: true,
    });
    expect(
      await activityFailure(scim.run('disableAccount', { subject: { subjectId: 'x', userName: 'nobody@acme.test' } })),
    ).toMatchObject({ type: 'PlatformNotFound', nonRetryable: true });
    expect(
      await activityFailure(
        scim.run('listEntitlements', { subject: { subjectId: 'x', userName: 'n', accounts: { scim: 'no-such-id' } } }),
      ),
    ).toMatchObject({ type: 'PlatformNotFound', nonRetryable: true });

    tokenVar = 'STALE_TOKEN';
    const rejected = await activityFailure(scim.run('disableAccount', { subject: subjectOf(user) }));
    expect(rejected).toMatchObject({ type: 'PlatformForbidden', nonRetryable: true });
    expect(rejected.message).not.toContain('revoked-t0ken');
    expect(user.active).toBe(true);
  });

  it('retries a 502 from the app', async () => {
    const user = app.addUser('flaky@acme.test');
    app.http.failNext(1, 502);
    expect(await activityFailure(scim.run('enableAccount', { subject: subjectOf(user) }))).toMatchObject({
      type: 'PlatformServerError',
      nonRetryable: false,
    });
  });
});
