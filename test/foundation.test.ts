/**
 * The running skeleton end to end, on the real Temporal dev server and FerretDB
 * started by global-setup: API → Temporal → worker → store.
 */
import type { Worker } from '@temporalio/worker';
import { MongoClient } from 'mongodb';
import request from 'supertest';
import { createApp } from '../api/app';
import { createLogger } from '../infra/logger';
import { taskQueues } from '../shared/task-queues';
import { createWorkers } from '../workers/create-workers';
import { bundleWorkflows, testMongo, testTemporal, uniqueQueue } from './support/servers';

const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
const log = createLogger('silent', 'test');

let temporal: Awaited<ReturnType<typeof testTemporal>>;
let mongo: Awaited<ReturnType<typeof testMongo>>;
let workers: Worker[];
let running: Promise<unknown>;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  [temporal, mongo] = await Promise.all([testTemporal(), testMongo('foundation')]);
  const prefix = uniqueQueue('foundation') + '-';
  workers = await createWorkers(
    { connection: temporal.nativeConnection, namespace: 'default', mongo },
    { taskQueuePrefix: prefix, workflowBundle: await bundleWorkflows() },
  );
  running = Promise.all(workers.map((w) => w.run()));
  app = createApp({ temporal: temporal.client, mongo, log, queues: taskQueues(prefix), adminApiKey: ADMIN_KEY });
});

afterAll(async () => {
  workers.forEach((w) => w.shutdown());
  await running;
  await mongo.drop();
  await temporal.close();
});

const auth = { Authorization: `Bearer ${ADMIN_KEY}` };

it('is healthy and ready when Temporal and MongoDB answer', async () => {
  await request(app).get('/healthz').expect(200, { status: 'ok' });
  const ready = await request(app).get('/readyz').expect(200);
  expect(ready.body.checks).toEqual({ temporal: 'up', mongodb: 'up' });
});

it('runs a workflow started through the API to completion on a worker', async () => {
  const started = await request(app).post('/v1/self-tests').set(auth).expect(202);
  expect(started.headers.location).toBe(`/v1/self-tests/${started.body.id}`);
  await temporal.client.workflow.getHandle(started.body.id).result();
  const done = await request(app).get(started.headers.location!).set(auth).expect(200);
  expect(done.body.status).toBe('completed');
  expect(done.body.result.store.reachable).toBe(true);
});

it('rejects /v1 calls without the bearer credential as problem+json', async () => {
  const res = await request(app).post('/v1/self-tests').expect(401);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['www-authenticate']).toBe('Bearer');
  await request(app).post('/v1/self-tests').set({ Authorization: 'Bearer wrong-key-wrong-key-wrong-key' }).expect(401);
});

it('names the offending field of a bad request', async () => {
  const res = await request(app).get('/v1/self-tests/not-an-id').set(auth).expect(400);
  expect(res.body.errors).toEqual([{ path: 'params.id', message: 'not a self-test id' }]);
});

it('answers unknown routes and malformed JSON with problem details', async () => {
  await request(app).get('/v1/nowhere').set(auth).expect(404);
  const res = await request(app)
    .post('/v1/self-tests')
    .set(auth)
    .set('Content-Type', 'application/json')
    .send('{"broken"')
    .expect(400);
  expect(res.body.type).toMatch(/malformed-json$/);
});

it('reports which backend is down on /readyz with 503', async () => {
  const deadClient = new MongoClient('mongodb://127.0.0.1:9/', { serverSelectionTimeoutMS: 300 });
  const downApp = createApp({
    temporal: temporal.client,
    mongo: { client: deadClient, db: deadClient.db('x') },
    log,
    queues: taskQueues(),
    adminApiKey: ADMIN_KEY,
  });
  const res = await request(downApp).get('/readyz').expect(503);
  expect(res.body.checks).toEqual({ temporal: 'up', mongodb: 'down' });
  expect(res.body.title).toBe('Not ready: mongodb unreachable');
  expect(res.headers['retry-after']).toBe('5');
  await deadClient.close();
});
