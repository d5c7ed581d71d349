/**
 * The generic "call and wait" step end to end on the real Temporal dev server and
 * FerretDB: a test-only workflow runs callAndWait, a local HTTP server plays the
 * customer system, and the customer's callback through POST /v1/callbacks/{id}
 * completes (or fails, or heartbeats) the waiting activity.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TimeoutFailure,
  WorkflowFailedError,
} from '@temporalio/client';
import { TimeoutType } from '@temporalio/common';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import express from 'express';
import request from 'supertest';
import { createHttpCallbackActivities } from '../activities/http-callback';
import { errorHandler } from '../api/problem';
import { callbacksRouter } from '../api/routes/callbacks';
import { createLogger } from '../infra/logger';
import type { PlatformConnection } from '../shared';
import { CallbackStore } from '../store/callbacks';
import { bundleWorkflows, testMongo, testTemporal, uniqueQueue } from './support/servers';
import type { callAndWaitStep, CallAndWaitInput } from './workflows/call-and-wait';
import { eventually } from './support/poll';

interface CustomerCall {
  headers: IncomingMessage['headers'];
  raw: string;
  body: {
    callbackId: string;
    callbackUrl: string;
    callbackToken: string;
    runId: string;
    stepId: string;
    payload: Record<string, unknown>;
  };
}

/** The customer system: records each call and answers with the next queued status (202 by default). */
class CustomerSystem {
  readonly calls: CustomerCall[] = [];
  readonly statuses: number[] = [];
  private server!: Server;
  private waiters: (() => void)[] = [];

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString();
        this.calls.push({ headers: req.headers, raw, body: JSON.parse(raw) as CustomerCall['body'] });
        res.writeHead(this.statuses.shift() ?? 202).end();
        this.waiters.splice(0).forEach((w) => w());
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once the customer has received `count` calls in total. */
  async received(count: number): Promise<CustomerCall> {
    while (this.calls.length < count) await new Promise<void>((r) => this.waiters.push(r));
    return this.calls[count - 1]!;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED */
const PENDING_ACTIVITY_STATE_CANCEL_REQUESTED = 3;
const SIGNING_SECRET = 'whsec-erp-0123456789';
const CALLBACK_BASE = 'https://runbooks.example.com';
const customer = new CustomerSystem();
let temporal: Awaited<ReturnType<typeof testTemporal>>;
let mongo: Awaited<ReturnType<typeof testMongo>>;
let bundle: WorkflowBundleWithSourceMap;
let api: express.Express;
let taskQueue: string;
let worker: Worker;
let running: Promise<void>;
let workflowCount = 0;

beforeAll(async () => {
  [temporal, mongo, bundle] = await Promise.all([
    testTemporal(),
    testMongo('callbacks'),
    bundleWorkflows(require.resolve('./workflows/call-and-wait')),
    customer.start(),
  ]);
  const callbacks = new CallbackStore(mongo.db);
  await callbacks.ensureIndexes();
  const connection: PlatformConnection = {
    platform: 'http-callback',
    settings: { allowedOrigins: customer.origin },
    credentials: { token: 'env:ERP_TOKEN', signingSecret: 'env:ERP_SIGNING' },
  };
  taskQueue = uniqueQueue('http-callback');
  worker = await Worker.create({
    connection: temporal.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: createHttpCallbackActivities({
      callbacks,
      callbackBaseUrl: CALLBACK_BASE,
      connection: (tenantId) => Promise.resolve(tenantId === 'acme' ? connection : undefined),
      readSecrets: () =>
        Promise.resolve((ref: string) => (ref === 'env:ERP_SIGNING' ? SIGNING_SECRET : 'erp-bearer-token')),
    }),
  });
  running = worker.run();
  api = express()
    .use(express.json())
    .use('/v1/callbacks', callbacksRouter({ temporal: temporal.client, mongo }))
    .use(errorHandler(createLogger('silent', 'test')));
});

afterAll(async () => {
  worker.shutdown();
  await running;
  await Promise.all([customer.stop(), mongo.drop()]);
  await temporal.close();
});

function start(input: Partial<CallAndWaitInput> = {}) {
  return temporal.client.workflow.start<typeof callAndWaitStep>('callAndWaitStep', {
    taskQueue,
    workflowId: `call-and-wait-${++workflowCount}-${Date.now()}`,
    args: [
      {
        tenantId: 'acme',
        url: `${customer.origin}/erp/approvals`,
        payload: { asset: 'laptop-42' },
        scheduleToCloseTimeout: '1 minute',
        ...input,
      },
    ],
  });
}

/** The customer calls back as told: to callbackUrl, with its callback token. */
const callback = (call: CustomerCall, body: object, token = call.body.callbackToken) =>
  request(api).post(new URL(call.body.callbackUrl).pathname).set('Authorization', `Bearer ${token}`).send(body);

async function failureOf(promise: Promise<unknown>): Promise<ActivityFailure> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ActivityFailure);
  return cause as ActivityFailure;
}

it('calls the customer with an opaque callback URL, and the callback completes the step with its result', async () => {
  customer.statuses.push(503); // the first call fails: the retry must reuse the same callback id
  const handle = await start({ maximumAttempts: 3 });
  const first = await customer.received(customer.calls.length + 1);
  const call = await customer.received(customer.calls.length + 1);
  expect(call.body.callbackId).toBe(first.body.callbackId);
  expect(call.headers['idempotency-key']).toBe(call.body.callbackId);
  expect(call.headers.authorization).toBe('Bearer erp-bearer-token');
  expect(call.headers['x-signature-256']).toBe(
    `sha256=${createHmac('sha256', SIGNING_SECRET).update(call.raw).digest('hex')}`,
  );
  expect(call.body).toMatchObject({
    runId: handle.workflowId,
    stepId: 'approve-in-erp',
    payload: { asset: 'laptop-42' },
  });
  expect(call.body.callbackUrl).toBe(`${CALLBACK_BASE}/v1/callbacks/${call.body.callbackId}`);
  expect(call.body.callbackId).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(call.body.callbackToken).toBe(first.body.callbackToken);
  expect(JSON.stringify(call.body)).not.toMatch(/taskToken/i);

  // Only the callback token completes the step: the id alone (it shows in URLs and access logs) does not.
  await request(api).post(new URL(call.body.callbackUrl).pathname).send({ status: 'completed' }).expect(401);
  await callback(call, { status: 'completed', result: { forged: true } }, 'not-the-token').expect(404);
  await callback(call, { status: 'completed', result: { approvedBy: 'erp-admin' } }).expect(200, {
    status: 'accepted',
  });
  expect(await handle.result()).toEqual({ outcome: 'done', data: { approvedBy: 'erp-admin' } });
  await callback(call, { status: 'completed', result: { approvedBy: 'someone-else' } }).expect(200, {
    status: 'already-finished',
  });
});

it('keeps waiting while the customer reports progress within the heartbeat timeout', async () => {
  const handle = await start({ heartbeatTimeout: '2 seconds' });
  const call = await customer.received(customer.calls.length + 1);
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    await callback(call, { status: 'in-progress', progress: { percent: i * 25 } }).expect(200, { status: 'accepted' });
  }
  await callback(call, { status: 'completed' }).expect(200);
  expect(await handle.result()).toEqual({ outcome: 'done', data: {} });
});

it('fails the step, without retrying, when the customer reports a failure', async () => {
  const handle = await start({ maximumAttempts: 3 });
  const call = await customer.received(customer.calls.length + 1);
  await callback(call, { status: 'failed', error: 'asset not found in ERP' }).expect(200);
  const failure = await failureOf(handle.result());
  expect(failure.cause).toBeInstanceOf(ApplicationFailure);
  expect(failure.cause).toMatchObject({ type: 'CallbackReportedFailure', message: 'asset not found in ERP' });
});

it('times the step out when the customer never calls back, and tells a late caller it is gone', async () => {
  const handle = await start({ scheduleToCloseTimeout: '2 seconds' });
  const call = await customer.received(customer.calls.length + 1);
  const failure = await failureOf(handle.result());
  expect(failure.cause).toBeInstanceOf(TimeoutFailure);
  expect((failure.cause as TimeoutFailure).timeoutType).toBe(TimeoutType.SCHEDULE_TO_CLOSE);
  const late = await callback(call, { status: 'completed' }).expect(410);
  expect(late.headers['content-type']).toMatch(/^application\/problem\+json/);
  await callback(call, { status: 'completed' }).expect(410);
});

it('times the step out on a silent customer when a heartbeat timeout is set', async () => {
  const handle = await start({ heartbeatTimeout: '1 second' });
  await customer.received(customer.calls.length + 1);
  const failure = await failureOf(handle.result());
  expect((failure.cause as TimeoutFailure).timeoutType).toBe(TimeoutType.HEARTBEAT);
});

it('tells the customer when the run cancelled the step, on its next report', async () => {
  const handle = await start({ waitForCancellation: true });
  const call = await customer.received(customer.calls.length + 1);
  await handle.cancel();
  // The workflow must first turn the cancellation into a request to cancel its activity.
  const cancelRequested = async () =>
    Number((await handle.describe()).raw.pendingActivities?.[0]?.state) === PENDING_ACTIVITY_STATE_CANCEL_REQUESTED;
  await eventually(
    async () => ((await cancelRequested()) ? true : undefined),
    'the activity’s cancel request',
    60_000,
    50,
  );
  const gone = await callback(call, { status: 'in-progress' }).expect(410);
  expect(gone.body.type).toMatch(/callback-cancelled$/);
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
});

it('refuses a target outside the tenant allow-list, and a customer that rejects the call, without retrying', async () => {
  const calls = customer.calls.length;
  const outside = await failureOf(
    (await start({ url: 'http://169.254.169.254/latest/meta-data', maximumAttempts: 3 })).result(),
  );
  expect(outside.cause).toMatchObject({ type: 'CallbackTargetNotAllowed' });
  customer.statuses.push(422);
  const rejected = await failureOf((await start({ maximumAttempts: 3 })).result());
  expect(rejected.cause).toMatchObject({ type: 'PlatformInvalidRequest' });
  expect(customer.calls.length).toBe(calls + 1);
});

it('answers unknown callback ids with 404 and malformed reports with a problem naming the field', async () => {
  const bearer = { Authorization: 'Bearer some-token' };
  await request(api)
    .post('/v1/callbacks/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
    .set(bearer)
    .send({ status: 'completed' })
    .expect(404);
  const badId = await request(api).post('/v1/callbacks/short').set(bearer).send({ status: 'completed' }).expect(400);
  expect(badId.body.errors).toEqual([{ path: 'params.callbackId', message: 'not a callback id' }]);
  const badBody = await request(api)
    .post('/v1/callbacks/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
    .set(bearer)
    .send({ status: 'failed' })
    .expect(400);
  expect(badBody.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect((badBody.body as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['body.error']);
});
