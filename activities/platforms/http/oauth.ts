import { createHash } from 'node:crypto';
import type { Platform } from '../../../shared';
import { PlatformError, platformErrorFromStatus } from '../../errors';
import { assertOutboundUrl, parseJson } from './rest-client';

/** An OAuth 2.0 client-credentials grant (RFC 6749 §4.4), e.g. a Microsoft Entra app registration. */
export interface ClientCredentialsGrant {
  platform: Platform;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
}

export interface AccessToken {
  accessToken: string;
  expiresAt: number;
}

// Adapters are rebuilt per activity; the token outlives them so a busy queue does not hit the token endpoint per call.
const tokens = new Map<string, AccessToken & { refreshAt: number }>();
const EXPIRY_MARGIN_MS = 5 * 60_000;

/**
 * A cached access token under `key`, fetched again shortly before it expires. The key
 * identifies the grant; derive it with grantKey() when the grant involves a secret.
 */
export async function cachedToken(key: string, fetchToken: () => Promise<AccessToken>): Promise<string> {
  const cached = tokens.get(key);
  if (cached && cached.refreshAt > Date.now()) return cached.accessToken;
  const fresh = await fetchToken();
  // Short-lived tokens (Keycloak's default is 5 minutes) are still reused for the first half of their life.
  tokens.set(key, {
    ...fresh,
    refreshAt: fresh.expiresAt - Math.min(EXPIRY_MARGIN_MS, (fresh.expiresAt - Date.now()) / 2),
  });
  return fresh.accessToken;
}

/** Forgets a cached token (the platform rejected it); true when there was one to forget. */
export function forgetToken(key: string): boolean {
  return tokens.delete(key);
}

// Hashing gives a rotated secret a fresh token and keeps the secret itself out of the map.
export function grantKey(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

/** A cached access token for the grant. */
export function clientCredentialsToken(grant: ClientCredentialsGrant): Promise<string> {
  return cachedToken(clientCredentialsKey(grant), () => requestClientCredentialsToken(grant));
}

/** Forgets the grant's cached token (the platform rejected it); true when there was one to forget. */
export function forgetClientCredentialsToken(grant: ClientCredentialsGrant): boolean {
  return forgetToken(clientCredentialsKey(grant));
}

/** Whether the token endpoint accepts these client credentials (a rotation's test step); nothing is cached. */
export async function clientCredentialsAccepted(grant: ClientCredentialsGrant): Promise<boolean> {
  try {
    await requestClientCredentialsToken(grant);
    return true;
  } catch (err) {
    if (err instanceof PlatformError && err.kind === 'forbidden') return false;
    throw err;
  }
}

function requestClientCredentialsToken(grant: ClientCredentialsGrant): Promise<AccessToken> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: grant.clientId,
    client_secret: grant.clientSecret,
    scope: grant.scope,
  });
  return requestToken(grant.platform, grant.tokenUrl, form);
}

function clientCredentialsKey(grant: ClientCredentialsGrant): string {
  return grantKey(grant.tokenUrl, grant.clientId, grant.scope, grant.clientSecret);
}

/** A token request to an OAuth 2.0 token endpoint (RFC 6749 §3.2), form-encoded; failures never quote the form. */
export async function requestToken(platform: Platform, tokenUrl: string, form: URLSearchParams): Promise<AccessToken> {
  const what = `${platform} token request`;
  assertOutboundUrl(platform, tokenUrl);
  let res: Response;
  try {
    res = await fetch(tokenUrl, {
      method: 'POST',
      body: form,
      headers: { Accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    throw new PlatformError('network', `${what} could not reach the token endpoint`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    // invalid_client / invalid_grant / unauthorized_client come back as 400 or 401: a credentials problem a retry cannot fix.
    if (res.status === 400 || res.status === 401)
      throw new PlatformError('forbidden', `${what} was rejected with ${res.status}`, undefined, res.status);
    throw platformErrorFromStatus(res.status, `${what} failed with ${res.status}`, res.headers.get('retry-after'));
  }
  const body = parseJson<{ access_token?: string; expires_in?: number }>(await res.text(), what) ?? {};
  if (!body.access_token) throw new PlatformError('server', `${what} returned no access token`);
  return { accessToken: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000 };
}
