import { ApplicationFailure } from '@temporalio/common';
import type {
  ActionInputs,
  ActionOutputs,
  ActionResult,
  CredentialInfo,
  CredentialKind,
  Platform,
  PlatformAction,
  PlatformConnection,
  Subject,
} from '../../shared';
import type { TenantStore } from '../../store/tenants';
import type { SecretReader, TenantSecretReader } from '../connection-secrets';

/**
 * The one module of adapter plumbing: what a platform adapter is (PlatformAdapter and the results its actions
 * return), the helpers adapters share, and how the worker builds a tenant's adapter from its connection
 * (AdapterFactory, createAdapterResolver). Each platform's adapter sits beside it (okta.ts, entra.ts, ...).
 */

// What an adapter is.

/**
 * createCredential is the one action whose adapter output differs: the secret stays inside the activity.
 * A repeat on a platform that shows a secret only once (AWS access keys) returns the credential without it.
 */
export interface AdapterOutputs extends Omit<ActionOutputs, 'createCredential'> {
  createCredential: { credential: CredentialInfo; secret?: string };
}

export type AdapterAction<A extends PlatformAction> = (
  input: ActionInputs[A],
) => Promise<ActionResult<AdapterOutputs[A]>>;

/**
 * One platform's real API client, for one tenant's connection. It implements
 * exactly the actions of its entry in CAPABILITIES (shared/platforms.ts).
 * Every action is idempotent: repeating it reports `already-done`. Failures are
 * thrown as PlatformError so the activity layer can classify them.
 */
export type PlatformAdapter = { readonly platform: Platform } & { [A in PlatformAction]?: AdapterAction<A> } & {
  /** Rotation's test step: does this new secret authenticate? (never logged) */
  verifyCredential?(credential: CredentialInfo, secret: string): Promise<boolean>;
  /** Access review's inventory: the platform's accounts a page at a time (cursor-paged, like SCIM's and Graph's lists). */
  listAccounts?(page: PageRequest): Promise<AccountPage>;
  /**
   * Every non-human credential of the tenant on this platform, a page at a time: the one enumeration rotation
   * campaigns (and a non-human-identity inventory) stand on. `listCredentials` without a subject or owner pages through it.
   */
  listCredentialsPage?(page: PageRequest): Promise<CredentialPage>;
};

/** One page of a platform listing: where to resume (the last page's `nextCursor`; none for the first) and how many. */
export interface PageRequest {
  cursor?: string;
  limit: number;
}
export interface AccountPage {
  accounts: Subject[];
  nextCursor?: string;
}
export interface CredentialPage {
  credentials: CredentialInfo[];
  nextCursor?: string;
}

/** Builds the adapter for a tenant from its stored connection settings (secret references resolved at call time). */
export type AdapterResolver = (tenantId: string, platform: Platform) => Promise<PlatformAdapter>;

// What its actions return.

/** What a real adapter's action returns: the outcome and, where there is one, its data. */
export type AdapterResult<A extends keyof AdapterOutputs> = Promise<ActionResult<AdapterOutputs[A]>>;

export const done = (detail?: string) => ({ outcome: 'done' as const, detail });
export const alreadyDone = (detail?: string) => ({ outcome: 'already-done' as const, detail });

// Helpers adapters share.

/** A CredentialInfo with only the fields the platform reported (no undefined keys in workflow payloads). */
export function credentialInfo(
  platform: Platform,
  ownerId: string,
  id: string,
  kind: CredentialKind,
  extra: Partial<CredentialInfo> = {},
): CredentialInfo {
  const reported = Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined && v !== null));
  return { platform, id, kind, ownerId, status: 'active', ...reported };
}

/** Splits a composite id such as `oauth:<clientId>` at its first separator. */
export function splitOnce(value: string, separator: string): [string, string | undefined] {
  const at = value.indexOf(separator);
  return at < 0 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
}

/** A path segment from a user-supplied value. */
export const enc = encodeURIComponent;

/** Maps with at most `limit` calls in flight: faster than one by one, gentler on rate limits than all at once. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// Building a tenant's adapter from its connection.

/**
 * Builds a platform adapter from a tenant's connection; secrets are read through `readSecret` at call time.
 * `tenantId` is given by the worker's resolver (adapters whose state is per tenant, e.g. the reference platform); platform tests may omit it.
 */
export type AdapterFactory = (
  connection: PlatformConnection,
  readSecret: SecretReader,
  tenantId?: string,
) => PlatformAdapter;

export type AdapterFactories = Partial<Record<Platform, AdapterFactory>>;

/** An action on a platform the tenant has not connected: fails at once, never with the worker's own identity. */
export function notConnected(tenantId: string, platform: Platform): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'NotConnected',
    message: `tenant ${tenantId} has no ${platform} connection`,
    nonRetryable: true,
  });
}

/**
 * Resolves the adapter for (tenant, platform) from the tenant's stored connection,
 * with the connection's secret references resolved in the tenant's own namespace.
 * Adapters are rebuilt per call: connection changes apply at once, and nothing
 * holding a secret outlives the activity.
 */
export function createAdapterResolver(
  tenants: TenantStore,
  factories: AdapterFactories,
  readSecrets: TenantSecretReader,
): AdapterResolver {
  return async (tenantId, platform) => {
    const factory = factories[platform];
    if (!factory) {
      throw ApplicationFailure.create({
        type: 'PlatformNotServed',
        message: `this worker has no adapter for ${platform}`,
        nonRetryable: true,
      });
    }
    const connection = await tenants.connection(tenantId, platform);
    if (!connection) throw notConnected(tenantId, platform);
    return factory(connection, await readSecrets(tenantId, connection), tenantId);
  };
}
