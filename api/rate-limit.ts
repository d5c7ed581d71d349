import type { RequestHandler } from 'express';
import { principalOf } from './access';
import { tooManyRequests } from './problem';

export interface RateLimitOptions {
  /** Requests per credential per window. */
  limit: number;
  windowMs: number;
}

/**
 * Fixed-window limit per credential (API key or OIDC subject), in this
 * process. Several API replicas each enforce it, so the effective limit is
 * per replica; a shared store would be the next step if that matters.
 */
export function rateLimitPerCredential(
  { limit, windowMs }: RateLimitOptions,
  now: () => number = Date.now,
): RequestHandler {
  let windowStart = now();
  let counts = new Map<string, number>();
  return (_req, res, next) => {
    const t = now();
    if (t - windowStart >= windowMs) {
      windowStart = t - ((t - windowStart) % windowMs);
      counts = new Map();
    }
    const key = principalOf(res).credentialId;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    res.setHeader('RateLimit-Limit', String(limit));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, limit - count)));
    if (count > limit) return next(tooManyRequests(Math.max(1, Math.ceil((windowStart + windowMs - t) / 1000))));
    next();
  };
}
