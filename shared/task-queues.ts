import type { Platform } from './platforms';

/** Workflow tasks: runbook logic only, no platform I/O. */
export const WORKFLOW_TASK_QUEUE = 'runbooks';

export interface TaskQueues {
  /** Workflow tasks. */
  workflows: string;
  /** Activities on our own systems: runbook store, evidence, secret store. */
  control: string;
  /**
   * One activity queue per platform, so a platform's API rate limit is enforced
   * across all workers (maxTaskQueueActivitiesPerSecond) and a slow platform
   * never starves the others.
   */
  platform(platform: Platform): string;
}

/**
 * The queue set of a deployment. A prefix gives a separate set (a test, a
 * blue/green worker fleet); workflows find their set from their own queue name.
 */
export function taskQueues(prefix = ''): TaskQueues {
  return {
    workflows: `${prefix}${WORKFLOW_TASK_QUEUE}`,
    control: `${prefix}control`,
    platform: (platform) => `${prefix}platform-${platform}`,
  };
}

/** Inverse of taskQueues(prefix).workflows. */
export function queuePrefixOf(workflowTaskQueue: string): string {
  return workflowTaskQueue.endsWith(WORKFLOW_TASK_QUEUE) ? workflowTaskQueue.slice(0, -WORKFLOW_TASK_QUEUE.length) : '';
}
