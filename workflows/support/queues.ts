import { workflowInfo } from '@temporalio/workflow';
import { queuePrefixOf, taskQueues, type TaskQueues } from '../../shared/task-queues';

/** The queue set this workflow's worker fleet serves (derived from the workflow's own task queue). */
export function myTaskQueues(): TaskQueues {
  return taskQueues(queuePrefixOf(workflowInfo().taskQueue));
}
