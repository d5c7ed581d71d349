import type { SecretRef } from '../shared';
import type { SecretStoreResolver } from './secret-store';

export interface SecretStoreActivityDeps {
  resolveSecretStore: SecretStoreResolver;
}

/** Staging-label moves on a tenant's secret store (rotation); values never leave the store. */
export function createSecretStoreActivities({ resolveSecretStore }: SecretStoreActivityDeps) {
  return {
    async promoteSecret(tenantId: string, ref: SecretRef): Promise<void> {
      await (await resolveSecretStore(tenantId)).promote(ref);
    },
    async discardPendingSecret(tenantId: string, ref: SecretRef): Promise<void> {
      await (await resolveSecretStore(tenantId)).discardPending(ref);
    },
    async currentSecret(tenantId: string, secretName: string): Promise<SecretRef | null> {
      return (await (await resolveSecretStore(tenantId)).current(secretName)) ?? null;
    },
  };
}

export type SecretStoreActivities = ReturnType<typeof createSecretStoreActivities>;
