import type { Collection, Db } from 'mongodb';
import type { EvidenceRecord } from '../shared/runbooks';

/**
 * The audit trail, append-only: records are inserted, never updated or deleted
 * by the product. Each record carries an idempotency key so an activity retried
 * after a lost reply does not write the same fact twice.
 */
export class EvidenceStore {
  private readonly records: Collection<EvidenceRecord & { key: string }>;

  constructor(db: Db) {
    this.records = db.collection('evidence');
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.records.createIndex({ key: 1 }, { unique: true, name: 'key_unique' }),
      this.records.createIndex({ tenantId: 1, runId: 1, at: 1 }, { name: 'tenant_run_at' }),
      this.records.createIndex({ tenantId: 1, subjectId: 1, at: -1 }, { name: 'tenant_subject_at' }),
    ]);
  }

  /** Idempotent append: a repeat with the same key is a no-op. */
  async append(key: string, record: EvidenceRecord): Promise<{ appended: boolean }> {
    const result = await this.records.updateOne({ key }, { $setOnInsert: { ...record, key } }, { upsert: true });
    return { appended: result.upsertedCount === 1 };
  }

  /** A run's evidence in time order. */
  forRun(tenantId: string, runId: string, limit = 10_000): Promise<EvidenceRecord[]> {
    return this.records
      .find({ tenantId, runId }, { projection: { _id: 0, key: 0 } })
      .sort({ at: 1, key: 1 })
      .limit(limit)
      .toArray();
  }
}
