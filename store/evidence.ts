import type { Collection, Db } from 'mongodb';
import type { EvidenceRecord } from '../shared/runbooks';

/**
 * The audit trail, append-only: records are inserted, never updated or deleted
 * by the product. Each record carries an idempotency key so an activity retried
 * after a lost reply does not write the same fact twice.
 */
export class EvidenceStore {
  // _id is the idempotency key: the upsert is a point write even where only _id filters are pushed down (FerretDB's SQLite backend).
  private readonly records: Collection<EvidenceRecord & { _id: string }>;

  constructor(db: Db) {
    this.records = db.collection('evidence');
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.records.createIndex({ tenantId: 1, runId: 1, at: 1 }, { name: 'tenant_run_at' }),
      this.records.createIndex({ tenantId: 1, subjectId: 1, at: -1 }, { name: 'tenant_subject_at' }),
    ]);
  }

  /** Idempotent append: a repeat with the same key is a no-op. */
  async append(key: string, record: EvidenceRecord): Promise<{ appended: boolean }> {
    const result = await this.records.updateOne({ _id: key }, { $setOnInsert: record }, { upsert: true });
    return { appended: result.upsertedCount === 1 };
  }

  /** A run's evidence in time order. */
  forRun(tenantId: string, runId: string, limit = 10_000): Promise<EvidenceRecord[]> {
    return this.records
      .find({ tenantId, runId }, { projection: { _id: 0 } })
      .sort({ at: 1, _id: 1 })
      .limit(limit)
      .toArray();
  }
}
