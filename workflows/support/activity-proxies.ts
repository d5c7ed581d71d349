import { proxyActivities, type ActivityInterfaceFor, type ActivityOptions } from '@temporalio/workflow';
import type { PlatformActivities } from '../../activities/platform-activities';
import { PLATFORM_DEFAULTS, type Platform } from '../../shared';
import { myTaskQueues } from './queues';

/** A platform's actions on its own task queue, with the platform's timeouts and retry policy. */
export function platformActivities(platform: Platform, overrides: Partial<ActivityOptions> = {}): PlatformActivities {
  const defaults = PLATFORM_DEFAULTS[platform];
  return proxyActivities<PlatformActivities>({
    taskQueue: myTaskQueues().platform(platform),
    startToCloseTimeout: defaults.startToCloseTimeout,
    scheduleToCloseTimeout: defaults.scheduleToCloseTimeout,
    retry: defaults.retry,
    ...overrides,
  });
}

/** Activities on our own systems (evidence, tenants, secret store, review store) on the control queue. */
export function controlActivities<T>(overrides: Partial<ActivityOptions> = {}): ActivityInterfaceFor<T> {
  return proxyActivities<T>({
    taskQueue: myTaskQueues().control,
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
    ...overrides,
  });
}
