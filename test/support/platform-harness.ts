import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type Logger } from '@temporalio/worker';
import type { AdapterFactory, PlatformAdapter } from '../../activities/platforms/adapter';
import { readSecretRef } from '../../activities/connection-secrets';
import { createPlatformActivities, type PlatformActivities } from '../../activities/platform-activities';
import { InMemorySecretStore } from '../../activities/secret-stores/in-memory';
import {
  PLATFORM_ACTIONS,
  type ActionInputs,
  type ActionOutputs,
  type ActionResult,
  type Platform,
  type PlatformAction,
  type PlatformConnection,
  type Subject,
} from '../../shared';

export type RunAction = <A extends keyof PlatformActivities>(
  action: A,
  input: Omit<Parameters<PlatformActivities[A]>[0], 'tenantId'>,
  on?: PlatformActivities,
) => ReturnType<PlatformActivities[A]>;

/**
 * The suite's one activity harness: runs platform activities of one tenant in Temporal's
 * MockActivityEnvironment, as a worker would (activity context, failure conversion). Expected failures are
 * asserted by the tests, so the environment logs errors only (unless a test passes a logger to inspect).
 */
export function platformRunner(
  tenantId: string,
  activities: () => PlatformActivities,
  logger: Logger = new DefaultLogger('ERROR'),
): RunAction {
  const env = new MockActivityEnvironment(undefined, { logger });
  return (action, input, on = activities()) => {
    const activity = on[action] as (req: unknown) => ReturnType<PlatformActivities[typeof action]>;
    return env.run(activity, { tenantId, ...input }) as ReturnType<PlatformActivities[typeof action]>;
  };
}

/**
 * One platform's real activities (createPlatformActivities → adapter → HTTP) on that harness for a single
 * tenant, built from an adapter factory and a connection, with secrets read from `env` through `env:VAR`
 * references and an in-memory secret store.
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
  const runAction = platformRunner('tenant-a', () => activities, logger);
  /** Runs one action; the attempt number the activity layer adds is checked here (1: no retry) and left out of the result. */
  async function run<A extends PlatformAction>(
    action: A,
    input: ActionInputs[A],
  ): Promise<Omit<ActionResult<ActionOutputs[A]>, 'attempt'>> {
    const { attempt, ...result } = (await runAction(action, input as never)) as ActionResult<ActionOutputs[A]>;
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

/** The rejection of a promise (undefined if it resolved), to assert on its type and retryability. */
export const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (err: unknown) => err,
  );

/** A user name no other test of the file (sharing one emulator) uses. */
export const uniqueName = (base: string): string => `${base}-${randomUUID().slice(0, 8)}`;

export const subjectFor = (userName: string): Subject => ({ subjectId: `e-${userName}`, userName });
