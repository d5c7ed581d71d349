import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DiagnosticsActivities } from '../activities/diagnostics';
import { myTaskQueues } from './support/queues';

export interface SelfTestResult {
  workflowId: string;
  store: { reachable: boolean; version: string };
}

/** End-to-end check of the running service: API → Temporal → worker → store. */
export async function selfTest(): Promise<SelfTestResult> {
  const { checkStore } = proxyActivities<DiagnosticsActivities>({
    taskQueue: myTaskQueues().control,
    startToCloseTimeout: '10 seconds',
    retry: { maximumAttempts: 3 },
  });
  const store = await checkStore();
  return { workflowId: workflowInfo().workflowId, store };
}
