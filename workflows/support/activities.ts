import { RetryState } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { EvidenceActivities } from '../../activities/evidence';
import type { PlatformActivities } from '../../activities/platform-activities';
import type { RunbookActivities } from '../../activities/runbooks';
import type { TenantActivities } from '../../activities/tenants';
import type {
  ActionInputs,
  ActionOutputs,
  ActionResult,
  Platform,
  PlatformAction,
  StepRetryOverride,
} from '../../shared';
import { PLATFORM_DEFAULTS } from '../../shared/platform-defaults';
import { controlActivities as sharedControlActivities, platformActivityOptions } from './activity-proxies';

/** Our own systems (runbook store, tenant policy, evidence) on the control queue; at a priority when given. */
export function controlActivities(priorityKey?: number) {
  return sharedControlActivities<RunbookActivities & TenantActivities & EvidenceActivities>(
    priorityKey ? { priority: { priorityKey } } : {},
  );
}

export type PlatformCall = <A extends PlatformAction>(
  action: A,
  input: ActionInputs[A],
) => Promise<ActionResult<ActionOutputs[A]>>;

/**
 * Calls actions of one platform on its own task queue, with that platform's
 * timeouts and retry policy (a runbook step may override the retry), adding
 * each call's attempts to `attempts`. A `priorityKey` (1 highest, 3 the server's default) orders the call
 * among others waiting on the platform's queue, e.g. behind its rate limit.
 */
export function platformCaller(
  platform: Platform,
  envelope: { tenantId: string; runId: string; stepId: string },
  retry: StepRetryOverride | undefined,
  attempts: { count: number },
  priorityKey?: number,
): PlatformCall {
  const maximumAttempts = retry?.maximumAttempts ?? PLATFORM_DEFAULTS[platform].retry.maximumAttempts;
  const activities = proxyActivities<PlatformActivities>(platformActivityOptions(platform, retry, priorityKey));
  return async (action, input) => {
    const request = { ...input, ...envelope } as Parameters<PlatformActivities[typeof action]>[0];
    try {
      const call = activities[action] as (req: typeof request) => Promise<ActionResult<ActionOutputs[typeof action]>>;
      const result = await call(request);
      attempts.count += result.attempt ?? 1;
      return result;
    } catch (err) {
      attempts.count += failedAttempts(err, maximumAttempts);
      throw err;
    }
  };
}

/** The attempt the activity reported with its last failure; else what the retry state implies. */
function failedAttempts(err: unknown, maximumAttempts: number): number {
  if (!(err instanceof ActivityFailure)) return 1;
  const details =
    err.cause instanceof ApplicationFailure ? (err.cause.details?.[0] as { attempt?: unknown } | undefined) : undefined;
  if (typeof details?.attempt === 'number') return details.attempt;
  return err.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED ? maximumAttempts : 1;
}
