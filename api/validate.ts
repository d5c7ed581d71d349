import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { validationProblem } from './problem';

interface Schemas<B extends z.ZodType, P extends z.ZodType, Q extends z.ZodType> {
  body?: B;
  params?: P;
  query?: Q;
}

export interface Validated<B, P, Q> {
  body: B;
  params: P;
  query: Q;
}

/**
 * Validates body, params and query with zod and hands the parsed values on in
 * res.locals.valid. Every offending field is reported, with its path.
 */
export function validate<
  B extends z.ZodType = z.ZodUnknown,
  P extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
>(schemas: Schemas<B, P, Q>): RequestHandler {
  return (req, res, next) => {
    const valid: Record<string, unknown> = {};
    for (const where of ['params', 'query', 'body'] as const) {
      const schema = schemas[where];
      if (!schema) continue;
      const result = schema.safeParse(req[where] ?? {});
      if (!result.success) return next(validationProblem(where, result.error));
      valid[where] = result.data;
    }
    res.locals.valid = valid;
    next();
  };
}

/** The parsed values validate() stored, typed by the route's schemas. */
export function valid<B = unknown, P = unknown, Q = unknown>(res: {
  locals: Record<string, unknown>;
}): Validated<B, P, Q> {
  return res.locals.valid as Validated<B, P, Q>;
}
