import { loadConfigOrExit } from '../infra/config';
import { createLogger } from '../infra/logger';
import { connectMongo } from '../infra/mongo';
import { connectWorker } from '../infra/temporal';
import { createWorkers } from './create-workers';

/** The worker process: runbook workflows plus the activities of every task queue it serves. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config.LOG_LEVEL, 'worker');
  const [connection, mongo] = await Promise.all([connectWorker(config), connectMongo(config)]);
  const workers = await createWorkers({ connection, namespace: config.TEMPORAL_NAMESPACE, mongo }, { taskQueuePrefix: config.TASK_QUEUE_PREFIX });
  log.info({ taskQueues: workers.map((w) => w.options.taskQueue), temporal: config.TEMPORAL_ADDRESS }, 'worker started');
  // Workers stop on SIGINT/SIGTERM (the SDK's default shutdown signals) after finishing in-flight tasks.
  await Promise.all(workers.map((w) => w.run()));
  await mongo.client.close();
  await connection.close();
  log.info('worker stopped');
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
