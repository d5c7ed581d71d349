import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type Logger } from '@temporalio/worker';
import type { AdapterFactory } from '../../activities/adapters';
import { readSecretRef } from '../../activities/connection-secrets';
import { createPlatformActivities, type PlatformActivities } from '../../activities/platform-activities';
import type { ActionOutputs, ActionRequest, ActionResult, Platform, PlatformAction, PlatformConnection } from '../../shared';

/**
 * The platform activities as a worker runs them (adapter resolved per call,
 * failures classified into ApplicationFailure), for one connection, run in a
 * MockActivityEnvironment.
 */
export function adapterActivities(platform: Platform, factory: AdapterFactory, connection: () => PlatformConnection, env: NodeJS.ProcessEnv = process.env, logger: Logger = new DefaultLogger('ERROR')) {
  const activities: PlatformActivities = createPlatformActivities(platform, {
    resolveAdapter: () => Promise.resolve(factory(connection(), (ref) => readSecretRef(ref, env))),
    resolveSecretStore: () => Promise.reject(new Error('these tests store no secrets')),
  });
  return {
    activities,
    run<A extends PlatformAction>(action: A, input: ActionRequest<A>): Promise<ActionResult<ActionOutputs[A]>> {
      const activity = activities[action] as (req: ActionRequest<A>) => Promise<ActionResult<ActionOutputs[A]>>;
      return new MockActivityEnvironment(undefined, { logger }).run(activity, input);
    },
  };
}
