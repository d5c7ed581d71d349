import { randomBytes } from 'node:crypto';
import type { PlatformConnection } from '../../shared';
import type { KeycloakServer } from './keycloak';

/** What the adapter's service account may do: users, groups, role mappings, clients; nothing realm-wide. */
const ADAPTER_ROLES = [
  'manage-users',
  'view-users',
  'query-users',
  'query-groups',
  'manage-clients',
  'view-clients',
  'query-clients',
  'view-realm',
];
export const IDENTITY_PROVIDER = 'corporate-oidc';

type AdminCall = <T = unknown>(
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: T; location?: string }>;

export interface KeycloakTestRealm {
  server: KeycloakServer;
  realm: string;
  /** The tenant connection: service-account client, secret as an env: reference. */
  connection: PlatformConnection;
  /** Master-realm admin calls under /admin/realms/<realm>, to seed and to check state behind the adapter's back. */
  admin: AdminCall;
}

async function masterToken(server: KeycloakServer): Promise<string> {
  const res = await fetch(`${server.url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'admin-cli',
      username: server.admin.username,
      password: server.admin.password,
    }),
  });
  if (!res.ok) throw new Error(`master admin login failed with ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Master-realm admin calls under /admin/realms/<realm> ('' for /admin/realms itself). */
export function adminApi(server: KeycloakServer, realm: string): AdminCall {
  let token: Promise<string> | undefined;
  const send = async (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}/admin/realms${realm ? `/${realm}` : ''}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${await (token ??= masterToken(server))}`,
        ...(body !== undefined && { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return async <T>(method: string, path: string, body?: unknown) => {
    let res = await send(method, path, body);
    if (res.status === 401) {
      // The master realm's admin tokens live 60 s: a test that checks state minutes later logs in again.
      token = undefined;
      res = await send(method, path, body);
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} failed with ${res.status}: ${text.slice(0, 200)}`);
    return {
      status: res.status,
      body: (text ? JSON.parse(text) : undefined) as T,
      location: res.headers.get('location') ?? undefined,
    };
  };
}

const idOf = (location: string | undefined) => location!.split('/').at(-1)!;

/**
 * A fresh realm as a tenant would have it: the adapter's confidential client
 * with realm-management roles, a login client for seeding sessions, an OIDC
 * identity provider for federation links, groups, a realm role, a client role
 * and a service-account client to rotate.
 */
export async function provisionRealm(server: KeycloakServer): Promise<KeycloakTestRealm> {
  const realm = `tenant-${randomBytes(3).toString('hex')}`;
  await adminApi(server, '')('POST', '', { realm, enabled: true });
  const admin = adminApi(server, realm);

  const secret = randomBytes(16).toString('hex');
  const client = await admin('POST', '/clients', {
    clientId: 'identity-runbooks',
    publicClient: false,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    secret,
  });
  const serviceUser = (await admin<{ id: string }>('GET', `/clients/${idOf(client.location)}/service-account-user`))
    .body;
  const management = (await admin<{ id: string }[]>('GET', '/clients?clientId=realm-management')).body[0]!;
  const roles = await Promise.all(
    ADAPTER_ROLES.map(async (name) => (await admin('GET', `/clients/${management.id}/roles/${name}`)).body),
  );
  await admin('POST', `/users/${serviceUser.id}/role-mappings/clients/${management.id}`, roles);

  await admin('POST', '/clients', {
    clientId: 'test-login',
    publicClient: true,
    directAccessGrantsEnabled: true,
    standardFlowEnabled: false,
  });
  await admin('POST', '/clients', {
    clientId: 'svc-reporting',
    publicClient: false,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
  });
  const billing = await admin('POST', '/clients', {
    clientId: 'billing-app',
    publicClient: false,
    standardFlowEnabled: false,
  });
  await admin('POST', `/clients/${idOf(billing.location)}/roles`, { name: 'invoice-approver' });
  await admin('POST', '/roles', { name: 'auditor' });
  const engineering = await admin('POST', '/groups', { name: 'engineering' });
  await admin('POST', `/groups/${idOf(engineering.location)}/children`, { name: 'oncall' });
  await admin('POST', '/identity-provider/instances', {
    alias: IDENTITY_PROVIDER,
    providerId: 'oidc',
    enabled: true,
    config: {
      clientId: 'keycloak',
      clientSecret: 'unused',
      authorizationUrl: 'http://127.0.0.1:9/authorize',
      tokenUrl: 'http://127.0.0.1:9/token',
      clientAuthMethod: 'client_secret_post',
    },
  });

  const secretVariable = `KC_TEST_SECRET_${realm.replace(/-/g, '_').toUpperCase()}`;
  process.env[secretVariable] = secret;
  const connection: PlatformConnection = {
    platform: 'keycloak',
    baseUrl: server.url,
    settings: { realm, clientId: 'identity-runbooks' },
    credentials: { clientSecret: `env:${secretVariable}` },
  };
  return { server, realm, connection, admin };
}

export interface SeededKeycloakUser {
  id: string;
  userName: string;
  password: string;
  /** A refresh token of the user's browser-like session and an offline token: both must die on revokeSessions. */
  refreshToken: string;
  offlineToken: string;
}

/**
 * A realistic leaver: profile complete, password set, in /engineering/oncall,
 * holding a realm role and a client role, linked to the corporate IdP, with an
 * active session and an offline token from the login client.
 */
export async function seedKeycloakUser(t: KeycloakTestRealm, userName: string): Promise<SeededKeycloakUser> {
  const password = `Pw-${randomBytes(8).toString('hex')}`;
  const created = await t.admin('POST', '/users', {
    username: userName,
    email: `${userName}@example.com`,
    emailVerified: true,
    firstName: 'Lee',
    lastName: 'Aver',
    enabled: true,
    credentials: [{ type: 'password', value: password, temporary: false }],
  });
  const id = idOf(created.location);
  const oncall = (await t.admin<{ id: string }>('GET', '/group-by-path/engineering/oncall')).body;
  await t.admin('PUT', `/users/${id}/groups/${oncall.id}`);
  await t.admin('POST', `/users/${id}/role-mappings/realm`, [(await t.admin('GET', '/roles/auditor')).body]);
  const billing = (await t.admin<{ id: string }[]>('GET', '/clients?clientId=billing-app')).body[0]!;
  await t.admin('POST', `/users/${id}/role-mappings/clients/${billing.id}`, [
    (await t.admin('GET', `/clients/${billing.id}/roles/invoice-approver`)).body,
  ]);
  await t.admin('POST', `/users/${id}/federated-identity/${IDENTITY_PROVIDER}`, {
    identityProvider: IDENTITY_PROVIDER,
    userId: `ext-${userName}`,
    userName,
  });
  const refreshToken = await login(t, userName, password, 'openid');
  const offlineToken = await login(t, userName, password, 'openid offline_access');
  return { id, userName, password, refreshToken, offlineToken };
}

async function login(t: KeycloakTestRealm, username: string, password: string, scope: string): Promise<string> {
  const res = await fetch(`${t.server.url}/realms/${t.realm}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: 'test-login', username, password, scope }),
  });
  if (!res.ok) throw new Error(`login of ${username} failed with ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { refresh_token: string }).refresh_token;
}

/** Whether a refresh (or offline) token still yields an access token. */
export async function refreshWorks(t: KeycloakTestRealm, refreshToken: string): Promise<boolean> {
  const res = await fetch(`${t.server.url}/realms/${t.realm}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'test-login', refresh_token: refreshToken }),
  });
  await res.body?.cancel();
  return res.ok;
}

/** What an offboarding must have left, read with the master admin. */
export async function keycloakUserState(t: KeycloakTestRealm, userId: string) {
  const [user, sessions, consents, links, groups, roles] = await Promise.all([
    t.admin<{ enabled: boolean }>('GET', `/users/${userId}`),
    t.admin<unknown[]>('GET', `/users/${userId}/sessions`),
    t.admin<unknown[]>('GET', `/users/${userId}/consents`),
    t.admin<{ identityProvider: string }[]>('GET', `/users/${userId}/federated-identity`),
    t.admin<{ path: string }[]>('GET', `/users/${userId}/groups`),
    t.admin<{ realmMappings?: { name: string }[]; clientMappings?: Record<string, unknown> }>(
      'GET',
      `/users/${userId}/role-mappings`,
    ),
  ]);
  return {
    enabled: user.body.enabled,
    sessions: sessions.body.length,
    consents: consents.body.length,
    federationLinks: links.body.map((l) => l.identityProvider),
    groups: groups.body.map((g) => g.path),
    realmRoles: (roles.body.realmMappings ?? []).map((r) => r.name).sort(),
    clientRoles: Object.keys(roles.body.clientMappings ?? {}),
  };
}
