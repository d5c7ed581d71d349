import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { ConnectionCheckActivities } from '../activities/connection-check';
import { connectionCheckAnswer, type ConnectionCheck } from '../shared/connection-check';
import type { Platform } from '../shared/platforms';
import { myTaskQueues } from './support/queues';

export interface ConnectionCheckRequest {
  tenantId: string;
  platform: Platform;
}

/** Asks the platform's own queue (its adapter, its rate limit) whether the tenant's connection works; once. */
export async function connectionCheck({ tenantId, platform }: ConnectionCheckRequest): Promise<ConnectionCheck> {
  const { checkConnection } = proxyActivities<ConnectionCheckActivities>({
    taskQueue: myTaskQueues().platform(platform),
    // No worker serving the platform's queue shows as a failed check, not as a wait.
    scheduleToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 1 },
  });
  try {
    return await checkConnection({ tenantId });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return connectionCheckAnswer(
      platform,
      'failed',
      `no worker serving ${platform} answered within 30 seconds`,
      'NoAnswer',
    );
  }
}
