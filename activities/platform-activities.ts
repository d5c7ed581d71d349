import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  PLATFORM_ACTIONS,
  type CredentialInfo,
  type ActionInputs,
  type ActionOutputs,
  type ActionRequest,
  type ActionResult,
  type Platform,
  type PlatformAction,
} from '../shared';
import { toActivityFailure } from './errors';
import { CREDENTIALS_PER_PAGE, pagingGuard } from './platforms/paging';
import type { AdapterAction, AdapterResolver, PlatformAdapter } from './platforms/adapter';
import type { SecretStoreResolver } from './secret-store';

export type PlatformActivities = {
  [A in PlatformAction]: (req: ActionRequest<A>) => Promise<ActionResult<ActionOutputs[A]>>;
};

export interface PlatformActivityDeps {
  resolveAdapter: AdapterResolver;
  resolveSecretStore: SecretStoreResolver;
}

/**
 * The activities of one platform's task queue: one per catalogue action, each
 * resolving the tenant's adapter and classifying its failures. The workflow
 * picks the platform by task queue, so `disableAccount` on `platform-okta`
 * disables an Okta user.
 */
export function createPlatformActivities(platform: Platform, deps: PlatformActivityDeps): PlatformActivities {
  const activities: Partial<Record<PlatformAction, (req: never) => Promise<unknown>>> = {};
  for (const action of PLATFORM_ACTIONS) {
    activities[action] = async (req: ActionRequest<typeof action>) => {
      try {
        const adapter = await deps.resolveAdapter(req.tenantId, platform);
        return withAttempt(await actionOf(adapter, action)(withoutEnvelope(req) as ActionInputs[typeof action]));
      } catch (err) {
        throw failedAttempt(err);
      }
    };
  }
  activities.listCredentials = async (req: ActionRequest<'listCredentials'>) => {
    try {
      const adapter = await deps.resolveAdapter(req.tenantId, platform);
      if (req.subject || req.ownerId || !adapter.listCredentialsPage)
        return withAttempt(await actionOf(adapter, 'listCredentials')(withoutEnvelope(req)));
      return withAttempt({ outcome: 'done', data: await everyCredential(adapter.listCredentialsPage.bind(adapter)) });
    } catch (err) {
      throw failedAttempt(err);
    }
  };
  activities.createCredential = async (req: ActionRequest<'createCredential'>) => {
    try {
      return withAttempt(await createAndStoreCredential(await deps.resolveAdapter(req.tenantId, platform), req, deps));
    } catch (err) {
      throw failedAttempt(err);
    }
  };
  return activities as PlatformActivities;
}

interface CredentialPages {
  cursor?: string;
  credentials: CredentialInfo[];
}

/**
 * The tenant-wide enumeration, page by page on the platform's own queue (so its rate limits apply). Each page is
 * heartbeated with the cursor, so a retry after a worker crash resumes where the last attempt stopped.
 */
async function everyCredential(page: NonNullable<PlatformAdapter['listCredentialsPage']>): Promise<CredentialInfo[]> {
  const resumed = Context.current().info.heartbeatDetails as CredentialPages | undefined;
  const credentials = [...(resumed?.credentials ?? [])];
  let cursor = resumed?.cursor;
  const guard = pagingGuard('credentials');
  do {
    const next = await page({ cursor, limit: CREDENTIALS_PER_PAGE });
    guard(next.nextCursor);
    credentials.push(...next.credentials);
    cursor = next.nextCursor;
    Context.current().heartbeat({ cursor, credentials } satisfies CredentialPages);
  } while (cursor !== undefined);
  return credentials;
}

/** The attempt number travels with the result (and the failure), so run progress can show it. */
function withAttempt<T extends ActionResult<unknown>>(result: T): T {
  return { ...result, attempt: Context.current().info.attempt };
}

function failedAttempt(err: unknown): ApplicationFailure {
  const failure = toActivityFailure(err);
  return ApplicationFailure.create({
    type: failure.type ?? undefined,
    message: failure.message,
    nonRetryable: failure.nonRetryable ?? false,
    // toActivityFailure sets it in milliseconds (from Retry-After).
    nextRetryDelay: failure.nextRetryDelay as number | undefined,
    details: [{ ...(failure.details?.[0] as object | undefined), attempt: Context.current().info.attempt }],
  });
}

function actionOf<A extends PlatformAction>(adapter: PlatformAdapter, action: A): AdapterAction<A> {
  const fn = adapter[action] as AdapterAction<A> | undefined;
  if (!fn) {
    throw ApplicationFailure.create({
      type: 'UnsupportedAction',
      message: `${adapter.platform} does not support ${action}`,
      nonRetryable: true,
    });
  }
  return (input) => fn.call(adapter, input);
}

/** The action's own input. runId stays: it is part of the input of run-level actions (openTicket, notify). */
function withoutEnvelope<T extends { tenantId: string; stepId?: string }>(req: T): Omit<T, 'tenantId' | 'stepId'> {
  const { tenantId: _t, stepId: _s, ...input } = req;
  return input;
}

/**
 * The new secret goes straight from the platform into the secret store; only its reference leaves the activity.
 * A retry whose platform no longer shows the secret finds it in the store, or, if the earlier attempt failed
 * before storing it, replaces that credential (its secret is lost) once.
 */
async function createAndStoreCredential(
  adapter: PlatformAdapter,
  req: ActionRequest<'createCredential'>,
  deps: PlatformActivityDeps,
  replaceLost = true,
): Promise<ActionResult<ActionOutputs['createCredential']>> {
  // The store is ready before the platform changes: a secret is never created where it could not be kept.
  const store = await deps.resolveSecretStore(req.tenantId);
  await store.assertWritable?.();
  const created = await actionOf(adapter, 'createCredential')(withoutEnvelope(req));
  if (!created.data) return { outcome: created.outcome, detail: created.detail };
  const { credential, secret } = created.data;
  const secretRef =
    secret !== undefined
      ? await store.putPending(req.secretName, secret, req.idempotencyKey)
      : await store.versionFor(req.secretName, req.idempotencyKey);
  if (secretRef) return { outcome: created.outcome, detail: created.detail, data: { credential, secretRef } };
  if (!replaceLost) {
    throw ApplicationFailure.create({
      type: 'CredentialSecretLost',
      message: `the secret of ${credential.id} was not stored and cannot be read again`,
      nonRetryable: true,
    });
  }
  await actionOf(adapter, 'deleteCredential')({ ownerId: credential.ownerId, credentialId: credential.id });
  const replaced = await createAndStoreCredential(adapter, req, deps, false);
  return { ...replaced, detail: `replaced ${credential.id}, whose secret an interrupted attempt lost` };
}
