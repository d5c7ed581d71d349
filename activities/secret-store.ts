import type { SecretRef } from '../shared';

/**
 * A tenant's secret store, modelled on AWS Secrets Manager staging labels:
 * a new value is stored as pending, promoted to current (the old current
 * becomes previous), or discarded when its test fails.
 */
export interface SecretStore {
  readonly name: string;
  /** Throws (non-retryable) when the store cannot keep a secret durably: checked before a platform credential is created. */
  assertWritable?(): Promise<void>;
  /** Idempotent per idempotencyKey: a repeat returns the same version. */
  putPending(secretName: string, value: string, idempotencyKey: string): Promise<SecretRef>;
  promote(ref: SecretRef): Promise<void>;
  discardPending(ref: SecretRef): Promise<void>;
  current(secretName: string): Promise<SecretRef | undefined>;
  /** The version a request stored, if it got that far: a retried createCredential picks up from there. */
  versionFor(secretName: string, idempotencyKey: string): Promise<SecretRef | undefined>;
  /** Read inside an activity only (rotation's test step); never returned to a workflow. */
  reveal(ref: SecretRef): Promise<string>;
}

export type SecretStoreResolver = (tenantId: string) => Promise<SecretStore>;
