import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { loadConfigOrExit } from '../infra/config';
import { createLogger, type Logger } from '../infra/logger';
import { SecretCipher } from '../infra/secret-cipher';
import { connectMongo } from '../infra/mongo';
import { connectWorker, dataConverterFor } from '../infra/temporal';
import { createStores, ensureIndexes } from '../store';
import { SEED_RUNBOOKS } from '../runbooks';
import { setDemoRunbookDefaults } from '../runbooks/demo';
import { ProgressWriter } from './progress-writer';
import { createWorkers } from './create-workers';

/**
 * The worker process: runbook workflows, the control activities and the
 * platform queues it serves (all with an adapter, or `--platforms aws-iam,entra`
 * / WORKER_PLATFORMS, so a platform can get its own fleet).
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit(withPlatformsFlag(process.env));
  const log = createLogger(config.LOG_LEVEL, 'worker', config.LOG_FORMAT);
  routeSdkLogs(log, config.LOG_LEVEL);
  const [connection, mongo] = await Promise.all([connectWorker(config), connectMongo(config)]);
  const secretCipher = config.SECRET_STORE_KEYS && new SecretCipher(config.SECRET_STORE_KEYS);
  const stores = createStores(mongo.db, { secretCipher });
  await ensureIndexes(stores);
  const seeds = await stores.runbooks.loadSeeds(SEED_RUNBOOKS);
  if (config.DEMO_TENANT && !(await setDemoRunbookDefaults(stores, config.DEMO_TENANT)))
    log.warn(
      { tenantId: config.DEMO_TENANT },
      'DEMO_TENANT names a tenant connected to real platforms: its runbooks are left as they are',
    );
  const dataConverter = dataConverterFor(config);
  if (!dataConverter)
    log.warn(
      'PAYLOAD_ENCRYPTION_KEYS is not set: subject names and emails are stored unencrypted in workflow histories',
    );
  if (!secretCipher)
    log.warn(
      'SECRET_STORE_KEYS is not set: the embedded secret store refuses secrets (rotations and secret: references fail)',
    );
  const workers = await createWorkers(
    {
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      mongo,
      dataConverter,
      secretCipher,
      demoTenant: config.DEMO_TENANT,
      publicBaseUrl: config.PUBLIC_BASE_URL ?? `http://${config.API_HOST}:${config.API_PORT}`,
    },
    { taskQueuePrefix: config.TASK_QUEUE_PREFIX, platforms: config.WORKER_PLATFORMS },
  );
  log.info(
    {
      taskQueues: workers.map((w) => w.options.taskQueue),
      temporal: config.TEMPORAL_ADDRESS,
      seedRunbooksLoaded: seeds.inserted,
    },
    'worker started',
  );
  // Workers stop on SIGINT/SIGTERM (the SDK's default shutdown signals) after finishing in-flight tasks.
  await Promise.all(workers.map((w) => w.run()));
  // Progress snapshots of the last tasks go to the store before its client closes.
  await ProgressWriter.flushAll();
  await mongo.client.close();
  await connection.close();
  log.info('worker stopped');
}

/** `--platforms a,b` wins over WORKER_PLATFORMS; validated with the rest of the configuration. */
function withPlatformsFlag(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { values } = parseArgs({ options: { platforms: { type: 'string' } }, strict: true });
  return values.platforms === undefined ? env : { ...env, WORKER_PLATFORMS: values.platforms };
}

const SDK_LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK's logs, and core's (forwarded), go through pino: one format, one redaction, no console output. */
function routeSdkLogs(log: Logger, level: string): void {
  const sdkLevel: LogLevel =
    level === 'trace'
      ? 'TRACE'
      : level === 'debug'
        ? 'DEBUG'
        : level === 'info'
          ? 'INFO'
          : level === 'warn'
            ? 'WARN'
            : 'ERROR';
  const sdk = log.child({ component: 'temporal-sdk' });
  Runtime.install({
    logger: new DefaultLogger(sdkLevel, (entry) => sdk[SDK_LEVELS[entry.level]](entry.meta ?? {}, entry.message)),
    telemetryOptions: { logging: { filter: { core: sdkLevel, other: 'WARN' }, forward: {} } },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
