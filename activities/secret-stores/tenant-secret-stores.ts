import type { TenantStore } from '../../store/tenants';
import type { SecretReader } from '../connection-secrets';
import type { SecretStore, SecretStoreResolver } from '../secret-store';
import { awsSecretsManagerStoreFactory } from './aws-secrets-manager';

/**
 * The secret store a tenant configured (`secretStore` in its settings: AWS Secrets
 * Manager, with its region, endpoint and credential references), or `fallback`
 * for tenants without one (the embedded default keeps rotated secrets in memory).
 */
export function tenantSecretStores(tenants: TenantStore, readSecret: SecretReader, fallback: SecretStoreResolver): SecretStoreResolver {
  return async (tenantId): Promise<SecretStore> => {
    const connection = (await tenants.get(tenantId))?.secretStore;
    return connection ? awsSecretsManagerStoreFactory(connection, readSecret) : fallback(tenantId);
  };
}
