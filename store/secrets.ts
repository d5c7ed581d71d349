import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { SealedSecret, SecretCipher } from '../infra/secret-cipher';

type Stage = 'pending' | 'current' | 'previous';

interface SecretVersion {
  versionId: string;
  sealed: SealedSecret;
  stages: Stage[];
  idempotencyKey: string;
  createdAt: string;
}

interface SecretDoc {
  /** `<tenantId>/<name>`: every read and write goes by _id (the only filter the embedded store pushes down). */
  _id: string;
  tenantId: string;
  name: string;
  versions: SecretVersion[];
  /** Optimistic concurrency: every write replaces the revision it read. */
  revision: number;
  createdAt: string;
  rotatedAt: string;
  lastUsedAt?: string;
}

/** What the API shows of a secret: never a value. */
export interface SecretInfo {
  name: string;
  ref: string;
  createdAt: string;
  rotatedAt: string;
  lastUsedAt?: string;
  versions: number;
}

/** Raised when the embedded store has no key to seal or open with: the caller must refuse, never keep the secret elsewhere. */
export class SecretStoreUnavailableError extends Error {}

/** The idempotency key of every version handed over through intake starts with it: those never leave the store. */
const INTAKE = 'intake-';

/** Versions kept beyond those holding a stage, for audit; older unlabelled ones are dropped. */
const KEEP_UNLABELLED = 3;

/**
 * The embedded secret store: every tenant's secrets in MongoDB, sealed with
 * AES-256-GCM (infra/secret-cipher.ts) and bound to their tenant and name. It holds
 * both what an MSP hands over for a connection (write-only intake) and what
 * rotations create, with AWS Secrets Manager's staging labels (pending, current, previous).
 */
export class SecretVault {
  private readonly secrets: Collection<SecretDoc>;

  constructor(
    db: Db,
    private readonly cipher?: SecretCipher,
  ) {
    this.secrets = db.collection<SecretDoc>('tenant_secrets');
  }

  ensureIndexes(): Promise<void> {
    return Promise.resolve(); // _id only
  }

  /** True when the store can seal secrets (SECRET_STORE_KEYS is set): a rotation needs it before it starts. */
  get durable(): boolean {
    return this.cipher !== undefined;
  }

  /** Idempotent per idempotencyKey: a repeat returns the version it stored (a different value for the same key is refused). */
  async putPending(
    tenantId: string,
    name: string,
    value: string,
    idempotencyKey: string,
    now = new Date(),
  ): Promise<string> {
    const cipher = this.requireCipher();
    let versionId = '';
    await this.mutate(tenantId, name, now, (doc) => {
      const existing = doc.versions.find((v) => v.idempotencyKey === idempotencyKey);
      if (existing) {
        if (cipher.open(existing.sealed, contextOf(tenantId, name)) !== value)
          throw new Error(`secret ${name} already has a different value for this request`);
        versionId = existing.versionId;
        return false;
      }
      versionId = randomUUID();
      for (const v of doc.versions) v.stages = v.stages.filter((s) => s !== 'pending');
      doc.versions.push({
        versionId,
        sealed: cipher.seal(value, contextOf(tenantId, name)),
        stages: ['pending'],
        idempotencyKey,
        createdAt: now.toISOString(),
      });
      return true;
    });
    return versionId;
  }

  /** pending → current; the old current becomes previous. Idempotent. */
  async promote(tenantId: string, name: string, versionId: string, now = new Date()): Promise<void> {
    await this.mutate(tenantId, name, now, (doc) => {
      const target = versionOf(doc, versionId);
      if (target.stages.includes('current')) return false;
      for (const v of doc.versions) {
        v.stages = v.stages.filter((s) => s !== 'previous');
        if (v.stages.includes('current')) v.stages = [...v.stages.filter((s) => s !== 'current'), 'previous'];
      }
      target.stages = ['current'];
      doc.rotatedAt = now.toISOString();
      prune(doc);
      return true;
    });
  }

  async discardPending(tenantId: string, name: string, versionId: string, now = new Date()): Promise<void> {
    await this.mutate(tenantId, name, now, (doc) => {
      const target = doc.versions.find((v) => v.versionId === versionId);
      if (!target?.stages.includes('pending')) return false;
      target.stages = target.stages.filter((s) => s !== 'pending');
      return true;
    });
  }

  async current(tenantId: string, name: string): Promise<string | undefined> {
    return (await this.get(tenantId, name))?.versions.find((v) => v.stages.includes('current'))?.versionId;
  }

  async versionFor(tenantId: string, name: string, idempotencyKey: string): Promise<string | undefined> {
    return (await this.get(tenantId, name))?.versions.find((v) => v.idempotencyKey === idempotencyKey)?.versionId;
  }

  async reveal(tenantId: string, name: string, versionId: string): Promise<string> {
    const doc = await this.get(tenantId, name);
    if (!doc) throw new Error(`secret ${name} does not exist`);
    return this.requireCipher().open(versionOf(doc, versionId).sealed, contextOf(tenantId, name));
  }

  /** Intake: the value becomes the secret's current version at once. */
  async put(tenantId: string, name: string, value: string, now = new Date()): Promise<SecretInfo> {
    const versionId = await this.putPending(tenantId, name, value, `${INTAKE}${randomUUID()}`, now);
    await this.promote(tenantId, name, versionId, now);
    return infoOf((await this.get(tenantId, name))!);
  }

  /** The current value, for a connection that references it; marks the secret used. */
  async readCurrent(tenantId: string, name: string, now = new Date()): Promise<string | undefined> {
    const doc = await this.get(tenantId, name);
    const current = doc?.versions.find((v) => v.stages.includes('current'));
    if (!doc || !current) return undefined;
    const value = this.requireCipher().open(current.sealed, contextOf(tenantId, name));
    await this.secrets.updateOne({ _id: doc._id }, { $set: { lastUsedAt: now.toISOString() } });
    return value;
  }

  /**
   * The current value of a secret a rotation wrote, for the consumer of that credential; marks it used.
   * A secret handed over through intake is never returned, whoever asks: undefined, as for no secret.
   */
  async readRotated(
    tenantId: string,
    name: string,
    now = new Date(),
  ): Promise<{ value: string; versionId: string; rotatedAt: string } | undefined> {
    const doc = await this.get(tenantId, name);
    const current = doc?.versions.find((v) => v.stages.includes('current'));
    if (!doc || !current || current.idempotencyKey.startsWith(INTAKE)) return undefined;
    const value = this.requireCipher().open(current.sealed, contextOf(tenantId, name));
    await this.secrets.updateOne({ _id: doc._id }, { $set: { lastUsedAt: now.toISOString() } });
    return { value, versionId: current.versionId, rotatedAt: doc.rotatedAt };
  }

  async info(tenantId: string, name: string): Promise<SecretInfo | undefined> {
    const doc = await this.get(tenantId, name);
    return doc ? infoOf(doc) : undefined;
  }

  async list(tenantId: string): Promise<SecretInfo[]> {
    const docs = await this.secrets.find({ tenantId }).toArray();
    return docs.map(infoOf).sort((a, b) => a.name.localeCompare(b.name));
  }

  async remove(tenantId: string, name: string): Promise<boolean> {
    return (await this.secrets.deleteOne({ _id: idOf(tenantId, name) })).deletedCount === 1;
  }

  /**
   * Master-key rotation: reseals every version not sealed with the active key. A record that
   * does not open (tampered with, moved, or sealed with a key no longer listed) is left as it
   * is and named, so one bad record never stops the rotation of the others.
   */
  async reseal(): Promise<{ resealed: number; unreadable: string[] }> {
    const cipher = this.requireCipher();
    let resealed = 0;
    const unreadable: string[] = [];
    for await (const doc of this.secrets.find({})) {
      const stale = doc.versions.filter((v) => v.sealed.keyId !== cipher.activeKeyId);
      if (stale.length === 0) continue;
      const context = contextOf(doc.tenantId, doc.name);
      try {
        for (const v of stale) v.sealed = cipher.seal(cipher.open(v.sealed, context), context);
      } catch {
        unreadable.push(doc._id);
        continue;
      }
      const replaced = await this.secrets.replaceOne(
        { _id: doc._id, revision: doc.revision },
        { ...doc, revision: doc.revision + 1 },
      );
      if (replaced.modifiedCount === 1) resealed += stale.length;
    }
    return { resealed, unreadable };
  }

  private get(tenantId: string, name: string): Promise<SecretDoc | null> {
    return this.secrets.findOne({ _id: idOf(tenantId, name) });
  }

  /** Read, change, write back if nobody wrote in between (else read again). `change` returns false when there is nothing to write. */
  private async mutate(tenantId: string, name: string, now: Date, change: (doc: SecretDoc) => boolean): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const found = await this.get(tenantId, name);
      const doc: SecretDoc = found ?? {
        _id: idOf(tenantId, name),
        tenantId,
        name,
        versions: [],
        revision: 0,
        createdAt: now.toISOString(),
        rotatedAt: now.toISOString(),
      };
      if (!change(doc)) return;
      if (!found) {
        try {
          await this.secrets.insertOne({ ...doc, revision: 1 });
          return;
        } catch (err) {
          if ((err as { code?: number }).code !== 11000) throw err;
          continue; // created by someone else in between: read it again
        }
      }
      const replaced = await this.secrets.replaceOne(
        { _id: doc._id, revision: found.revision },
        { ...doc, revision: found.revision + 1 },
      );
      if (replaced.modifiedCount === 1) return;
    }
    throw new Error(`secret ${name} is being changed concurrently; try again`);
  }

  private requireCipher(): SecretCipher {
    if (!this.cipher)
      throw new SecretStoreUnavailableError(
        'the embedded secret store has no key (SECRET_STORE_KEYS is not set): secrets cannot be stored durably',
      );
    return this.cipher;
  }
}

const idOf = (tenantId: string, name: string) => `${tenantId}/${name}`;
const contextOf = (tenantId: string, name: string) => `${tenantId}\n${name}`;

function versionOf(doc: SecretDoc, versionId: string): SecretVersion {
  const version = doc.versions.find((v) => v.versionId === versionId);
  if (!version) throw new Error(`secret ${doc.name} has no version ${versionId}`);
  return version;
}

function prune(doc: SecretDoc): void {
  const unlabelled = doc.versions.filter((v) => v.stages.length === 0);
  const drop = new Set(unlabelled.slice(0, Math.max(0, unlabelled.length - KEEP_UNLABELLED)).map((v) => v.versionId));
  doc.versions = doc.versions.filter((v) => !drop.has(v.versionId));
}

function infoOf(doc: SecretDoc): SecretInfo {
  return {
    name: doc.name,
    ref: `secret:${doc.name}`,
    createdAt: doc.createdAt,
    rotatedAt: doc.rotatedAt,
    lastUsedAt: doc.lastUsedAt,
    versions: doc.versions.length,
  };
}
