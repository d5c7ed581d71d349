import type { PlatformConnection } from '../../../shared';
import type { SecretReader } from '../../connection-secrets';
import { PlatformError, parseRetryAfter } from '../../errors';
import { signJwtRs256 } from './jwt';
import { cachedToken, forgetToken, grantKey } from './oauth';
import { type FailedResponse, RestClient } from './rest-client';

const GITHUB_HEADERS = {
  Accept: 'application/vnd.github+json',
  'X-GitHub-Api-Version': '2022-11-28',
  'User-Agent': 'identity-runbooks',
};

interface GitHubAuth {
  /** The Authorization header value for the next request. */
  authorization(): Promise<string>;
  /** Forgets a cached installation token GitHub rejected; true when there was one. */
  forget(): boolean;
}

/** The REST client of the GitHub adapter: GitHub's headers, auth, and rate-limit classification. */
export function githubRestClient(connection: PlatformConnection, readSecret: SecretReader): RestClient {
  const baseUrl = connection.baseUrl ?? 'https://api.github.com/';
  const auth = githubAuth(connection, baseUrl, readSecret);
  return new RestClient({
    platform: 'github',
    baseUrl,
    classifyFailure: githubFailure,
    headers: async () => ({ ...GITHUB_HEADERS, Authorization: await auth.authorization() }),
    dropCachedAuth: () => auth.forget(),
  });
}

/**
 * How the adapter authenticates: as a GitHub App installation (settings.appId,
 * settings.installationId, credentials.appPrivateKey = `env:VAR` with the app's PEM key),
 * which GitHub recommends for org automation and requires for the fine-grained PAT
 * endpoints; or with a token (credentials.token = `env:VAR`, an org owner's PAT).
 */
function githubAuth(connection: PlatformConnection, baseUrl: string, readSecret: SecretReader): GitHubAuth {
  const { appId, installationId } = connection.settings ?? {};
  const { appPrivateKey, token } = connection.credentials ?? {};
  if (appId && installationId && appPrivateKey) {
    const key = () => grantKey(baseUrl, appId, installationId, readSecret(appPrivateKey));
    return {
      authorization: async () =>
        `Bearer ${await cachedToken(key(), () => installationToken(baseUrl, appId, installationId, readSecret(appPrivateKey)))}`,
      forget: () => forgetToken(key()),
    };
  }
  if (token) return { authorization: () => Promise.resolve(`Bearer ${readSecret(token)}`), forget: () => false };
  throw new PlatformError(
    'invalid',
    'github connection needs credentials.token, or settings.appId, settings.installationId and credentials.appPrivateKey',
  );
}

/** Exchanges a short-lived app JWT (iss = app id, at most 10 minutes) for an installation access token. */
async function installationToken(baseUrl: string, appId: string, installationId: string, privateKeyPem: string) {
  const now = Math.floor(Date.now() / 1000);
  // iat 60 s in the past absorbs clock drift, as GitHub advises.
  const jwt = signJwtRs256({ iat: now - 60, exp: now + 540, iss: appId }, privateKeyPem, 'github app private key');
  const rest = new RestClient({
    platform: 'github',
    baseUrl,
    classifyFailure: githubFailure,
    headers: () => Promise.resolve({ ...GITHUB_HEADERS, Authorization: `Bearer ${jwt}` }),
  });
  const res = await rest.post<{ token: string; expires_at: string }>(
    `/app/installations/${encodeURIComponent(installationId)}/access_tokens`,
  );
  return { accessToken: res.body.token, expiresAt: Date.parse(res.body.expires_at) };
}

/** GitHub's advice when a secondary rate limit gives no header: wait at least a minute. */
const SECONDARY_LIMIT_DEFAULT_MS = 60_000;

/**
 * GitHub's rate limits come as 403 or 429: the primary limit with x-ratelimit-remaining: 0
 * and x-ratelimit-reset (epoch seconds), a secondary limit with retry-after or only its message.
 */
function githubFailure({ status, headers, body, message }: FailedResponse): PlatformError | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = parseRetryAfter(headers.get('retry-after'));
  if (retryAfter !== undefined) return new PlatformError('throttled', message, retryAfter, status);
  const reset = Number(headers.get('x-ratelimit-reset'));
  // The reset is whole seconds and may already be past when the reply is read: wait at least a second.
  if (headers.get('x-ratelimit-remaining') === '0' && reset > 0)
    return new PlatformError('throttled', message, Math.max(1000, reset * 1000 - Date.now()), status);
  if (status === 429 || /secondary rate limit/i.test(body))
    return new PlatformError('throttled', message, SECONDARY_LIMIT_DEFAULT_MS, status);
  return undefined;
}
