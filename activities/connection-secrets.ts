import { ApplicationFailure } from '@temporalio/common';
import type { PlatformConnection } from '../shared';
import { SecretStoreUnavailableError, type SecretVault } from '../store/secrets';
import { PlatformError } from './errors';
import { isSafeTenantId } from '../shared/tenant-id';

/**
 * Reads a secret reference of one connection while an adapter works. The worker
 * resolves every reference of the connection for its tenant before building the
 * adapter (tenantSecretReader), so the reader is synchronous and holds only that
 * connection's values, for one activity.
 */
export type SecretReader = (ref: string) => string;

/** Resolves the references of a tenant's connection, inside that tenant's namespace only. */
export type TenantSecretReader = (
  tenantId: string,
  connection: PlatformConnection | undefined,
) => Promise<SecretReader>;

/**
 * The environment variables a tenant's `env:` references may name: `TENANT_<TENANT ID>__…`, the tenant id
 * upper-cased with `-` as `_`, then two underscores. No tenant's prefix begins another's: tenant ids have no
 * `_`, no `--` and no trailing `-` (shared/tenant-id.ts), so `acme` (`TENANT_ACME__`) cannot name a variable of
 * `acme-2` (`TENANT_ACME_2__`), as a single `_` let it. Nothing else of the worker's environment (its admin
 * key, encryption keys, database and Temporal credentials, cloud identity) can be named by a tenant's connection.
 */
export function tenantEnvPrefix(tenantId: string): string {
  return `TENANT_${tenantId.toUpperCase().replaceAll('-', '_')}__`;
}

const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;
const SECRET_REF = /^secret:([A-Za-z0-9][\w./-]{0,199})$/;

const refused = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/**
 * The production reader: `secret:NAME` is the current value of NAME in the tenant's own
 * embedded secret store (PUT /v1/tenants/{id}/secrets/{name}); `env:VAR` is a variable
 * of the worker that carries the tenant's prefix (operator-held secrets). Messages name
 * the reference, never a value.
 */
export function tenantSecretReader(vault: SecretVault, env: NodeJS.ProcessEnv = process.env): TenantSecretReader {
  const resolveOne = async (tenantId: string, ref: string): Promise<string> => {
    const envRef = ENV_REF.exec(ref);
    if (envRef) {
      const variable = envRef[1]!;
      // A tenant record written past the API with an id whose prefix could begin another's gets nothing either.
      if (!isSafeTenantId(tenantId) || !variable.startsWith(tenantEnvPrefix(tenantId))) {
        throw refused(
          'SecretOutsideTenant',
          `env:${variable} is outside tenant ${tenantId}'s namespace (its variables start with ${tenantEnvPrefix(tenantId)})`,
        );
      }
      const value = env[variable];
      if (!value) throw refused('MissingSecret', `environment variable ${variable} is not set on the worker`);
      return value;
    }
    const secretRef = SECRET_REF.exec(ref);
    if (secretRef) {
      try {
        const value = await vault.readCurrent(tenantId, secretRef[1]!);
        if (value === undefined) throw refused('MissingSecret', `tenant ${tenantId} has no secret ${secretRef[1]}`);
        return value;
      } catch (err) {
        if (err instanceof SecretStoreUnavailableError) throw refused('SecretStoreUnavailable', err.message);
        throw err;
      }
    }
    throw refused('InvalidSecretReference', 'unsupported secret reference (expected secret:NAME or env:TENANT_…)');
  };
  return async (tenantId, connection) => {
    const refs = Object.values(connection?.credentials ?? {});
    const values = new Map(await Promise.all(refs.map(async (ref) => [ref, await resolveOne(tenantId, ref)] as const)));
    return (ref) => {
      const value = values.get(ref);
      if (value === undefined)
        throw refused('InvalidSecretReference', 'the reference is not one of this connection’s credentials');
      return value;
    };
  };
}

/**
 * Reads `env:VARIABLE` from the given environment, with no tenant rule: for platform
 * tests that build an adapter directly. The worker never uses it.
 */
export function readSecretRef(ref: string, env: NodeJS.ProcessEnv = process.env): string {
  const match = ENV_REF.exec(ref);
  if (!match) throw refused('InvalidSecretReference', 'unsupported secret reference scheme (expected env:VARIABLE)');
  const value = env[match[1]!];
  // The message names the variable, never a value.
  if (!value) throw refused('MissingSecret', `environment variable ${match[1]} is not set on the worker`);
  return value;
}

/** A non-secret connection setting the adapter cannot work without (checked when the adapter is built). */
export function requiredSetting(connection: PlatformConnection, key: string): string {
  const value = connection.settings?.[key];
  if (!value) throw new PlatformError('invalid', `${connection.platform} connection is missing settings.${key}`);
  return value;
}

/** A secret reference of the connection (e.g. `secret:okta-token`), read at call time so the value is never held longer than a request. */
export function requiredCredential(
  connection: PlatformConnection,
  key: string,
  readSecret: SecretReader,
): () => string {
  const ref = connection.credentials?.[key];
  if (!ref) throw new PlatformError('invalid', `${connection.platform} connection is missing credentials.${key}`);
  return () => readSecret(ref);
}
