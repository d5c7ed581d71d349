import type { Db } from 'mongodb';
import type { SecretCipher } from '../infra/secret-cipher';
import { ApiKeyStore } from './api-keys';
import { CallbackStore } from './callbacks';
import { EvidenceStore } from './evidence';
import { IdempotencyStore } from './idempotency';
import { NotificationLog } from './notifications';
import { ReviewStore } from './reviews';
import { RotationCandidateStore } from './rotation-candidates';
import { SecretVault } from './secrets';
import { RunbookStore } from './runbooks';
import { RunProgressStore } from './run-progress';
import { TenantStore } from './tenants';

/**
 * Every store of the product over one database. Each creates the indexes for the queries it makes.
 * `secretCipher` seals the embedded secret store; without it, that store refuses every secret.
 */
export function createStores(db: Db, opts: { secretCipher?: SecretCipher } = {}) {
  return {
    secrets: new SecretVault(db, opts.secretCipher),
    tenants: new TenantStore(db),
    evidence: new EvidenceStore(db),
    runbooks: new RunbookStore(db),
    reviews: new ReviewStore(db),
    rotationCandidates: new RotationCandidateStore(db),
    notifications: new NotificationLog(db),
    callbacks: new CallbackStore(db),
    apiKeys: new ApiKeyStore(db),
    idempotency: new IdempotencyStore(db),
    runProgress: new RunProgressStore(db),
  };
}

export type Stores = ReturnType<typeof createStores>;

export async function ensureIndexes(stores: Stores): Promise<void> {
  await Promise.all(Object.values(stores).map((s) => s.ensureIndexes()));
}
