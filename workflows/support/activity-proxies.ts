import { proxyActivities, type ActivityInterfaceFor, type ActivityOptions } from '@temporalio/workflow';
import type { PlatformActivities } from '../../activities/platform-activities';
import { PLATFORM_DEFAULTS, type Platform } from '../../shared';
import { myTaskQueues } from './queues';

/**
 * The one place activity options are decided. Options are not part of a history's shape: changing them never
 * breaks a replay, and every run (Run or RunRecorder) calls our systems and the platforms with the same ones.
 */

/**
 * Temporal task-queue priority of what stands between a leaver and containment (1 is the highest; every other
 * task keeps the default, 3): it orders waiting tasks only, never the history's shape.
 */
export const CONTAINMENT_PRIORITY = 1;

/** Our own systems (runbook store, tenants, evidence, secret store, review store): a minute per attempt, backing off. */
export const CONTROL_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
} as const satisfies ActivityOptions;

/** A platform's own timeouts and retry policy (shared/platform-defaults.ts), a runbook step's retry over them. */
export function platformActivityOptions(
  platform: Platform,
  retry?: ActivityOptions['retry'],
  priorityKey?: number,
): ActivityOptions {
  const defaults = PLATFORM_DEFAULTS[platform];
  return {
    taskQueue: myTaskQueues().platform(platform),
    startToCloseTimeout: defaults.startToCloseTimeout,
    scheduleToCloseTimeout: defaults.scheduleToCloseTimeout,
    retry: { ...defaults.retry, ...retry },
    ...(priorityKey ? { priority: { priorityKey } } : {}),
  };
}

/** A platform's actions on its own task queue, with the platform's timeouts and retry policy. */
export function platformActivities(platform: Platform, overrides: Partial<ActivityOptions> = {}): PlatformActivities {
  return proxyActivities<PlatformActivities>({ ...platformActivityOptions(platform), ...overrides });
}

/** Activities on our own systems (evidence, tenants, secret store, review store) on the control queue. */
export function controlActivities<T>(overrides: Partial<ActivityOptions> = {}): ActivityInterfaceFor<T> {
  return proxyActivities<T>({ taskQueue: myTaskQueues().control, ...CONTROL_ACTIVITY_OPTIONS, ...overrides });
}
