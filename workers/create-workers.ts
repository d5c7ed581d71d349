import { Worker, type NativeConnection } from '@temporalio/worker';
import { createDiagnosticsActivities } from '../activities/diagnostics';
import type { Mongo } from '../infra/mongo';
import { taskQueues } from '../shared/task-queues';

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  mongo: Mongo;
}

export interface WorkerOptions {
  /** Queue-set prefix (tests, blue/green fleets); '' in production. */
  taskQueuePrefix?: string;
  /** Prebuilt workflow bundle (tests bundle once per file); bundled from source otherwise. */
  workflowBundle?: { code: string };
}

/** Every worker of one process: the runbook workflows and the activity queues it serves. */
export async function createWorkers(deps: WorkerDeps, options: WorkerOptions = {}): Promise<Worker[]> {
  const queues = taskQueues(options.taskQueuePrefix);
  const common = { connection: deps.connection, namespace: deps.namespace };
  const workflowSource = options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') };
  return Promise.all([
    Worker.create({ ...common, ...workflowSource, taskQueue: queues.workflows }),
    Worker.create({ ...common, taskQueue: queues.control, activities: createDiagnosticsActivities(deps.mongo) }),
  ]);
}
