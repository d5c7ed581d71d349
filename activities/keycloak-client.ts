import { createHash } from 'node:crypto';
import type { PlatformConnection } from '../shared';
import type { SecretReader } from './connection-secrets';
import { PlatformError, platformErrorFromStatus } from './errors';
import { RestClient } from './http/rest-client';

/** A Keycloak realm reached through a confidential client's service account (realm-management roles). */
export interface KeycloakRealm {
  serverUrl: string;
  realm: string;
  clientId: string;
  clientSecret: string;
}

export function keycloakRealm(connection: PlatformConnection, readSecret: SecretReader): KeycloakRealm {
  const { baseUrl, settings = {}, credentials = {} } = connection;
  const missing = [!baseUrl && 'baseUrl', !settings.realm && 'settings.realm', !settings.clientId && 'settings.clientId', !credentials.clientSecret && 'credentials.clientSecret'].filter(Boolean);
  if (missing.length) throw new PlatformError('invalid', `keycloak connection lacks ${missing.join(', ')}`);
  return { serverUrl: baseUrl!.replace(/\/+$/, ''), realm: settings.realm!, clientId: settings.clientId!, clientSecret: readSecret(credentials.clientSecret!) };
}

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

/**
 * Access tokens by (server, realm, client, secret digest), reused until shortly
 * before expiry: adapters are rebuilt per activity, the token need not be.
 */
const tokens = new Map<string, CachedToken>();
const EXPIRY_MARGIN_MS = 30_000;

/** The Admin REST API of one realm, authenticated with the connection's client credentials. */
export function keycloakAdminApi(realm: KeycloakRealm): RestClient {
  return new RestClient({
    platform: 'keycloak',
    baseUrl: `${realm.serverUrl}/admin/realms/${encodeURIComponent(realm.realm)}/`,
    headers: async () => ({ Authorization: `Bearer ${await adminToken(realm)}` }),
  });
}

async function adminToken(realm: KeycloakRealm): Promise<string> {
  const key = [realm.serverUrl, realm.realm, realm.clientId, createHash('sha256').update(realm.clientSecret).digest('hex')].join('|');
  const cached = tokens.get(key);
  if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return cached.accessToken;
  const granted = await clientCredentialsGrant(realm, realm.clientId, realm.clientSecret);
  if (!granted) throw new PlatformError('forbidden', `keycloak rejected the client credentials of ${realm.clientId}`);
  tokens.set(key, { accessToken: granted.access_token, expiresAt: Date.now() + granted.expires_in * 1000 });
  return granted.access_token;
}

/**
 * The OAuth client_credentials grant. Returns undefined when Keycloak rejects
 * the client or secret (400/401), so rotation's verify step can answer "no".
 */
export async function clientCredentialsGrant(
  realm: Pick<KeycloakRealm, 'serverUrl' | 'realm'>,
  clientId: string,
  clientSecret: string,
): Promise<{ access_token: string; expires_in: number } | undefined> {
  const path = `/realms/${encodeURIComponent(realm.realm)}/protocol/openid-connect/token`;
  let res: Response;
  try {
    res = await fetch(realm.serverUrl + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    throw new PlatformError('network', `keycloak POST ${path} unreachable`);
  }
  if (res.status === 400 || res.status === 401) {
    await res.body?.cancel();
    return undefined;
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw platformErrorFromStatus(res.status, `keycloak POST ${path} failed with ${res.status}`, res.headers.get('retry-after'));
  }
  return (await res.json()) as { access_token: string; expires_in: number };
}
