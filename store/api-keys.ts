import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Platform } from '../shared/platforms';

export const ROLES = ['admin', 'service-desk', 'reviewer', 'approver', 'auditor', 'consumer'] as const;
export type Role = (typeof ROLES)[number];

/** A role on one tenant, or on every tenant (`*`). */
export interface Grant {
  role: Role;
  tenantId: string;
  /** consumer only: the rotated credentials (platform and owner, e.g. a service account) whose current secret the key may read. */
  credentials?: { platform: Platform; ownerId: string }[];
}

/** What is kept of an API key: never the key, only its SHA-256 (keys are 256-bit random, so no slow hash is needed). */
export interface ApiKeyRecord {
  keyId: string;
  name: string;
  /** The person or system the key acts for; recorded as the actor and used as reviewer/approver id. */
  ownerId?: string;
  grants: Grant[];
  hash: string;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
  revokedBy?: string;
}

export type ApiKeyInfo = Omit<ApiKeyRecord, 'hash'>;

const PREFIX = 'irb';

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Keys look like `irb_<keyId>_<secret>`: the id finds the record, the whole key is compared by digest. */
export function parseApiKey(token: string): { keyId: string } | undefined {
  const match = /^irb_([a-f0-9]{16})_[A-Za-z0-9_-]{43}$/.exec(token);
  return match ? { keyId: match[1]! } : undefined;
}

/** API keys for the HTTP API, stored hashed; the plain key is returned once, at creation. */
export class ApiKeyStore {
  private readonly keys: Collection<ApiKeyRecord>;

  constructor(db: Db) {
    this.keys = db.collection<ApiKeyRecord>('api_keys');
  }

  async ensureIndexes(): Promise<void> {
    await this.keys.createIndex({ keyId: 1 }, { unique: true, name: 'keyId_unique' });
  }

  async create(
    input: { name: string; ownerId?: string; grants: Grant[]; createdBy: string },
    now = new Date(),
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    const keyId = randomBytes(8).toString('hex');
    const key = `${PREFIX}_${keyId}_${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = { keyId, ...input, hash: sha256(key), createdAt: now.toISOString() };
    await this.keys.insertOne({ ...record });
    const { hash: _hash, ...info } = record;
    return { key, info };
  }

  /** The key's record when the key is genuine and not revoked. */
  async verify(token: string): Promise<ApiKeyInfo | undefined> {
    const parsed = parseApiKey(token);
    if (!parsed) return undefined;
    const record = await this.keys.findOne({ keyId: parsed.keyId }, { projection: { _id: 0 } });
    if (!record || record.revokedAt) return undefined;
    if (!timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(sha256(token), 'hex'))) return undefined;
    const { hash: _hash, ...info } = record;
    return info;
  }

  list(): Promise<ApiKeyInfo[]> {
    return this.keys
      .find({}, { projection: { _id: 0, hash: 0 } })
      .sort({ createdAt: 1 })
      .toArray();
  }

  get(keyId: string): Promise<ApiKeyInfo | null> {
    return this.keys.findOne({ keyId }, { projection: { _id: 0, hash: 0 } });
  }

  /** Revocation is permanent; the record stays for the audit trail. */
  async revoke(keyId: string, revokedBy: string, now = new Date()): Promise<boolean> {
    const result = await this.keys.updateOne(
      { keyId, revokedAt: { $exists: false } },
      { $set: { revokedAt: now.toISOString(), revokedBy } },
    );
    return result.matchedCount === 1;
  }
}
