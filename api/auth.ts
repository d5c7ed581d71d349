import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Actor } from '../shared/runs';
import { ROLES, type ApiKeyStore, type Grant, type Role } from '../store/api-keys';
import { problem, unauthorized } from './problem';

const identityProviderUnavailable = () =>
  problem(
    503,
    'identity-provider-unavailable',
    'The identity provider’s signing keys cannot be fetched; try again shortly',
    {},
    { 'Retry-After': '5' },
  );

/** Who is calling and what they may do; set on res.locals.principal by authenticate(). */
export interface Principal {
  actor: Actor;
  grants: Grant[];
  /** Stable per credential: the rate limiter's bucket. */
  credentialId: string;
}

/** An OIDC issuer whose access tokens the API accepts (Keycloak realm, Entra tenant...). */
export interface OidcOptions {
  issuer: string;
  audience: string;
  /** The issuer's JWKS; discovered from /.well-known/openid-configuration when omitted. */
  jwksUri?: string;
  /** Claim holding grants as `role:tenantId` strings (`role:*` for every tenant). */
  rolesClaim?: string;
  /** Claim naming the person (their reviewer/approver id). */
  subjectClaim?: string;
}

export interface AuthOptions {
  apiKeys: ApiKeyStore;
  adminApiKey?: string;
  oidc?: OidcOptions;
}

const BOOTSTRAP_ADMIN: Principal = {
  actor: { id: 'bootstrap-admin', kind: 'api-key' },
  grants: [{ role: 'admin', tenantId: '*' }],
  credentialId: 'api-key:bootstrap-admin',
};

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** `reviewer:acme` → { role: 'reviewer', tenantId: 'acme' }; anything else is ignored. */
export function parseGrant(value: unknown): Grant | undefined {
  if (typeof value !== 'string') return undefined;
  const [role, tenantId, ...rest] = value.split(':');
  // A consumer grant names its credentials: only an API key carries one, never a token's role claim.
  if (rest.length > 0 || !tenantId || !(ROLES as readonly string[]).includes(role!) || role === 'consumer')
    return undefined;
  return { role: role as Role, tenantId };
}

async function discoverJwksUri(issuer: string): Promise<string> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`OIDC discovery failed with HTTP ${response.status}`);
  const { jwks_uri: uri } = (await response.json()) as { jwks_uri?: string };
  if (!uri) throw new Error('OIDC discovery document has no jwks_uri');
  return uri;
}

/** Verifies access tokens against the issuer's JWKS (fetched once, refreshed by jose on an unknown key id). */
export function oidcVerifier(options: OidcOptions): (token: string) => Promise<Principal | undefined> {
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keySet = () =>
    (jwks ??= (options.jwksUri ? Promise.resolve(options.jwksUri) : discoverJwksUri(options.issuer)).then((uri) =>
      createRemoteJWKSet(new URL(uri)),
    ));
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await keySet(), {
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: 30,
      }));
    } catch (err) {
      // A token problem is a JOSE error (ERR_JWT_*, ERR_JWS_*...); anything else, a JWKS timeout or a non-200 JWKS answer means the IdP is unreachable.
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('ERR_J') || code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC') {
        jwks = undefined; // discovery or the JWKS fetch failed: try again on the next request
        throw identityProviderUnavailable();
      }
      return undefined;
    }
    const subject = payload[options.subjectClaim ?? 'sub'];
    if (typeof subject !== 'string' || !subject) return undefined;
    const claim = payload[options.rolesClaim ?? 'roles'];
    const grants = (Array.isArray(claim) ? claim : []).map(parseGrant).filter((g): g is Grant => g !== undefined);
    const displayName = typeof payload.name === 'string' ? payload.name : undefined;
    return { actor: { id: subject, kind: 'user', displayName }, grants, credentialId: `oidc:${subject}` };
  };
}

/**
 * Bearer authentication on every /v1 route: the bootstrap admin key, an API
 * key from the store, or an OIDC access token. Anything else is 401.
 */
export function authenticate({ apiKeys, adminApiKey, oidc }: AuthOptions): RequestHandler {
  const bootstrap = adminApiKey ? digest(adminApiKey) : undefined;
  const verifyJwt = oidc ? oidcVerifier(oidc) : undefined;
  const resolve = async (token: string): Promise<Principal | undefined> => {
    if (bootstrap && timingSafeEqual(digest(token), bootstrap)) return BOOTSTRAP_ADMIN;
    if (token.startsWith('irb_')) {
      const key = await apiKeys.verify(token);
      if (!key) return undefined;
      const actor: Actor = { id: key.ownerId ?? `api-key:${key.keyId}`, kind: 'api-key', displayName: key.name };
      return { actor, grants: key.grants, credentialId: `api-key:${key.keyId}` };
    }
    return token.split('.').length === 3 && verifyJwt ? verifyJwt(token) : undefined;
  };
  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const principal = match ? await resolve(match[1]!) : undefined; // errors (store or IdP down) reach the error handler
    if (!principal) return next(unauthorized());
    res.locals.principal = principal;
    next();
  };
}
