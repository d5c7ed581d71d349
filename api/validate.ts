import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { validationProblem } from './problem';

/**
 * The type of a part of a request (params, query or body) given no schema: it is not
 * looked at, and parses to undefined.
 */
export type NoSchema = z.ZodUndefined;

export interface Schemas<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  params?: P;
  query?: Q;
  body?: B;
}

/** The parsed parts of a request, as a handler receives them. */
export interface Input<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

/**
 * A handler of validated input. A rejected promise (or a throw) reaches Express's error
 * handler, as from any Express 5 handler.
 */
export type TypedHandler<I> = (req: Request, res: Response, input: I) => Promise<void> | void;

/**
 * Validates params, query and body with zod, then calls the handler with the parsed
 * values, typed by the schemas. Every offending field is reported, with its path; a part
 * with no schema is not looked at (and is undefined in the input).
 */
export function validated<
  P extends z.ZodType = NoSchema,
  Q extends z.ZodType = NoSchema,
  B extends z.ZodType = NoSchema,
>(schemas: Schemas<P, Q, B>, handler: TypedHandler<Input<z.output<P>, z.output<Q>, z.output<B>>>): RequestHandler {
  return (req, res, next) => {
    const input: Record<'params' | 'query' | 'body', unknown> = {
      params: undefined,
      query: undefined,
      body: undefined,
    };
    for (const where of ['params', 'query', 'body'] as const) {
      const schema = schemas[where];
      if (!schema) continue;
      const result = schema.safeParse(req[where] ?? {});
      if (!result.success) return next(validationProblem(where, result.error));
      input[where] = result.data;
    }
    return handler(req, res, input as Input<z.output<P>, z.output<Q>, z.output<B>>);
  };
}
