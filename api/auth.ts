import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { unauthorized } from './problem';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Bearer authentication with the bootstrap admin key (compared in constant time, by digest). */
export function requireAdminKey(adminApiKey: string | undefined): RequestHandler {
  const expected = adminApiKey ? digest(adminApiKey) : undefined;
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!expected || !match || !timingSafeEqual(digest(match[1]!), expected)) return next(unauthorized());
    res.locals.actor = { id: 'bootstrap-admin', kind: 'api-key' };
    next();
  };
}
