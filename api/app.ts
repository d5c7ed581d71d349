import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../infra/logger';
import type { Mongo } from '../infra/mongo';
import type { TaskQueues } from '../shared/task-queues';
import { requireAdminKey } from './auth';
import { errorHandler, notFound } from './problem';
import { healthRouter } from './routes/health';
import { selfTestsRouter } from './routes/self-tests';

export interface AppDeps {
  temporal: Client;
  mongo: Mongo;
  log: Logger;
  queues: TaskQueues;
  adminApiKey?: string;
}

/** Builds the HTTP app from injected clients, so tests run it without a network port. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(pinoHttp({ logger: deps.log, genReqId: requestId }));
  app.use(express.json({ limit: '256kb', strict: true }));
  app.use(healthRouter(deps));

  const v1 = express.Router();
  v1.use(requireAdminKey(deps.adminApiKey));
  v1.use('/self-tests', selfTestsRouter(deps));
  app.use('/v1', v1);

  app.use((_req, _res, next) => next(notFound('route')));
  app.use(errorHandler(deps.log));
  return app;
}

/** Honours a caller's X-Request-Id (if sane) so logs correlate across systems; echoes it in the response. */
function requestId(req: { headers: Record<string, string | string[] | undefined> }, res: { setHeader(name: string, value: string): unknown }): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}
