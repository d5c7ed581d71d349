/**
 * The Keycloak adapter against a real Keycloak (dev mode, in-memory database),
 * started once for this file, driven through createPlatformActivities as the
 * workers run it. Keycloak does not throttle its Admin API, so the 429 case
 * comes from a small proxy in front of the real server (said below).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readSecretRef } from '../activities/connection-secrets';
import { keycloakAdapterFactory } from '../activities/platforms/keycloak';
import { createPlatformActivities, type PlatformActivities } from '../activities/platform-activities';
import { InMemorySecretStore } from '../activities/secret-stores/in-memory';
import type { PlatformConnection } from '../shared';
import { startKeycloak, type KeycloakServer } from './support/keycloak';
import { failure, platformRunner, subjectFor, uniqueName } from './support/platform-harness';
import {
  IDENTITY_PROVIDER,
  keycloakUserState,
  provisionRealm,
  refreshWorks,
  seedKeycloakUser,
  type KeycloakTestRealm,
} from './support/keycloak-fixtures';

let server: KeycloakServer;
let t: KeycloakTestRealm;
let activities: PlatformActivities;
const secrets = new InMemorySecretStore();

function activitiesFor(connection: PlatformConnection): PlatformActivities {
  return createPlatformActivities('keycloak', {
    resolveAdapter: () => Promise.resolve(keycloakAdapterFactory(connection, readSecretRef)),
    resolveSecretStore: () => Promise.resolve(secrets),
  });
}

beforeAll(async () => {
  server = await startKeycloak();
  process.stdout.write(`keycloak ready in ${server.startupMs} ms\n`);
  t = await provisionRealm(server);
  activities = activitiesFor(t.connection);
}, 330_000);

afterAll(async () => {
  await server?.stop();
});

const run = platformRunner('tenant-a', () => activities);

describe('offboarding', () => {
  it('leaves the user disabled with no session, no offline token, no federation link and no entitlement; a repeat changes nothing', async () => {
    const seeded = await seedKeycloakUser(t, uniqueName('leaver'));
    const subject = subjectFor(seeded.userName);
    expect(await keycloakUserState(t, seeded.id)).toMatchObject({
      enabled: true,
      sessions: 1,
      consents: 1,
      federationLinks: [IDENTITY_PROVIDER],
    });
    const offboard = async () => {
      const outcomes = [
        (await run('disableAccount', { subject })).outcome,
        (await run('revokeSessions', { subject })).outcome,
      ];
      const links = (await run('listFederationLinks', { subject })).data ?? [];
      for (const link of links)
        outcomes.push((await run('removeFederationLink', { subject, providerId: link.providerId })).outcome);
      outcomes.push((await run('removeFederationLink', { subject, providerId: IDENTITY_PROVIDER })).outcome);
      outcomes.push((await run('removeAllEntitlements', { subject })).outcome);
      return outcomes;
    };

    expect(await offboard()).toEqual(['done', 'done', 'done', 'already-done', 'done']);
    const state = await keycloakUserState(t, seeded.id);
    expect(state).toEqual({
      enabled: false,
      sessions: 0,
      consents: 0,
      federationLinks: [],
      groups: [],
      realmRoles: [`default-roles-${t.realm}`],
      clientRoles: [],
    });
    expect(await refreshWorks(t, seeded.refreshToken)).toBe(false);
    expect(await refreshWorks(t, seeded.offlineToken)).toBe(false);

    expect(await offboard()).toEqual(['already-done', 'already-done', 'already-done', 'already-done']);
    expect(await keycloakUserState(t, seeded.id)).toEqual(state);
  });

  it('deletes a user; a repeat (404) is already done', async () => {
    const seeded = await seedKeycloakUser(t, uniqueName('retired'));
    const subject = { ...subjectFor(seeded.userName), accounts: { keycloak: seeded.id } };
    await expect(run('deleteAccount', { subject })).resolves.toMatchObject({ outcome: 'done' });
    await expect(t.admin('GET', `/users/${seeded.id}`)).rejects.toThrow(/404/);
    await expect(run('deleteAccount', { subject })).resolves.toMatchObject({ outcome: 'already-done' });
  });
});

describe('accounts and entitlements', () => {
  it('creates, updates, disables and enables a user idempotently', async () => {
    const subject = { ...subjectFor(uniqueName('joiner')), email: 'joiner@example.com', displayName: 'Jo Iner' };
    const entitlements = [
      { kind: 'group' as const, id: '/engineering' },
      { kind: 'role' as const, id: 'auditor' },
    ];
    const created = await run('createAccount', { subject, entitlements });
    expect(created).toMatchObject({ outcome: 'done', data: { accountId: expect.stringMatching(/^[0-9a-f-]{36}$/) } });
    await expect(run('createAccount', { subject, entitlements })).resolves.toMatchObject({
      outcome: 'already-done',
      data: created.data,
    });

    await expect(
      run('updateAccount', { subject, changes: { displayName: 'Joanna Iner-Smith' } }),
    ).resolves.toMatchObject({ outcome: 'done' });
    await expect(
      run('updateAccount', { subject, changes: { displayName: 'Joanna Iner-Smith' } }),
    ).resolves.toMatchObject({ outcome: 'already-done' });
    const user = (await t.admin<Record<string, unknown>>('GET', `/users/${created.data!.accountId}`)).body;
    expect(user).toMatchObject({
      firstName: 'Joanna',
      lastName: 'Iner-Smith',
      email: 'joiner@example.com',
      enabled: true,
    });

    await expect(run('disableAccount', { subject })).resolves.toMatchObject({ outcome: 'done' });
    await expect(run('enableAccount', { subject })).resolves.toMatchObject({ outcome: 'done' });
    await expect(run('enableAccount', { subject })).resolves.toMatchObject({ outcome: 'already-done' });
  });

  it('lists, adds and removes groups, realm roles and client roles', async () => {
    const seeded = await seedKeycloakUser(t, uniqueName('mover'));
    const subject = subjectFor(seeded.userName);
    const listed = await run('listEntitlements', { subject });
    expect(listed.data).toEqual([
      { kind: 'group', id: '/engineering/oncall', name: 'oncall' },
      { kind: 'role', id: 'auditor', name: 'auditor' },
      { kind: 'role', id: 'billing-app/invoice-approver', name: 'invoice-approver' },
    ]);
    const group = { kind: 'group' as const, id: '/engineering' };
    await expect(run('addEntitlement', { subject, entitlement: group })).resolves.toMatchObject({ outcome: 'done' });
    await expect(run('addEntitlement', { subject, entitlement: group })).resolves.toMatchObject({
      outcome: 'already-done',
    });
    const clientRole = { kind: 'role' as const, id: 'billing-app/invoice-approver' };
    await expect(run('removeEntitlement', { subject, entitlement: clientRole })).resolves.toMatchObject({
      outcome: 'done',
    });
    await expect(run('removeEntitlement', { subject, entitlement: clientRole })).resolves.toMatchObject({
      outcome: 'already-done',
    });
    expect(await keycloakUserState(t, seeded.id)).toMatchObject({
      groups: ['/engineering', '/engineering/oncall'],
      clientRoles: [],
    });
    // A group named by id is the same entitlement as by path.
    const engineering = (await t.admin<{ id: string }>('GET', '/group-by-path/engineering')).body;
    await expect(
      run('removeEntitlement', { subject, entitlement: { kind: 'group', id: engineering.id } }),
    ).resolves.toMatchObject({ outcome: 'done' });
    await expect(
      run('removeEntitlement', { subject, entitlement: { kind: 'group', id: engineering.id } }),
    ).resolves.toMatchObject({ outcome: 'already-done' });
    expect(await keycloakUserState(t, seeded.id)).toMatchObject({ groups: ['/engineering/oncall'] });
  });
});

describe('client service accounts', () => {
  it('rotates a client secret into the secret store: the new one authenticates, the old one not; a repeat is already done', async () => {
    const adapter = keycloakAdapterFactory(t.connection, readSecretRef);
    const [before] = (await run('listCredentials', { ownerId: 'svc-reporting' })).data!;
    expect(before).toMatchObject({
      kind: 'client-secret',
      ownerId: 'svc-reporting',
      status: 'active',
      createdAt: expect.any(String),
    });
    const request = {
      ownerId: 'svc-reporting',
      kind: 'client-secret' as const,
      secretName: 'tenant-a/svc-reporting',
      idempotencyKey: 'rotate-svc-reporting-1',
    };
    const client = (await t.admin<{ id: string }[]>('GET', '/clients?clientId=svc-reporting')).body[0]!;
    const oldSecret = (await t.admin<{ value: string }>('GET', `/clients/${client.id}/client-secret`)).body.value;
    expect(await adapter.verifyCredential!(before!, oldSecret)).toBe(true);

    const created = await run('createCredential', request);
    expect(created.outcome).toBe('done');
    expect(JSON.stringify(created)).not.toContain(await secrets.reveal(created.data!.secretRef));
    const secret = await secrets.reveal(created.data!.secretRef);
    expect(await adapter.verifyCredential!(created.data!.credential, secret)).toBe(true);
    expect(await adapter.verifyCredential!(before!, oldSecret)).toBe(false);
    await secrets.promote(created.data!.secretRef);

    // Retried after a lost reply: same secret version, no second regeneration.
    const again = await run('createCredential', request);
    expect(again).toMatchObject({ outcome: 'already-done', data: { secretRef: created.data!.secretRef } });
    expect(await adapter.verifyCredential!(created.data!.credential, secret)).toBe(true);
    await expect(
      run('deactivateCredential', { ownerId: 'svc-reporting', credentialId: before!.id }),
    ).resolves.toMatchObject({ outcome: 'already-done' });
    const current = await failure(
      run('deleteCredential', { ownerId: 'svc-reporting', credentialId: created.data!.credential.id }),
    );
    expect(current).toMatchObject({ type: 'PlatformConflict', nonRetryable: true });
  });

  it('disables a client so its secret no longer authenticates', async () => {
    const adapter = keycloakAdapterFactory(t.connection, readSecretRef);
    const created = await run('createCredential', {
      ownerId: 'svc-reporting',
      kind: 'client-secret',
      secretName: 'tenant-a/svc-reporting',
      idempotencyKey: 'before-disable',
    });
    const secret = await secrets.reveal(created.data!.secretRef);
    await expect(run('disableServiceAccount', { serviceAccountId: 'svc-reporting' })).resolves.toMatchObject({
      outcome: 'done',
    });
    expect(await adapter.verifyCredential!(created.data!.credential, secret)).toBe(false);
    await expect(run('disableServiceAccount', { serviceAccountId: 'svc-reporting' })).resolves.toMatchObject({
      outcome: 'already-done',
    });
  });
});

describe('failure classification', () => {
  it('fails a missing user, a wrong kind and bad connection credentials as non-retryable', async () => {
    expect(await failure(run('disableAccount', { subject: subjectFor('nobody-here') }))).toMatchObject({
      type: 'PlatformNotFound',
      nonRetryable: true,
    });
    expect(
      await failure(
        run('createCredential', { ownerId: 'svc-reporting', kind: 'access-key', secretName: 'x', idempotencyKey: 'k' }),
      ),
    ).toMatchObject({
      type: 'PlatformInvalidRequest',
      nonRetryable: true,
    });
    process.env.KC_TEST_WRONG_SECRET = 'not-the-secret';
    const wrong = activitiesFor({ ...t.connection, credentials: { clientSecret: 'env:KC_TEST_WRONG_SECRET' } });
    expect(await failure(run('disableAccount', { subject: subjectFor('anyone') }, wrong))).toMatchObject({
      type: 'PlatformForbidden',
      nonRetryable: true,
    });
  });

  describe('behind a proxy in front of the real server', () => {
    let proxy: Server;
    let viaProxy: PlatformActivities;
    let throttle = false;
    let tokenRequests = 0;

    beforeAll(async () => {
      // Passes everything through to the real Keycloak, counting token requests; when throttling, admin calls get
      // 429 + Retry-After as a rate-limiting gateway answers (Keycloak itself does not throttle its Admin API).
      proxy = createServer((req, res) => {
        if (req.url?.includes('/protocol/openid-connect/token')) tokenRequests++;
        if (throttle && req.url?.startsWith('/admin/')) {
          res.writeHead(429, { 'Retry-After': '12' }).end();
          return;
        }
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const headers = Object.fromEntries(
            Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length'),
          ) as Record<string, string>;
          const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks);
          void fetch(server.url + req.url, { method: req.method, headers, body }).then(async (upstream) => {
            res
              .writeHead(upstream.status, {
                'content-type': upstream.headers.get('content-type') ?? 'application/json',
              })
              .end(Buffer.from(await upstream.arrayBuffer()));
          });
        });
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      viaProxy = activitiesFor({
        ...t.connection,
        baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      });
    });
    afterAll(() => new Promise((resolve) => proxy.close(resolve)));

    it('reuses one access token across adapter instances until it expires', async () => {
      for (let i = 0; i < 3; i++)
        await expect(run('listCredentials', { ownerId: 'billing-app' }, viaProxy)).resolves.toMatchObject({
          outcome: 'done',
        });
      expect(tokenRequests).toBe(1);
    });

    it('is retryable after the Retry-After delay when throttled', async () => {
      throttle = true;
      expect(await failure(run('disableAccount', { subject: subjectFor('anyone') }, viaProxy))).toMatchObject({
        type: 'PlatformThrottled',
        nonRetryable: false,
        nextRetryDelay: 12_000,
      });
    });
  });

  it('retries an unreachable server', async () => {
    const down = activitiesFor({ ...t.connection, baseUrl: 'http://127.0.0.1:9' });
    expect(await failure(run('disableAccount', { subject: subjectFor('anyone') }, down))).toMatchObject({
      type: 'PlatformUnreachable',
      nonRetryable: false,
    });
  });
});
