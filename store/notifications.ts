import type { Collection, Db } from 'mongodb';

/**
 * Which notifications were delivered, by a key derived from the channel and the
 * message, so a retried or replayed notify step does not post the same message twice.
 * Holds no message text and no webhook address (both may be sensitive).
 */
export class NotificationLog {
  private readonly sent: Collection<{ key: string; runId: string; channel: string; sentAt: Date }>;

  constructor(db: Db) {
    this.sent = db.collection('notifications_sent');
  }

  async ensureIndexes(): Promise<void> {
    await this.sent.createIndex({ key: 1 }, { unique: true, name: 'key_unique' });
  }

  async wasSent(key: string): Promise<boolean> {
    return (await this.sent.countDocuments({ key }, { limit: 1 })) > 0;
  }

  async recordSent(key: string, runId: string, channel: string, sentAt = new Date()): Promise<void> {
    await this.sent.updateOne({ key }, { $setOnInsert: { key, runId, channel, sentAt } }, { upsert: true });
  }
}
