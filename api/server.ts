import { createServer } from 'node:http';
import { loadConfigOrExit } from '../infra/config';
import { createLogger } from '../infra/logger';
import { SecretCipher } from '../infra/secret-cipher';
import { connectMongo } from '../infra/mongo';
import { connectClient } from '../infra/temporal';
import { taskQueues } from '../shared/task-queues';
import { createStores, ensureIndexes } from '../store';
import { createApp } from './app';

/** The API process: serves until SIGINT/SIGTERM, then finishes in-flight requests and closes its clients. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config.LOG_LEVEL, 'api', config.LOG_FORMAT);
  const [temporal, mongo] = await Promise.all([connectClient(config), connectMongo(config)]);
  const stores = createStores(mongo.db, {
    secretCipher: config.SECRET_STORE_KEYS && new SecretCipher(config.SECRET_STORE_KEYS),
  });
  await ensureIndexes(stores);
  const app = createApp({
    temporal,
    mongo,
    stores,
    log,
    queues: taskQueues(config.TASK_QUEUE_PREFIX),
    adminApiKey: config.ADMIN_API_KEY,
    oidc: config.OIDC_ISSUER
      ? {
          issuer: config.OIDC_ISSUER,
          audience: config.OIDC_AUDIENCE!,
          jwksUri: config.OIDC_JWKS_URI,
          rolesClaim: config.OIDC_ROLES_CLAIM,
          subjectClaim: config.OIDC_SUBJECT_CLAIM,
        }
      : undefined,
    console: { oidcClientId: config.OIDC_CONSOLE_CLIENT_ID },
    rateLimit: { limit: config.API_RATE_LIMIT_PER_MINUTE, windowMs: 60_000 },
    allowInsecurePlatformUrls: config.ALLOW_INSECURE_PLATFORM_URLS,
  });
  // FerretDB has no TTL indexes: expired idempotency keys are purged here.
  const purge = setInterval(
    () => void stores.idempotency.purgeExpired().catch((err: unknown) => log.warn({ err }, 'idempotency purge failed')),
    3_600_000,
  );
  purge.unref();
  const server = createServer(app);
  server.on('error', (err: NodeJS.ErrnoException) => {
    const reason =
      err.code === 'EADDRINUSE'
        ? `port ${config.API_PORT} is already in use: set API_PORT to a free port`
        : err.message;
    process.stderr.write(`api failed: ${reason}\n`);
    process.exit(1);
  });
  server.listen(config.API_PORT, config.API_HOST, () =>
    log.info({ url: `http://${config.API_HOST}:${config.API_PORT}` }, 'api listening'),
  );

  const stop = () => {
    log.info('api stopping: finishing in-flight requests');
    server.close(() => {
      void Promise.all([mongo.client.close(), temporal.connection.close()]).finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    // Inside the usual 30 s termination grace period: a request that still hangs is cut off.
    setTimeout(() => {
      log.warn('api stopping: requests still open after 25 s, closing them');
      server.closeAllConnections();
    }, 25_000).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`api failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
