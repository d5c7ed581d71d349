import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { Logger } from '../infra/logger';

/** RFC 9457 problem details; `type` values are stable and documented. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.title);
  }
}

const TYPE_BASE = 'https://identity-runbooks.dev/problems/';

export function problem(
  status: number,
  slug: string,
  title: string,
  extra: Partial<Problem> = {},
  headers?: Record<string, string>,
): ProblemError {
  return new ProblemError({ type: TYPE_BASE + slug, title, status, ...extra }, headers);
}

export const notFound = (what = 'resource') => problem(404, 'not-found', `No such ${what}`);
export const unauthorized = () =>
  problem(401, 'unauthorized', 'A valid bearer credential is required', {}, { 'WWW-Authenticate': 'Bearer' });
export const forbidden = (detail: string) => problem(403, 'forbidden', 'Your role does not allow this', { detail });
export const conflict = (slug: string, title: string, detail?: string) =>
  problem(409, slug, title, detail ? { detail } : {});
export const unsupportedMediaType = () => problem(415, 'unsupported-media-type', 'Send application/json');
export const tooManyRequests = (retryAfterSeconds: number) =>
  problem(
    429,
    'rate-limited',
    'Too many requests for this credential',
    {},
    { 'Retry-After': String(retryAfterSeconds) },
  );

/** A single field of the request is wrong in a way its schema cannot tell (e.g. over a tenant's policy limit). */
export function fieldProblem(path: string, message: string): ProblemError {
  return problem(400, 'validation', 'The request is not valid', {
    detail: `${path}: ${message}`,
    errors: [{ path, message }],
  });
}

/** Several fields wrong in ways their schemas cannot tell, all reported at once. */
export function fieldProblems(errors: { path: string; message: string }[]): ProblemError {
  return problem(400, 'validation', 'The request is not valid', {
    detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
    errors,
  });
}

export function validationProblem(where: string, error: z.ZodError): ProblemError {
  const errors = error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  return problem(400, 'validation', 'The request is not valid', {
    detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
    errors,
  });
}

export function sendProblem(res: Response, p: Problem, headers: Record<string, string> = {}): void {
  res.status(p.status).set(headers).type('application/problem+json').json(p);
}

/** The one error handler: known problems as they are, body-parser errors mapped, anything else a 500 with no internals. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof ProblemError) return sendProblem(res, err.problem, err.headers);
    const status = (err as { status?: number; type?: string }).status;
    const type = (err as { type?: string }).type;
    if (status === 413)
      return sendProblem(res, problem(413, 'payload-too-large', 'The request body is too large').problem);
    if (status === 400 && type === 'entity.parse.failed')
      return sendProblem(res, problem(400, 'malformed-json', 'The request body is not valid JSON').problem);
    if (status === 415) return sendProblem(res, unsupportedMediaType().problem);
    if (isUnavailable(err)) {
      return sendProblem(
        res,
        problem(503, 'backend-unavailable', 'A backend service is unavailable; try again shortly').problem,
        { 'Retry-After': '5' },
      );
    }
    log.error({ err, reqId: req.id }, 'unhandled error');
    sendProblem(res, problem(500, 'internal', 'Internal error', { detail: `request id ${req.id as string}` }).problem);
  };
}

/** Temporal (gRPC UNAVAILABLE / connection errors) or MongoDB (server selection, network) is down. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown; cause?: { code?: unknown }; constructor?: { name?: string } };
  const name = e.name ?? e.constructor?.name ?? '';
  const grpcCode = name === 'ServiceError' ? e.cause?.code : e.code;
  return (
    /MongoServerSelectionError|MongoNetworkError|MongoNotConnectedError|MongoTopologyClosedError/.test(name) ||
    grpcCode === 14 /* UNAVAILABLE */ ||
    grpcCode === 4 /* DEADLINE_EXCEEDED: the per-request Temporal deadline */
  );
}
