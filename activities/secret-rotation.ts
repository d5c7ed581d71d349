import { ApplicationFailure } from '@temporalio/common';
import type { CredentialInfo, Platform, SecretRef } from '../shared';
import { toActivityFailure } from './errors';
import type { AdapterResolver } from './platforms/adapter';
import type { SecretStoreResolver } from './secret-store';

export interface SecretRotationDeps {
  resolveAdapter: AdapterResolver;
  resolveSecretStore: SecretStoreResolver;
}

/**
 * The secret-store steps of a rotation (AWS Secrets Manager's testSecret / finishSecret).
 * The secret value is read only inside testCredential and never leaves it: every
 * activity takes and returns references.
 */
export function createSecretRotationActivities(deps: SecretRotationDeps) {
  return {
    /** Does the pending secret authenticate? Fails retryably first: a new key can take seconds to propagate. */
    async testCredential(input: {
      tenantId: string;
      platform: Platform;
      credential: CredentialInfo;
      secretRef: SecretRef;
    }): Promise<{ verified: true }> {
      let verified: boolean;
      try {
        const adapter = await deps.resolveAdapter(input.tenantId, input.platform);
        if (!adapter.verifyCredential) {
          throw ApplicationFailure.create({
            type: 'UnsupportedAction',
            message: `${input.platform} cannot verify credentials`,
            nonRetryable: true,
          });
        }
        const store = await deps.resolveSecretStore(input.tenantId);
        verified = await adapter.verifyCredential(input.credential, await store.reveal(input.secretRef));
      } catch (err) {
        throw toActivityFailure(err);
      }
      if (!verified) {
        throw ApplicationFailure.create({
          type: 'CredentialTestFailed',
          message: `new credential ${input.credential.id} did not authenticate on ${input.platform}`,
        });
      }
      return { verified };
    },

    /** pending → current; the old current becomes previous (kept for the grace period). Idempotent. */
    async promoteSecret(input: { tenantId: string; secretRef: SecretRef }): Promise<void> {
      await (await deps.resolveSecretStore(input.tenantId)).promote(input.secretRef);
    },

    /** Rollback: the failed version loses its pending label; current is untouched. Idempotent. */
    async discardPendingSecret(input: { tenantId: string; secretRef: SecretRef }): Promise<void> {
      await (await deps.resolveSecretStore(input.tenantId)).discardPending(input.secretRef);
    },
  };
}

export type SecretRotationActivities = ReturnType<typeof createSecretRotationActivities>;
