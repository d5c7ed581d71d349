import { createHash } from 'node:crypto';
import type { Platform } from '../../shared';
import { PlatformError, platformErrorFromStatus } from '../errors';

/** An OAuth 2.0 client-credentials grant (RFC 6749 §4.4), e.g. a Microsoft Entra app registration. */
export interface ClientCredentialsGrant {
  platform: Platform;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
}

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

// Adapters are rebuilt per activity; the token outlives them so a busy queue does not hit the token endpoint per call.
const tokens = new Map<string, CachedToken>();
const EXPIRY_MARGIN_MS = 5 * 60_000;

/** A cached access token for the grant, fetched again shortly before it expires. */
export async function clientCredentialsToken(grant: ClientCredentialsGrant): Promise<string> {
  const key = cacheKey(grant);
  const cached = tokens.get(key);
  if (cached && cached.expiresAt > Date.now()) return cached.accessToken;
  const fresh = await requestToken(grant);
  tokens.set(key, fresh);
  return fresh.accessToken;
}

/** Forgets the grant's cached token (the platform rejected it); true when there was one to forget. */
export function forgetClientCredentialsToken(grant: ClientCredentialsGrant): boolean {
  return tokens.delete(cacheKey(grant));
}

/** Whether the token endpoint accepts these client credentials (a rotation's test step); nothing is cached. */
export async function clientCredentialsAccepted(grant: ClientCredentialsGrant): Promise<boolean> {
  try {
    await requestToken(grant);
    return true;
  } catch (err) {
    if (err instanceof PlatformError && err.kind === 'forbidden') return false;
    throw err;
  }
}

// Hashing the secret gives a rotated secret a fresh token and keeps the secret itself out of the map.
function cacheKey(grant: ClientCredentialsGrant): string {
  return createHash('sha256').update([grant.tokenUrl, grant.clientId, grant.scope, grant.clientSecret].join('\n')).digest('hex');
}

async function requestToken(grant: ClientCredentialsGrant): Promise<CachedToken> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: grant.clientId, client_secret: grant.clientSecret, scope: grant.scope });
  const what = `${grant.platform} token request`;
  let res: Response;
  try {
    res = await fetch(grant.tokenUrl, { method: 'POST', body: form, headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
  } catch {
    throw new PlatformError('network', `${what} could not reach the token endpoint`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    // invalid_client / unauthorized_client come back as 400 or 401: a credentials problem a retry cannot fix.
    if (res.status === 400 || res.status === 401) throw new PlatformError('forbidden', `${what} was rejected with ${res.status}`, undefined, res.status);
    throw platformErrorFromStatus(res.status, `${what} failed with ${res.status}`, res.headers.get('retry-after'));
  }
  const body = (await res.json()) as { access_token?: string; expires_in?: number };
  if (!body.access_token) throw new PlatformError('server', `${what} returned no access token`);
  const lifetimeMs = (body.expires_in ?? 3600) * 1000;
  // Short-lived tokens (Keycloak's default is 5 minutes) are still reused for the first half of their life.
  return { accessToken: body.access_token, expiresAt: Date.now() + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 2) };
}
