import type { PlatformConnection } from '../../shared';
import type { SecretReader } from '../connection-secrets';
import { PlatformError, parseRetryAfter } from '../errors';
import { assertOutboundUrl } from './http/rest-client';

/** What every AWS SDK v3 client of a tenant connection is built with. */
export interface AwsClientConfig {
  region: string;
  endpoint?: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Temporal owns retries (backoff, visibility, Retry-After): the SDK tries once. */
  maxAttempts: 1;
}

/**
 * `baseUrl` overrides the endpoint (moto, VPC endpoints), `settings.region` picks
 * the region and `credentials.accessKeyId` / `credentials.secretAccessKey` are
 * secret references of the tenant. Both are required: the SDK's default chain (the
 * worker's own role) is never used for a tenant, so a tenant without AWS credentials
 * fails at once instead of acting as the worker.
 */
export function awsClientConfig(connection: PlatformConnection, readSecret: SecretReader): AwsClientConfig {
  const refs = connection.credentials ?? {};
  if (!refs.accessKeyId || !refs.secretAccessKey) {
    throw new PlatformError(
      'invalid',
      "aws connection needs credentials.accessKeyId and credentials.secretAccessKey (the worker's own AWS identity is never used for a tenant)",
    );
  }
  // An endpoint override is a tenant-set URL like any other: never a metadata or, outside development, internal address.
  if (connection.baseUrl) assertOutboundUrl('aws', connection.baseUrl);
  const credentials = { accessKeyId: readSecret(refs.accessKeyId), secretAccessKey: readSecret(refs.secretAccessKey) };
  return {
    region: connection.settings?.region ?? 'us-east-1',
    endpoint: connection.baseUrl,
    credentials,
    maxAttempts: 1,
  };
}

interface AwsErrorShape {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

const NOT_FOUND = /^(NoSuchEntity|ResourceNotFound)/;
const FORBIDDEN =
  /^(AccessDenied|UnrecognizedClient|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken|InvalidSignature|UnauthorizedOperation)/;
const THROTTLED = /^(Throttling|TooManyRequests|RequestLimitExceeded|SlowDown)/;
const CONFLICT = /^(EntityAlreadyExists|ResourceExists|DeleteConflict)/;
const RETRYABLE_CONFLICT = /^(ConcurrentModification|EntityTemporarilyUnmodifiable)/;

/**
 * Classifies an AWS SDK failure. Messages name the operation and AWS's error
 * code and message (which name entities, never secrets); no request or response body.
 */
export function awsPlatformError(operation: string, err: unknown): PlatformError {
  if (err instanceof PlatformError) return err;
  const e = (err ?? {}) as AwsErrorShape;
  const code = (e.name ?? 'Error').replace(/Exception$/, '');
  const status = e.$metadata?.httpStatusCode;
  const message = `aws ${operation} failed: ${code}${e.message ? ` (${e.message})` : ''}`;
  if (status === undefined && !e.$fault)
    return new PlatformError('network', `aws ${operation} failed: ${e.name ?? 'network error'}`);
  if (THROTTLED.test(code) || status === 429)
    return new PlatformError('throttled', message, parseRetryAfter(e.$response?.headers?.['retry-after']), status);
  if (NOT_FOUND.test(code) || status === 404) return new PlatformError('not-found', message, undefined, status);
  if (FORBIDDEN.test(code) || status === 401 || status === 403)
    return new PlatformError('forbidden', message, undefined, status);
  if (CONFLICT.test(code)) return new PlatformError('conflict', message, undefined, status);
  if (RETRYABLE_CONFLICT.test(code) || e.$fault === 'server' || (status ?? 0) >= 500) {
    return new PlatformError('server', message, parseRetryAfter(e.$response?.headers?.['retry-after']), status);
  }
  // LimitExceeded, ValidationError, InvalidInput, MalformedPolicyDocument and other client faults.
  return new PlatformError('invalid', message, undefined, status);
}

/** Runs one SDK call and classifies its failure. */
export async function awsCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw awsPlatformError(operation, err);
  }
}
