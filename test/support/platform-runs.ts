import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { PlatformActivities } from '../../activities/platform-activities';
import type { Subject } from '../../shared';

export type RunAction = <A extends keyof PlatformActivities>(
  action: A,
  input: Omit<Parameters<PlatformActivities[A]>[0], 'tenantId'>,
  on?: PlatformActivities,
) => ReturnType<PlatformActivities[A]>;

/**
 * Runs platform activities of one tenant in a MockActivityEnvironment, as a
 * worker would (activity context, failure conversion). Expected failures are
 * asserted by the tests, so the environment logs errors only.
 */
export function platformRunner(tenantId: string, activities: () => PlatformActivities): RunAction {
  const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
  return (action, input, on = activities()) => {
    const activity = on[action] as (req: unknown) => ReturnType<PlatformActivities[typeof action]>;
    return env.run(activity, { tenantId, ...input }) as ReturnType<PlatformActivities[typeof action]>;
  };
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
