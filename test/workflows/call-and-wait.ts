// Test-only workflow: one "call and wait" step with the timeouts a test chooses.
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { HttpCallbackActivities } from '../../activities/http-callback';

export interface CallAndWaitInput {
  tenantId: string;
  url: string;
  payload: Record<string, unknown>;
  scheduleToCloseTimeout: string;
  heartbeatTimeout?: string;
  maximumAttempts?: number;
  /** Let the activity see the cancellation (the customer learns it on its next report). */
  waitForCancellation?: boolean;
}

export async function callAndWaitStep(input: CallAndWaitInput) {
  const { callAndWait } = proxyActivities<HttpCallbackActivities>({
    scheduleToCloseTimeout: input.scheduleToCloseTimeout,
    heartbeatTimeout: input.heartbeatTimeout,
    retry: { initialInterval: '100 milliseconds', maximumAttempts: input.maximumAttempts ?? 1 },
    cancellationType: input.waitForCancellation
      ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
      : ActivityCancellationType.TRY_CANCEL,
  });
  return await callAndWait({
    tenantId: input.tenantId,
    url: input.url,
    payload: input.payload,
    stepId: 'approve-in-erp',
  });
}
