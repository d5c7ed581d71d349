import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import express, { Router, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../infra/logger';
import type { Mongo } from '../infra/mongo';
import type { TaskQueues } from '../shared/task-queues';
import { createStores, type Stores } from '../store';
import { requireGlobalAdmin } from './access';
import { auditMutations } from './audit';
import { authenticate, type OidcOptions } from './auth';
import { createMetrics } from './metrics';
import { createRegistry } from './openapi';
import { errorHandler, notFound, unsupportedMediaType } from './problem';
import { rateLimitPerCredential, type RateLimitOptions } from './rate-limit';
import { apiKeysRouter } from './routes/api-keys';
import { callbacksRouter } from './routes/callbacks';
import { consoleRouter, type ConsoleOptions } from './routes/console';
import { decisionsRouter } from './routes/decisions';
import { docsRouter } from './routes/docs';
import { healthRouter } from './routes/health';
import { meRouter } from './routes/me';
import { reviewsRouter } from './routes/reviews';
import { runbooksRouter } from './routes/runbooks';
import { runStartsRouter } from './routes/run-starts';
import { runsRouter } from './routes/runs';
import { schedulesRouter } from './routes/schedules';
import { secretsRouter } from './routes/secrets';
import { selfTestsRouter } from './routes/self-tests';
import { tenantsRouter } from './routes/tenants';

export interface AppDeps {
  temporal: Client;
  mongo: Mongo;
  log: Logger;
  queues: TaskQueues;
  /** Bootstrap credential: an admin on every tenant, to create the first tenants and keys. */
  adminApiKey?: string;
  oidc?: OidcOptions;
  rateLimit?: RateLimitOptions;
  /** Built over mongo.db when omitted. */
  stores?: Stores;
  /** Development only: tenants' platform URLs may be plain http and loopback or private (ALLOW_INSECURE_PLATFORM_URLS). */
  allowInsecurePlatformUrls?: boolean;
  /** The web console served under /console/ (built by `npm run build:console`). */
  console?: Omit<ConsoleOptions, 'oidc'>;
  /** Every Temporal call a request makes must finish within this; a Temporal that does not answer is a 503. */
  temporalDeadlineMs?: number;
}

const DEFAULT_RATE_LIMIT: RateLimitOptions = { limit: 600, windowMs: 60_000 };

/** JSON only: a body of another type is 415 (a request without a body, or an empty one, passes). */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const empty = req.get('content-length') === '0';
  next(!empty && req.is(['application/json', 'application/*+json']) === false ? unsupportedMediaType() : undefined);
};

/** Builds the HTTP app from injected clients, so tests run it without a network port. */
export function createApp(deps: AppDeps): Express {
  const stores = deps.stores ?? createStores(deps.mongo.db);
  const metrics = createMetrics();
  const registry = createRegistry();
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  // No upgrade-insecure-requests: the API is often reached over plain http on 127.0.0.1 (or behind TLS-terminating proxies), and /docs must load its assets.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use(pinoHttp({ logger: deps.log, genReqId: requestId }));
  app.use(metrics.middleware);
  app.use(requireJsonBody);
  app.use(express.json({ limit: '256kb', strict: true, type: ['application/json', 'application/*+json'] }));
  app.use(healthRouter(deps));
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(docsRouter(registry));
  app.use(consoleRouter({ ...deps.console, oidc: deps.oidc }));
  // Customer systems completing a call-and-wait step authenticate with that step's callback token, not an API credential.
  app.use('/v1/callbacks', callbacksRouter(deps));

  const v1 = Router();
  const deadlineMs = deps.temporalDeadlineMs ?? 10_000;
  // The deadline rides in the connection's async context, so it covers every call made while handling the request.
  v1.use(
    (_req, _res, next) =>
      void deps.temporal.connection.withDeadline(Date.now() + deadlineMs, () => Promise.resolve(next())),
  );
  v1.use(authenticate({ apiKeys: stores.apiKeys, adminApiKey: deps.adminApiKey, oidc: deps.oidc }));
  v1.use(rateLimitPerCredential(deps.rateLimit ?? DEFAULT_RATE_LIMIT));
  v1.use(auditMutations(stores.evidence, deps.log));
  v1.use('/self-tests', requireGlobalAdmin(), selfTestsRouter(deps));
  const ctx = { ...deps, ...stores, metrics };
  v1.use(apiKeysRouter(stores.apiKeys, registry));
  v1.use(meRouter(ctx, registry));
  v1.use(tenantsRouter(ctx, registry));
  v1.use(runbooksRouter(ctx, registry));
  v1.use(runStartsRouter(ctx, registry));
  v1.use(runsRouter(ctx, registry));
  v1.use(decisionsRouter(ctx, registry));
  v1.use(reviewsRouter(ctx, registry));
  v1.use(schedulesRouter(ctx, registry));
  v1.use(secretsRouter(ctx, registry));
  app.use('/v1', v1);

  app.use((_req, _res, next) => next(notFound('route')));
  app.use(errorHandler(deps.log));
  return app;
}

/** Honours a caller's X-Request-Id (if sane) so logs correlate across systems; echoes it in the response. */
function requestId(
  req: { headers: Record<string, string | string[] | undefined> },
  res: { setHeader(name: string, value: string): unknown },
): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}
