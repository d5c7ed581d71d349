import { createSign } from 'node:crypto';
import { PlatformError, platformErrorFromStatus } from '../errors';

/** The fields of a Google service-account JSON key file this flow uses. */
export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  token_uri?: string;
}

export interface ServiceAccountTokenOptions {
  key: ServiceAccountKey;
  scopes: readonly string[];
  /** Domain-wide delegation: the admin user the service account acts as. */
  subject?: string;
  /** Overrides the key's token_uri (tests point it at the contract fake). */
  tokenUrl?: string;
}

const DEFAULT_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const LIFETIME_S = 3600;
const REFRESH_MARGIN_MS = 60_000;

export function parseServiceAccountKey(json: string): ServiceAccountKey {
  let key: Partial<ServiceAccountKey>;
  try {
    key = JSON.parse(json) as Partial<ServiceAccountKey>;
  } catch {
    throw new PlatformError('invalid', 'google service-account key is not JSON (expected the downloaded key file)');
  }
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw new PlatformError('invalid', 'google service-account key lacks client_email or private_key');
  }
  return key as ServiceAccountKey;
}

/** The signed JWT assertion of the OAuth 2.0 JWT bearer grant (RFC 7523), as Google documents it for service accounts. */
export function signAssertion(opts: ServiceAccountTokenOptions, audience: string, nowMs = Date.now()): string {
  const iat = Math.floor(nowMs / 1000);
  const claims = { iss: opts.key.client_email, scope: opts.scopes.join(' '), aud: audience, iat, exp: iat + LIFETIME_S, ...(opts.subject ? { sub: opts.subject } : {}) };
  const unsigned = `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url(claims)}`;
  let signature: string;
  try {
    signature = createSign('RSA-SHA256').update(unsigned).sign(opts.key.private_key, 'base64url');
  } catch {
    throw new PlatformError('invalid', 'google service-account private_key cannot sign (not a PEM RSA key)');
  }
  return `${unsigned}.${signature}`;
}

const cache = new Map<string, { token: string; expiresAt: number }>();

/**
 * An access token for the service account, cached per (token URL, account,
 * delegated subject, scopes) until shortly before it expires: adapters are rebuilt
 * per activity, tokens need not be.
 */
export async function serviceAccountToken(opts: ServiceAccountTokenOptions): Promise<string> {
  const tokenUrl = opts.tokenUrl ?? opts.key.token_uri ?? DEFAULT_TOKEN_URL;
  const cacheKey = [tokenUrl, opts.key.client_email, opts.subject ?? '', ...opts.scopes].join('|');
  const cached = cache.get(cacheKey);
  if (cached && cached.expiresAt - REFRESH_MARGIN_MS > Date.now()) return cached.token;

  const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: signAssertion(opts, tokenUrl) });
  let res: Response;
  try {
    res = await fetch(tokenUrl, { method: 'POST', body: form, signal: AbortSignal.timeout(30_000) });
  } catch {
    throw new PlatformError('network', 'google token endpoint unreachable');
  }
  if (!res.ok) {
    await res.body?.cancel();
    // 400 invalid_grant / unauthorized_client: wrong key or delegation not granted; retrying cannot fix it.
    const status = res.status === 400 ? 401 : res.status;
    throw platformErrorFromStatus(status, `google token request failed with ${res.status}`, res.headers.get('retry-after'));
  }
  const body = (await res.json()) as { access_token?: string; expires_in?: number };
  if (!body.access_token) throw new PlatformError('server', 'google token response has no access_token');
  cache.set(cacheKey, { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? LIFETIME_S) * 1000 });
  return body.access_token;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
