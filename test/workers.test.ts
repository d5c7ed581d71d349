/** Worker wiring on the dev server: which queues a process serves, with which rate limits. */
import { referenceAdapterFactory, ReferencePlatform } from '../activities/platforms/reference';
import { PLATFORM_DEFAULTS } from '../shared/platform-defaults';
import { PLATFORMS } from '../shared/platforms';
import { taskQueues } from '../shared/task-queues';
import { createWorkers } from '../workers/create-workers';
import { bundleWorkflows, testMongo, testTemporal, uniqueQueue } from './support/servers';

let temporal: Awaited<ReturnType<typeof testTemporal>>;
let mongo: Awaited<ReturnType<typeof testMongo>>;

beforeAll(async () => {
  [temporal, mongo] = await Promise.all([testTemporal(), testMongo('workers')]);
});
afterAll(async () => {
  await mongo.drop();
  await temporal.close();
});

const reference = referenceAdapterFactory(new ReferencePlatform());
const deps = () => ({
  connection: temporal.nativeConnection,
  namespace: 'default',
  mongo,
  adapters: { reference, okta: reference, github: reference },
});

it('serves the chosen platform queues, each with its platform rate limit', async () => {
  const prefix = `${uniqueQueue('workers')}-`;
  const workers = await createWorkers(deps(), {
    taskQueuePrefix: prefix,
    workflowBundle: await bundleWorkflows(),
    platforms: ['okta', 'github'],
  });
  const queues = taskQueues(prefix);
  expect(workers.map((w) => w.options.taskQueue)).toEqual([
    queues.workflows,
    queues.control,
    queues.platform('okta'),
    queues.platform('github'),
  ]);
  expect(workers.slice(2).map((w) => w.options.maxTaskQueueActivitiesPerSecond)).toEqual([
    PLATFORM_DEFAULTS.okta.maxActivitiesPerSecond,
    PLATFORM_DEFAULTS.github.maxActivitiesPerSecond,
  ]);
  // Workers hold the connection until they have run and shut down.
  const running = Promise.all(workers.map((w) => w.run()));
  workers.forEach((w) => w.shutdown());
  await running;
});

it('refuses to start for a platform this build has no adapter for', async () => {
  await expect(createWorkers(deps(), { taskQueuePrefix: 'x-', platforms: ['okta', 'entra', 'scim'] })).rejects.toThrow(
    'no adapter for entra, scim in this build',
  );
});

it('serves every platform of the build by default, call-and-wait included', async () => {
  const prefix = `${uniqueQueue('all')}-`;
  const workers = await createWorkers(
    { connection: temporal.nativeConnection, namespace: 'default', mongo },
    { taskQueuePrefix: prefix, workflowBundle: await bundleWorkflows() },
  );
  const queues = taskQueues(prefix);
  expect(workers.map((w) => w.options.taskQueue).sort()).toEqual(
    [queues.workflows, queues.control, ...PLATFORMS.map((p) => queues.platform(p))].sort(),
  );
  const running = Promise.all(workers.map((w) => w.run()));
  workers.forEach((w) => w.shutdown());
  await running;
});
