/**
 * Reliability: the worker process (workers/main.ts, as deployed) is killed with SIGKILL
 * while 120 offboardings are in flight on a SCIM platform (the SCIM contract fake on
 * loopback, answering each call after 150 ms), and a new worker process is started.
 * Every run completes, and every platform effect happened exactly once: the fake counts
 * effects when its state changes (a user deactivated, a membership removed), not calls,
 * so a retried call that changes nothing is not an effect, and a lost or doubled one shows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { RunProgress } from '../../shared';
import { taskQueues } from '../../shared/task-queues';
import { runWorkflowId } from '../../shared/workflow-ids';
import type { offboarding } from '../../workflows/offboarding';
import { scimLeaverRequest, scimLeaverTenant } from '../support/scim-leavers';
import { FakeScim, type FakeScimGroup, type FakeScimUser } from '../fakes/scim';
import { testMongo, testTemporal, uniqueQueue } from '../support/servers';
import { eventually } from '../support/poll';

const TENANT = 'worker-kill';
const LEAVERS = 120;
const TOKEN = 'scim-bearer-for-the-worker-kill-test';

let temporal: Awaited<ReturnType<typeof testTemporal>>;
let mongo: Awaited<ReturnType<typeof testMongo>>;
let scim: FakeScim;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  [temporal, mongo, scim] = await Promise.all([testTemporal(), testMongo('worker_kill'), new FakeScim(TOKEN).start()]);
  scim.http.latencyMs = 150;
  await scimLeaverTenant(mongo.db, TENANT, scim, 'TENANT_WORKER_KILL__SCIM_TOKEN');
});

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) process.kill(-w.pid!, 'SIGKILL');
  await Promise.all([mongo?.drop(), temporal?.close(), scim?.stop()]);
});

/** workers/main.ts in a process group of its own (tsx and the node it runs), ready once it logs `worker started`. */
function startWorker(prefix: string): Promise<ChildProcess> {
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
    MONGODB_URI: process.env.TEST_MONGODB_URI,
    MONGODB_DB: mongo.db.databaseName,
    TASK_QUEUE_PREFIX: prefix,
    WORKER_PLATFORMS: 'scim',
    ALLOW_INSECURE_PLATFORM_URLS: 'true',
    LOG_LEVEL: 'info',
    TENANT_WORKER_KILL__SCIM_TOKEN: TOKEN,
  };
  const root = join(__dirname, '..', '..');
  const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'workers', 'main.ts')], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workers.push(child);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => line.includes('"worker started"') && resolve(child));
    createInterface({ input: child.stderr }).on('line', (line) => process.stderr.write(`[worker] ${line}\n`));
    child.once('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before it started`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );

it('completes every offboarding after the worker is SIGKILLed mid-flight and a new one starts, each effect applied exactly once', async () => {
  const groups: FakeScimGroup[] = ['engineering', 'vpn', 'payroll'].map((name) => scim.addGroup(name));
  const leavers: FakeScimUser[] = Array.from({ length: LEAVERS }, (_, i) =>
    scim.addUser(`leaver-${String(i).padStart(3, '0')}@example.com`),
  );
  leavers.forEach((u, i) => groups.slice(0, 1 + (i % 3)).forEach((g) => g.members.add(u.id)));
  const expected = new Set([
    ...leavers.map((u) => `deactivate:${u.id}`),
    ...groups.flatMap((g) => [...g.members].map((id) => `leave:${g.id}:${id}`)),
  ]);

  const prefix = `${uniqueQueue('kill')}-`;
  const first = await startWorker(prefix);
  const handles = await Promise.all(
    leavers.map((u) => {
      const request = scimLeaverRequest(TENANT, u);
      return temporal.client.workflow.start<typeof offboarding>('offboarding', {
        args: [request],
        taskQueue: taskQueues(prefix).workflows,
        workflowId: runWorkflowId(TENANT, 'offboarding', u.id),
      });
    }),
  );

  // Killed while the platform is part-way: some effects applied, most runs still in flight.
  await eventually(
    () => Promise.resolve(scim.applied.size >= 20 || undefined),
    'the first effects on the platform',
    120_000,
  );
  process.kill(-first.pid!, 'SIGKILL');
  await exited(first);
  const appliedAtKill = scim.applied.size;
  expect(appliedAtKill).toBeLessThan(expected.size / 2);
  process.stdout.write(
    `worker killed with ${appliedAtKill} of ${expected.size} effects applied, ${scim.http.requests.length} calls made\n`,
  );

  await startWorker(prefix);
  const results: RunProgress[] = await Promise.all(handles.map((h) => h.result()));

  expect(results.map((r) => r.status)).toEqual(leavers.map(() => 'completed'));
  expect(results.every((r) => r.needsHuman.length === 0)).toBe(true);
  // Exactly the expected effects, each once: none lost, none doubled, nothing else changed.
  expect(new Set(scim.applied.keys())).toEqual(expected);
  expect([...scim.applied.values()].every((n) => n === 1)).toBe(true);
  expect(leavers.every((u) => !u.active)).toBe(true);
  expect(groups.every((g) => g.members.size === 0)).toBe(true);
}, 420_000);
