/**
 * The API process (api/server.ts) on a free port, against the shared Temporal
 * dev server and FerretDB: on SIGTERM it stops taking connections, finishes the
 * request in flight, closes its clients and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freePort, waitForPort } from '../scripts/processes';
import { eventually } from './support/poll';

const ADMIN_KEY = 'shutdown-admin-key-0123456789abcdef';
let child: ChildProcess;
let base: string;
let exited: Promise<number | null>;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // node with tsx's loader: the tsx launcher would SIGKILL the server if it acknowledged SIGTERM slowly (busy machine).
  child = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
    env: {
      ...process.env,
      API_PORT: String(port),
      ADMIN_API_KEY: ADMIN_KEY,
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
      MONGODB_URI: process.env.TEST_MONGODB_URI,
      MONGODB_DB: `shutdown_${randomUUID().slice(0, 8)}`,
      // A queue set no worker serves: the run's progress query waits out its deadline, a slow request on purpose.
      TASK_QUEUE_PREFIX: `shutdown-${randomUUID().slice(0, 8)}-`,
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  exited = new Promise((resolve) => child.once('exit', resolve));
  await waitForPort(port, 'the API');
});

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json', ...init.headers },
  });

async function inFlight(): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? 0);
}

it('finishes the request in flight on SIGTERM, then refuses new ones and exits 0', async () => {
  expect(
    (await call('/v1/tenants', { method: 'POST', body: JSON.stringify({ tenantId: 'shutdown-acme', name: 'Acme' }) }))
      .status,
  ).toBe(201);
  const started = await call('/v1/tenants/shutdown-acme/offboardings', {
    method: 'POST',
    body: JSON.stringify({ subject: { subjectId: 'e1', userName: 'e1' } }),
  });
  expect(started.status).toBe(202);

  const slow = call(started.headers.get('location')!);
  // Wait until the server is handling it (the /metrics request itself is the other one in flight).
  await eventually(async () => ((await inFlight()) >= 2 ? true : undefined), 'the slow request in flight', 60_000, 20);
  child.kill('SIGTERM');

  const response = await slow;
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ subjectId: 'e1', progressAvailable: false });
  expect(await exited).toBe(0);
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();
});
