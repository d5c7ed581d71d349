import type { Collection, Db } from 'mongodb';
import type { CredentialKind, Platform } from '../shared';

/** One credential a rotation campaign will rotate. */
export interface RotationCandidate {
  platform: Platform;
  ownerId: string;
  credentialId: string;
  kind: CredentialKind;
}

interface ChunkDoc {
  /** `<tenant>|<campaign>|<platform>|<chunk>`: read and written by `_id` only (the one filter FerretDB pushes down). */
  _id: string;
  candidates: RotationCandidate[];
}

/**
 * A rotation campaign's candidates, in numbered chunks per platform (one per page the platform listed), so the
 * campaign's history carries counts and one chunk at a time, never the tenant's whole credential inventory.
 * A retried page rewrites the same chunk.
 */
export class RotationCandidateStore {
  private readonly chunks: Collection<ChunkDoc>;

  constructor(db: Db) {
    this.chunks = db.collection('rotation_candidates');
  }

  ensureIndexes(): Promise<void> {
    return Promise.resolve(); // _id only
  }

  async put(
    tenantId: string,
    campaignId: string,
    platform: Platform,
    chunk: number,
    candidates: RotationCandidate[],
  ): Promise<void> {
    await this.chunks.replaceOne({ _id: key(tenantId, campaignId, platform, chunk) }, { candidates }, { upsert: true });
  }

  async get(tenantId: string, campaignId: string, platform: Platform, chunk: number): Promise<RotationCandidate[]> {
    return (await this.chunks.findOne({ _id: key(tenantId, campaignId, platform, chunk) }))?.candidates ?? [];
  }
}

const key = (tenantId: string, campaignId: string, platform: Platform, chunk: number) =>
  `${tenantId}|${campaignId}|${platform}|${chunk}`;
