// Test-only workflow: one platform action as a runbook step would run it, with the retry policy a test chooses.
import { proxyActivities } from '@temporalio/workflow';
import type { PlatformAction } from '../../shared';

export interface PlatformStepInput {
  action: PlatformAction;
  request: Record<string, unknown>;
  /** Backoff when the platform gives no delay of its own. */
  initialInterval: string;
}

export async function platformStep(input: PlatformStepInput): Promise<unknown> {
  // Untyped on purpose: the test picks the action at run time.
  const activities = proxyActivities<Record<PlatformAction, (request: unknown) => Promise<unknown>>>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: input.initialInterval, maximumAttempts: 3 },
  });
  return await activities[input.action](input.request);
}
