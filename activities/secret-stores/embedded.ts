import { ApplicationFailure } from '@temporalio/common';
import type { SecretRef } from '../../shared';
import type { SecretVault } from '../../store/secrets';
import type { SecretStore } from '../secret-store';

/** A tenant's view of the embedded secret store (store/secrets.ts): durable, sealed, and only ever its own names. */
export function embeddedSecretStore(vault: SecretVault, tenantId: string): SecretStore {
  const ref = (name: string, versionId: string): SecretRef => ({ store: 'embedded', name, versionId });
  const versionOf = (r: SecretRef): string => {
    if (!r.versionId) throw new Error(`secret reference ${r.name} names no version`);
    return r.versionId;
  };
  return {
    name: 'embedded',
    assertWritable() {
      if (!vault.durable) {
        return Promise.reject(
          ApplicationFailure.create({
            type: 'SecretStoreUnavailable',
            message:
              'the embedded secret store has no key (SECRET_STORE_KEYS): no credential is created whose secret could not be stored',
            nonRetryable: true,
          }),
        );
      }
      return Promise.resolve();
    },
    async putPending(secretName, value, idempotencyKey) {
      return ref(secretName, await vault.putPending(tenantId, secretName, value, idempotencyKey));
    },
    promote: (r) => vault.promote(tenantId, r.name, versionOf(r)),
    discardPending: (r) => vault.discardPending(tenantId, r.name, versionOf(r)),
    async current(secretName) {
      const versionId = await vault.current(tenantId, secretName);
      return versionId ? ref(secretName, versionId) : undefined;
    },
    async versionFor(secretName, idempotencyKey) {
      const versionId = await vault.versionFor(tenantId, secretName, idempotencyKey);
      return versionId ? ref(secretName, versionId) : undefined;
    },
    reveal: (r) => vault.reveal(tenantId, r.name, versionOf(r)),
  };
}
