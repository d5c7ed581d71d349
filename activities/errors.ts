import { ApplicationFailure } from '@temporalio/common';

/**
 * How a platform call failed. not-found / forbidden / invalid / conflict cannot be
 * fixed by retrying; throttled / server / network can (throttled honours Retry-After).
 */
export type PlatformErrorKind =
  'not-found' | 'forbidden' | 'invalid' | 'conflict' | 'unsupported' | 'throttled' | 'server' | 'network';

const NON_RETRYABLE: ReadonlySet<PlatformErrorKind> = new Set([
  'not-found',
  'forbidden',
  'invalid',
  'conflict',
  'unsupported',
]);

export class PlatformError extends Error {
  constructor(
    readonly kind: PlatformErrorKind,
    message: string,
    readonly retryAfterMs?: number,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PlatformError';
  }
}

/** Classifies an HTTP status the way every REST platform adapter needs it. */
export function platformErrorFromStatus(
  status: number,
  message: string,
  retryAfterHeader?: string | null,
): PlatformError {
  if (status === 429) return new PlatformError('throttled', message, parseRetryAfter(retryAfterHeader), status);
  if (status === 404 || status === 410) return new PlatformError('not-found', message, undefined, status);
  if (status === 401 || status === 403) return new PlatformError('forbidden', message, undefined, status);
  if (status === 409) return new PlatformError('conflict', message, undefined, status);
  if (status >= 500) return new PlatformError('server', message, parseRetryAfter(retryAfterHeader), status);
  return new PlatformError('invalid', message, undefined, status);
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Error types workflows branch on. Stable: they are part of workflow histories. */
export const FAILURE_TYPE: Record<PlatformErrorKind, string> = {
  'not-found': 'PlatformNotFound',
  forbidden: 'PlatformForbidden',
  invalid: 'PlatformInvalidRequest',
  conflict: 'PlatformConflict',
  unsupported: 'UnsupportedAction',
  throttled: 'PlatformThrottled',
  server: 'PlatformServerError',
  network: 'PlatformUnreachable',
};

/** Turns any adapter failure into an ApplicationFailure that Temporal retries (or not) correctly. */
export function toActivityFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof PlatformError) {
    return ApplicationFailure.create({
      type: FAILURE_TYPE[err.kind],
      message: err.message,
      nonRetryable: NON_RETRYABLE.has(err.kind),
      // A zero delay (Retry-After: 0, a reset already past) means "whenever": leave it to the retry policy's backoff.
      nextRetryDelay: err.retryAfterMs ? err.retryAfterMs : undefined,
      details: err.status === undefined ? [] : [{ status: err.status }],
    });
  }
  // Unknown failures (network resets, SDK errors) are retried.
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({ type: FAILURE_TYPE.network, message, nonRetryable: false });
}

/** Runs a platform call, turning a PlatformError into the activity failure Temporal retries (or not) by its kind. */
export async function platformCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof PlatformError ? toActivityFailure(err) : err;
  }
}
