import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type Logger } from '@temporalio/worker';
import type { AdapterFactory, PlatformAdapter } from '../../activities/platforms/adapter';
import { readSecretRef } from '../../activities/connection-secrets';
import { createPlatformActivities } from '../../activities/platform-activities';
import { InMemorySecretStore } from '../../activities/secret-stores/in-memory';
import {
  PLATFORM_ACTIONS,
  type ActionInputs,
  type ActionOutputs,
  type ActionResult,
  type Platform,
  type PlatformAction,
  type PlatformConnection,
} from '../../shared';

/**
 * Runs one platform's real activities (createPlatformActivities → adapter → HTTP)
 * in Temporal's MockActivityEnvironment for a single tenant, with secrets read
 * from `env` through `env:VAR` references and an in-memory secret store.
 */
export function platformHarness(
  platform: Platform,
  factory: AdapterFactory,
  connection: () => PlatformConnection,
  env: NodeJS.ProcessEnv,
  logger: Logger = new DefaultLogger('ERROR'),
) {
  const secrets = new InMemorySecretStore();
  const activities = createPlatformActivities(platform, {
    resolveAdapter: (tenantId, p) =>
      Promise.resolve(factory({ ...connection(), platform: p }, (ref) => readSecretRef(ref, env), tenantId)),
    resolveSecretStore: () => Promise.resolve(secrets),
  });
  // Expected failures are asserted, not logged (unless a test passes a logger to inspect).
  const activityEnv = new MockActivityEnvironment(undefined, { logger });
  /** Runs one action; the attempt number the activity layer adds is checked here (1: no retry) and left out of the result. */
  async function run<A extends PlatformAction>(
    action: A,
    input: ActionInputs[A],
  ): Promise<Omit<ActionResult<ActionOutputs[A]>, 'attempt'>> {
    const activity = activities[action] as (req: unknown) => Promise<ActionResult<ActionOutputs[A]>>;
    const { attempt, ...result } = await activityEnv.run<[unknown], ActionResult<ActionOutputs[A]>, typeof activity>(
      activity,
      { ...input, tenantId: 'tenant-a' },
    );
    if (attempt !== 1) throw new Error(`expected the first attempt, got ${String(attempt)}`);
    return result;
  }
  return { run, secrets };
}

/** The catalogue actions an adapter object actually implements (to compare with CAPABILITIES). */
export function implementedActions(adapter: PlatformAdapter): PlatformAction[] {
  return PLATFORM_ACTIONS.filter((action) => typeof adapter[action] === 'function');
}

/** The ApplicationFailure an activity failed with (what Temporal sees: type, nonRetryable, nextRetryDelay). */
export async function activityFailure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected the activity to fail');
}
