import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from './codec';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A secret value encrypted at rest: the key id it was sealed with and base64(iv | ciphertext | tag). */
export interface SealedSecret {
  keyId: string;
  data: string;
}

/**
 * AES-256-GCM for secrets at rest (`SECRET_STORE_KEYS`, the same `id:base64` list as
 * the payload codec: the first key seals, every key opens, so a master key is rotated
 * by prepending a new one and resealing). The additional data binds a ciphertext to
 * its tenant and name: a sealed value copied into another tenant's record does not open.
 */
export class SecretCipher {
  private readonly active: EncryptionKey;
  private readonly byId: Map<string, Buffer>;

  constructor(keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new Error('at least one secret store key is required');
    this.active = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  get activeKeyId(): string {
    return this.active.id;
  }

  seal(plain: string, context: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.active.key, iv);
    cipher.setAAD(Buffer.from(`${this.active.id}\n${context}`));
    const data = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { keyId: this.active.id, data: data.toString('base64') };
  }

  /** Throws (naming the key id, never material) when the key is unknown or the value was tampered with or moved. */
  open(sealed: SealedSecret, context: string): string {
    const key = this.byId.get(sealed.keyId);
    if (!key) throw new Error(`secret sealed with unknown key id "${sealed.keyId}"`);
    const data = Buffer.from(sealed.data, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(`${sealed.keyId}\n${context}`));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new Error('secret does not open: tampered with, or not sealed for this tenant and name');
    }
  }
}
