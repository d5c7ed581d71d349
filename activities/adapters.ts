import { ApplicationFailure } from '@temporalio/common';
import type { Platform, PlatformConnection } from '../shared';
import type { TenantStore } from '../store/tenants';
import type { SecretReader, TenantSecretReader } from './connection-secrets';
import type { AdapterResolver, PlatformAdapter } from './platform-adapter';

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
