import { Binary, type Collection, type Db } from 'mongodb';

/** Where a pending customer callback goes: one per activity execution, stable across its attempts. */
export interface CallbackScope {
  tenantId: string;
  workflowId: string;
  runId: string;
  activityId: string;
}

export interface PendingCallback extends CallbackScope {
  callbackId: string;
  /** The bearer credential the customer calls back with (the id alone, which appears in URLs and access logs, is not enough). */
  callbackToken: string;
  /** The Temporal task token of the latest attempt: it stays here, the customer only sees callbackId. */
  taskToken: Uint8Array;
  attempt: number;
  createdAt: Date;
  finishedAt?: Date;
  finishedAs?: 'completed' | 'failed' | 'cancelled' | 'expired';
}

type StoredCallback = Omit<PendingCallback, 'taskToken'> & { taskToken: Binary };

/**
 * Task tokens of activities waiting for a customer system, keyed by an opaque,
 * unguessable callback id. A retried attempt keeps the callback id (the customer may
 * already hold it) and replaces the token, so a late callback completes the live attempt.
 */
export class CallbackStore {
  private readonly callbacks: Collection<StoredCallback>;

  constructor(db: Db) {
    this.callbacks = db.collection('callbacks');
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.callbacks.createIndex({ callbackId: 1 }, { unique: true, name: 'callbackId_unique' }),
      this.callbacks.createIndex({ workflowId: 1, runId: 1, activityId: 1 }, { unique: true, name: 'activity_unique' }),
    ]);
  }

  /** Registers (or, on a retry, refreshes) the callback of an activity execution; returns its id and token, the same on every attempt. */
  async register(
    scope: CallbackScope,
    taskToken: Uint8Array,
    attempt: number,
    fresh: Pick<PendingCallback, 'callbackId' | 'callbackToken'>,
    now = new Date(),
  ): Promise<Pick<PendingCallback, 'callbackId' | 'callbackToken'>> {
    const { workflowId, runId, activityId } = scope;
    const stored = await this.callbacks.findOneAndUpdate(
      { workflowId, runId, activityId },
      { $setOnInsert: { ...scope, ...fresh, createdAt: now }, $set: { taskToken: new Binary(taskToken), attempt } },
      { upsert: true, returnDocument: 'after' },
    );
    return { callbackId: stored!.callbackId, callbackToken: stored!.callbackToken };
  }

  async find(callbackId: string): Promise<PendingCallback | null> {
    const stored = await this.callbacks.findOne({ callbackId }, { projection: { _id: 0 } });
    return stored && { ...stored, taskToken: new Uint8Array(stored.taskToken.buffer) };
  }

  async finish(callbackId: string, as: NonNullable<PendingCallback['finishedAs']>, now = new Date()): Promise<void> {
    await this.callbacks.updateOne(
      { callbackId, finishedAt: { $exists: false } },
      { $set: { finishedAt: now, finishedAs: as } },
    );
  }
}
