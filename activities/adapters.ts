import { ApplicationFailure } from '@temporalio/common';
import type { Platform, PlatformConnection } from '../shared';
import type { TenantStore } from '../store/tenants';
import type { SecretReader } from './connection-secrets';
import type { AdapterResolver, PlatformAdapter } from './platform-adapter';

/** Builds a platform adapter from a tenant's connection; secrets are read through `readSecret` at call time. */
/** `tenantId` is given by the worker's resolver (adapters whose state is per tenant, e.g. the reference platform); platform tests may omit it. */
export type AdapterFactory = (connection: PlatformConnection, readSecret: SecretReader, tenantId?: string) => PlatformAdapter;

export type AdapterFactories = Partial<Record<Platform, AdapterFactory>>;

/**
 * Resolves the adapter for (tenant, platform) from the tenant's stored connection.
 * Adapters are rebuilt per call: connection changes apply at once, and nothing
 * holding a secret outlives the activity.
 */
export function createAdapterResolver(tenants: TenantStore, factories: AdapterFactories, readSecret: SecretReader): AdapterResolver {
  return async (tenantId, platform) => {
    const factory = factories[platform];
    if (!factory) {
      throw ApplicationFailure.create({ type: 'PlatformNotServed', message: `this worker has no adapter for ${platform}`, nonRetryable: true });
    }
    const connection = (await tenants.connection(tenantId, platform)) ?? { platform };
    return factory(connection, readSecret, tenantId);
  };
}
