import { PlatformError } from '../../errors';
import { signJwtRs256 } from './jwt';
import { cachedToken, forgetToken, grantKey, requestToken } from './oauth';

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
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const LIFETIME_S = 3600;

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

/**
 * An access token for the service account through the JWT bearer grant (RFC 7523) as Google
 * documents it for service accounts: a signed assertion naming the account, scopes and the
 * delegated subject. Cached per account, subject and scopes (adapters are rebuilt per activity).
 */
export function serviceAccountToken(opts: ServiceAccountTokenOptions): Promise<string> {
  const tokenUrl = tokenUrlOf(opts);
  return cachedToken(serviceAccountKey(opts), () => {
    const iat = Math.floor(Date.now() / 1000);
    const claims = {
      iss: opts.key.client_email,
      scope: opts.scopes.join(' '),
      aud: tokenUrl,
      iat,
      exp: iat + LIFETIME_S,
      ...(opts.subject ? { sub: opts.subject } : {}),
    };
    const assertion = signJwtRs256(claims, opts.key.private_key, 'google service-account private_key');
    return requestToken('google-workspace', tokenUrl, new URLSearchParams({ grant_type: JWT_BEARER, assertion }));
  });
}

/** Forgets the cached token (Google rejected it); true when there was one. */
export function forgetServiceAccountToken(opts: ServiceAccountTokenOptions): boolean {
  return forgetToken(serviceAccountKey(opts));
}

function tokenUrlOf(opts: ServiceAccountTokenOptions): string {
  return opts.tokenUrl ?? opts.key.token_uri ?? DEFAULT_TOKEN_URL;
}

function serviceAccountKey(opts: ServiceAccountTokenOptions): string {
  return grantKey(
    tokenUrlOf(opts),
    opts.key.client_email,
    opts.subject ?? '',
    opts.scopes.join(' '),
    opts.key.private_key,
  );
}
