/**
 * Schemathesis (PyPI, installed by scripts/setup.sh) fuzzes every operation of
 * /openapi.json against the real app on a free port: the dev server, FerretDB and
 * this project's workers on the reference platform. Whatever it generates, the API
 * must answer without a 5xx and within 5 s. The figures go to
 * test-results/api-fuzz.json (and the README's security section).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Worker } from '@temporalio/worker';
import request from 'supertest';
import { referenceAdapterFactory, referencePlatformsPerTenant } from '../activities/platforms/reference';
import { taskQueues } from '../shared/task-queues';
import { SEED_RUNBOOKS } from '../runbooks';
import { createWorkers } from '../workers/create-workers';
import { admin, ADMIN_KEY, testApi, type TestApi } from './support/api';
import { bundleWorkflows, uniqueQueue } from './support/servers';

const SCHEMATHESIS = resolve(__dirname, '../.tools/python/schemathesis');
const EXAMPLES_PER_OPERATION = 15;

let api: TestApi;
let workers: Worker[];
let running: Promise<unknown>;
let server: Server;
let base: string;

beforeAll(async () => {
  api = await testApi('fuzz');
  await api.stores.runbooks.loadSeeds(SEED_RUNBOOKS);
  const prefix = `${uniqueQueue('fuzz')}-`;
  workers = await createWorkers(
    {
      connection: api.temporal.nativeConnection,
      namespace: 'default',
      mongo: api.mongo,
      secretCipher: api.secretCipher,
      adapters: { reference: referenceAdapterFactory(referencePlatformsPerTenant()) },
    },
    { taskQueuePrefix: prefix, workflowBundle: await bundleWorkflows() },
  );
  running = Promise.all(workers.map((w) => w.run()));
  const app = api.appWith({
    queues: taskQueues(prefix),
    rateLimit: { limit: 1_000_000, windowMs: 60_000 },
    allowInsecurePlatformUrls: false,
  });
  // A tenant for the generated tenant-scoped requests to find.
  await request(app)
    .post('/v1/tenants')
    .set(admin)
    .send({ tenantId: 'fuzz-acme', name: 'Acme', connections: [{ platform: 'reference' }] })
    .expect(201);
  server = createServer(app);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  server?.close();
  workers?.forEach((w) => w.shutdown());
  await running;
  await api.close();
});

interface HarEntry {
  request: { method: string; url: string };
  response: { status: number };
  time: number;
}

it('answers every generated request with no 5xx and none slower than 5 s', async () => {
  const out = mkdtempSync(join(tmpdir(), 'irb-fuzz-'));
  const har = join(out, 'fuzz.har');
  const args = [
    '-m',
    'schemathesis.cli',
    'run',
    `${base}/openapi.json`,
    '--header',
    `Authorization: Bearer ${ADMIN_KEY}`,
    '--checks',
    'not_a_server_error',
    '--max-response-time',
    '5',
    '--max-examples',
    String(EXAMPLES_PER_OPERATION),
    '--seed',
    '20261201',
    '--request-timeout',
    '20',
    '--continue-on-failure',
    '--report',
    'har',
    '--report-har-path',
    har,
  ];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((done) => {
    const child = spawn('python3', args, {
      env: { ...process.env, PYTHONPATH: SCHEMATHESIS, PYTHONDONTWRITEBYTECODE: '1', NO_COLOR: '1' },
    });
    let text = '';
    child.stdout.on('data', (b: Buffer) => (text += b.toString()));
    child.stderr.on('data', (b: Buffer) => (text += b.toString()));
    child.on('exit', (c) => done({ code: c, output: text }));
  });
  const entries = (JSON.parse(readFileSync(har, 'utf8')) as { log: { entries: HarEntry[] } }).log.entries;
  const serverErrors = entries
    .filter((e) => e.response.status >= 500)
    .map((e) => `${e.response.status} ${e.request.method} ${e.request.url}`);
  const slow = entries
    .filter((e) => e.time > 5_000)
    .map((e) => `${Math.round(e.time)} ms ${e.request.method} ${e.request.url}`);
  const statuses = entries.reduce<Record<string, number>>(
    (n, e) => ((n[e.response.status] = (n[e.response.status] ?? 0) + 1), n),
    {},
  );
  mkdirSync(resolve(__dirname, '../test-results'), { recursive: true });
  writeFileSync(
    resolve(__dirname, '../test-results/api-fuzz.json'),
    JSON.stringify(
      {
        requests: entries.length,
        serverErrors: serverErrors.length,
        slowerThan5s: slow.length,
        statuses,
        maxMs: Math.max(...entries.map((e) => e.time)),
      },
      null,
      2,
    ),
  );
  expect({ serverErrors, slow }).toEqual({ serverErrors: [], slow: [] });
  expect(entries.length).toBeGreaterThanOrEqual(2_000);
  if (code !== 0) throw new Error(`schemathesis failed (exit ${code}):\n${output.slice(-4000)}`);
}, 900_000);
