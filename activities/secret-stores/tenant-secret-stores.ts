import type { PlatformConnection, SecretStoreSetting } from '../../shared';
import type { TenantStore } from '../../store/tenants';
import type { TenantSecretReader } from '../connection-secrets';
import type { SecretStore, SecretStoreResolver } from '../secret-store';
import { awsSecretsManagerStoreFactory } from './aws-secrets-manager';

/** The AWS connection a Secrets Manager setting stands for (its credentials are the tenant's references). */
export function secretsManagerConnection(
  setting: Extract<SecretStoreSetting, { kind: 'aws-secrets-manager' }>,
): PlatformConnection {
  return {
    platform: 'aws-iam',
    baseUrl: setting.baseUrl,
    settings: { region: setting.region, ...(setting.namePrefix ? { namePrefix: setting.namePrefix } : {}) },
    credentials: setting.credentials,
  };
}

/**
 * The secret store a tenant chose (`secretStore`: AWS Secrets Manager with its region,
 * endpoint and credential references) or the embedded store. There is no store that
 * keeps a secret only in memory: a rotation either stores durably or does not start.
 */
export function tenantSecretStores(
  tenants: TenantStore,
  readSecrets: TenantSecretReader,
  embedded: (tenantId: string) => SecretStore,
): SecretStoreResolver {
  return async (tenantId): Promise<SecretStore> => {
    const setting = (await tenants.get(tenantId))?.secretStore;
    if (setting?.kind !== 'aws-secrets-manager') return embedded(tenantId);
    const connection = secretsManagerConnection(setting);
    return awsSecretsManagerStoreFactory(connection, await readSecrets(tenantId, connection));
  };
}
