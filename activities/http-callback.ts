import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ActivityCancelledError, ActivityNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure, CompleteAsyncError } from '@temporalio/common';
import type { ActionOutputs, ActionRequest, ActionResult, PlatformConnection } from '../shared';
import type { CallbackStore } from '../store/callbacks';
import type { SecretReader, TenantSecretReader } from './connection-secrets';
import { toActivityFailure } from './errors';
import { RestClient } from './platforms/http/rest-client';

export interface HttpCallbackDeps {
  callbacks: CallbackStore;
  /** Public base URL of this service's API, where customers call back (POST {base}/v1/callbacks/{callbackId}). */
  callbackBaseUrl: string;
  /**
   * The tenant's `http-callback` connection: settings.allowedOrigins (comma-separated, required),
   * credentials.token (optional bearer), credentials.signingSecret (optional HMAC-SHA256 body signature).
   */
  connection: (tenantId: string) => Promise<PlatformConnection | undefined>;
  /** The connection's secret references, resolved in the tenant's own namespace. */
  readSecrets: TenantSecretReader;
}

/** What the customer system sends to POST /v1/callbacks/{callbackId} (with `Authorization: Bearer <callbackToken>`). */
export type CallbackReport =
  | { status: 'completed'; result?: Record<string, unknown> }
  | { status: 'failed'; error: string }
  | { status: 'in-progress'; progress?: Record<string, unknown> };

export type CallbackOutcome = 'accepted' | 'already-finished' | 'unknown' | 'expired' | 'cancelled';

export const CALLBACK_REPORTED_FAILURE = 'CallbackReportedFailure';

/**
 * The generic "call and wait" step (platform `http-callback`): POSTs the payload to a
 * customer system with an opaque callback URL, then completes asynchronously when the
 * system calls back with the callback token it was given. The Temporal task token never leaves this service; the customer
 * can also report progress, which heartbeats the activity (use a heartbeatTimeout to
 * notice a customer that went silent).
 */
export function createHttpCallbackActivities(deps: HttpCallbackDeps) {
  return {
    async callAndWait(req: ActionRequest<'callAndWait'>): Promise<ActionResult<ActionOutputs['callAndWait']>> {
      const { info } = Context.current();
      const connection = await deps.connection(req.tenantId);
      const target = allowedTarget(req.url, connection);
      const execution = info.workflowExecution;
      if (!execution)
        throw ApplicationFailure.create({
          type: 'CallbackNeedsWorkflow',
          message: 'callAndWait runs only as a workflow step',
          nonRetryable: true,
        });
      const scope = {
        tenantId: req.tenantId,
        workflowId: execution.workflowId,
        runId: execution.runId,
        activityId: info.activityId,
      };
      const fresh = {
        callbackId: randomBytes(24).toString('base64url'),
        callbackToken: randomBytes(32).toString('base64url'),
      };
      const { callbackId, callbackToken } = await deps.callbacks.register(scope, info.taskToken, info.attempt, fresh);
      const callbackUrl = new URL(`v1/callbacks/${callbackId}`, deps.callbackBaseUrl.replace(/\/?$/, '/')).toString();
      const body = {
        callbackId,
        callbackUrl,
        callbackToken,
        runId: scope.workflowId,
        stepId: req.stepId,
        payload: req.payload,
        sentAt: new Date().toISOString(),
      };
      await postToCustomer(target, body, connection, await deps.readSecrets(req.tenantId, connection));
      throw new CompleteAsyncError();
    },
  };
}

export type HttpCallbackActivities = ReturnType<typeof createHttpCallbackActivities>;

/**
 * The same Idempotency-Key (the callback id) on every attempt lets the customer ignore a
 * repeated request; the signature (as GitHub signs webhooks) lets it check the request came from us.
 */
async function postToCustomer(
  target: URL,
  body: { callbackId: string },
  connection: PlatformConnection | undefined,
  readSecret: SecretReader,
): Promise<void> {
  const { token, signingSecret } = connection?.credentials ?? {};
  const headers: Record<string, string> = { 'Idempotency-Key': body.callbackId };
  if (token) headers.Authorization = `Bearer ${readSecret(token)}`;
  if (signingSecret)
    headers['X-Signature-256'] =
      `sha256=${createHmac('sha256', readSecret(signingSecret)).update(JSON.stringify(body)).digest('hex')}`;
  const rest = new RestClient({
    platform: 'http-callback',
    baseUrl: target.origin,
    headers: () => Promise.resolve({}),
  });
  try {
    await rest.post(target.toString(), body, { headers });
  } catch (err) {
    throw toActivityFailure(err);
  }
}

/** Only origins the tenant allowed: a runbook must not make the worker call arbitrary (internal) addresses. */
function allowedTarget(url: string, connection: PlatformConnection | undefined): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw ApplicationFailure.create({
      type: 'CallbackTargetNotAllowed',
      message: 'callAndWait url is not a valid URL',
      nonRetryable: true,
    });
  }
  const allowed = (connection?.settings?.allowedOrigins ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  if (!allowed.includes(target.origin)) {
    throw ApplicationFailure.create({
      type: 'CallbackTargetNotAllowed',
      message: `${target.origin} is not in the tenant's http-callback allowedOrigins`,
      nonRetryable: true,
    });
  }
  return target;
}

/**
 * Applies a customer's callback to the waiting activity: completes it with the result,
 * fails it (non-retryable: the customer decided), or heartbeats it with progress.
 * Repeated callbacks are harmless; a callback for an activity that timed out or was
 * cancelled reports that, so the customer knows its work is no longer awaited.
 */
export async function completeCallback(
  client: Client,
  store: CallbackStore,
  callbackId: string,
  callbackToken: string,
  report: CallbackReport,
): Promise<CallbackOutcome> {
  const pending = await store.find(callbackId);
  // A wrong token looks like an unknown id: no oracle for guessing either.
  if (!pending || !sameSecret(pending.callbackToken, callbackToken)) return 'unknown';
  if (pending.finishedAt)
    return pending.finishedAs === 'expired' || pending.finishedAs === 'cancelled'
      ? pending.finishedAs
      : 'already-finished';
  const token = pending.taskToken;
  try {
    if (report.status === 'in-progress') {
      await client.activity.heartbeat(token, report.progress);
      return 'accepted';
    }
    if (report.status === 'completed') {
      const result: ActionResult<ActionOutputs['callAndWait']> = { outcome: 'done', data: report.result ?? {} };
      await client.activity.complete(token, result);
    } else {
      await client.activity.fail(
        token,
        ApplicationFailure.create({ type: CALLBACK_REPORTED_FAILURE, message: report.error, nonRetryable: true }),
      );
    }
    await store.finish(callbackId, report.status);
    return 'accepted';
  } catch (err) {
    if (err instanceof ActivityCancelledError) {
      await client.activity.reportCancellation(token);
      await store.finish(callbackId, 'cancelled');
      return 'cancelled';
    }
    if (err instanceof ActivityNotFoundError) {
      await store.finish(callbackId, 'expired');
      return 'expired';
    }
    throw err;
  }
}

function sameSecret(expected: string, given: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(expected), digest(given));
}
