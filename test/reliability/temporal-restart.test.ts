/**
 * Reliability: the Temporal dev server (persistent SQLite database, as `npm start` runs it) is stopped
 * while 40 offboardings are in flight on a SCIM platform (the SCIM contract fake, 100 ms a call) and
 * started again on the same port and database. The workers and the client are this project's own and
 * are not restarted: every run completes and every platform effect happened exactly once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { scimAdapterFactory } from '../../activities/platforms/scim';
import { freePort, startProcess, temporalDevServerArgs, waitForPort, type Supervised } from '../../scripts/processes';
import type { RunProgress } from '../../shared';
import { taskQueues } from '../../shared/task-queues';
import { runWorkflowId } from '../../shared/workflow-ids';
import { createWorkers } from '../../workers/create-workers';
import type { offboarding } from '../../workflows/offboarding';
import { scimLeaverRequest, scimLeaverTenant } from '../support/scim-leavers';
import { FakeScim, type FakeScimUser } from '../fakes/scim';
import { bundleWorkflows, testMongo, uniqueQueue } from '../support/servers';
import { TOOLS_BIN } from '../support/tools';
import { eventually } from '../support/poll';

const TENANT = 'temporal-restart';
const LEAVERS = 40;
const TOKEN = 'scim-bearer-for-the-temporal-restart-test';

let temporalArgs: string[];
let temporalPort: number;
let server: Supervised | undefined;
let mongo: Awaited<ReturnType<typeof testMongo>>;
let scim: FakeScim;
let connection: Connection;
let nativeConnection: NativeConnection;
let workers: Worker[] = [];
let running: Promise<unknown> | undefined;

async function startTemporal(): Promise<void> {
  server = startProcess('temporal', join(TOOLS_BIN, 'temporal'), temporalArgs);
  await waitForPort(temporalPort, 'Temporal dev server');
}

beforeAll(async () => {
  [temporalPort, mongo, scim] = await Promise.all([
    freePort(),
    testMongo('temporal_restart'),
    new FakeScim(TOKEN).start(),
  ]);
  temporalArgs = temporalDevServerArgs({
    port: temporalPort,
    uiPort: await freePort(),
    dbFile: join(mkdtempSync(join(tmpdir(), 'irb-temporal-')), 'temporal.db'),
    logLevel: 'error',
  });
  await startTemporal();
  process.env.TENANT_TEMPORAL_RESTART__SCIM_TOKEN = TOKEN;
  scim.http.latencyMs = 100;
  await scimLeaverTenant(mongo.db, TENANT, scim, 'TENANT_TEMPORAL_RESTART__SCIM_TOKEN');
  const address = `127.0.0.1:${temporalPort}`;
  [connection, nativeConnection] = await Promise.all([
    Connection.connect({ address }),
    NativeConnection.connect({ address }),
  ]);
}, 120_000);

afterAll(async () => {
  workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
  await running?.catch(() => undefined);
  await nativeConnection?.close();
  await connection?.close();
  await server?.stop();
  await Promise.all([mongo?.drop(), scim?.stop()]);
});

/** A run's result, asking again while the server is away (the client's calls fail meanwhile). */
async function resultOf(handle: WorkflowHandle<typeof offboarding>): Promise<RunProgress> {
  for (;;) {
    try {
      return await handle.result();
    } catch (err) {
      if (!/unavailable|connect|ECONNREFUSED|deadline/i.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

it('completes every offboarding when the Temporal server restarts mid-run, each effect applied exactly once', async () => {
  const group = scim.addGroup('engineering');
  const leavers: FakeScimUser[] = Array.from({ length: LEAVERS }, (_, i) => scim.addUser(`leaver-${i}@example.com`));
  leavers.forEach((u) => group.members.add(u.id));
  const expected = new Set([
    ...leavers.map((u) => `deactivate:${u.id}`),
    ...leavers.map((u) => `leave:${group.id}:${u.id}`),
  ]);

  const prefix = `${uniqueQueue('restart')}-`;
  workers = await createWorkers(
    { connection: nativeConnection, namespace: 'default', mongo, adapters: { scim: scimAdapterFactory } },
    { taskQueuePrefix: prefix, workflowBundle: await bundleWorkflows(), platforms: ['scim'] },
  );
  running = Promise.all(workers.map((w) => w.run()));
  const client = new Client({ connection });
  const handles = await Promise.all(
    leavers.map((u) => {
      const request = scimLeaverRequest(TENANT, u);
      return client.workflow.start<typeof offboarding>('offboarding', {
        args: [request],
        taskQueue: taskQueues(prefix).workflows,
        workflowId: runWorkflowId(TENANT, 'offboarding', u.id),
      });
    }),
  );

  await eventually(
    () => Promise.resolve(scim.applied.size >= 5 || undefined),
    'the first effects on the platform',
    120_000,
  );
  await server!.stop();
  const appliedWhileDown = scim.applied.size;
  expect(appliedWhileDown).toBeLessThan(expected.size);
  await startTemporal();
  process.stdout.write(`Temporal restarted with ${appliedWhileDown} of ${expected.size} effects applied\n`);

  const results = await Promise.all(handles.map(resultOf));
  expect(results.map((r) => r.status)).toEqual(leavers.map(() => 'completed'));
  expect(new Set(scim.applied.keys())).toEqual(expected);
  expect([...scim.applied.values()].every((n) => n === 1)).toBe(true);
  expect(workers.every((w) => w.getState() === 'RUNNING')).toBe(true);
}, 300_000);
