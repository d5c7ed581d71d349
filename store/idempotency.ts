import { createHash } from 'node:crypto';
import type { Collection, Db } from 'mongodb';

/** The answer a request produced, replayed verbatim for a retry with the same Idempotency-Key and body. */
export interface StoredResponse {
  status: number;
  location?: string;
  body: unknown;
}

interface IdempotencyRecord {
  key: string;
  bodyHash: string;
  response?: StoredResponse;
  createdAt: Date;
}

export type Reservation =
  | { state: 'reserved' }
  | { state: 'replay'; response: StoredResponse }
  | { state: 'in-progress' }
  | { state: 'mismatch' };

/** A key is honoured this long; a retry after that starts afresh (the workflow id still prevents duplicate runs). */
const RETENTION_MS = 24 * 3600 * 1000;

export function bodyHash(body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(body ?? null))
    .digest('hex');
}

/**
 * Idempotency keys of run-starting requests, scoped by the caller so two
 * callers cannot collide. A key is reserved before the work starts, so two
 * concurrent retries cannot both do it.
 */
export class IdempotencyStore {
  private readonly records: Collection<IdempotencyRecord>;

  constructor(db: Db) {
    this.records = db.collection<IdempotencyRecord>('idempotency_keys');
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.records.createIndex({ key: 1 }, { unique: true, name: 'key_unique' }),
      // FerretDB has no TTL indexes: expired keys are replaced on use and purged by purgeExpired().
      this.records.createIndex({ createdAt: 1 }, { name: 'createdAt' }),
    ]);
  }

  async reserve(key: string, hash: string, now = new Date()): Promise<Reservation> {
    try {
      await this.records.insertOne({ key, bodyHash: hash, createdAt: now });
      return { state: 'reserved' };
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    const existing = await this.records.findOne({ key });
    if (!existing || existing.createdAt.getTime() < now.getTime() - RETENTION_MS) {
      if (existing) await this.records.deleteOne({ key, createdAt: existing.createdAt });
      return this.reserve(key, hash, now);
    }
    if (existing.bodyHash !== hash) return { state: 'mismatch' };
    return existing.response ? { state: 'replay', response: existing.response } : { state: 'in-progress' };
  }

  async complete(key: string, response: StoredResponse): Promise<void> {
    await this.records.updateOne({ key }, { $set: { response } });
  }

  async purgeExpired(now = new Date()): Promise<number> {
    const result = await this.records.deleteMany({ createdAt: { $lt: new Date(now.getTime() - RETENTION_MS) } });
    return result.deletedCount;
  }

  /** The work failed before it produced an answer: let a retry try again. */
  async release(key: string): Promise<void> {
    await this.records.deleteOne({ key, response: { $exists: false } });
  }
}
