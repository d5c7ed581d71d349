import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/**
 * `PAYLOAD_ENCRYPTION_KEYS=k2:<base64>,k1:<base64>`: 32-byte AES keys by id, the
 * first one active for encryption, all of them accepted for decryption (so a
 * key can be rotated while histories written under the old one still replay).
 * Errors name the key id, never key material.
 */
export function parseEncryptionKeys(value: string): EncryptionKey[] {
  const keys = value.split(',').map((entry, i) => {
    const [id, material, ...rest] = entry.trim().split(':');
    if (!id || !material || rest.length) throw new Error(`entry ${i + 1} must be <key id>:<base64 key>`);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id))
      throw new Error(`key id "${id}" must be letters, digits, _ . or - (max 64)`);
    const key = Buffer.from(material, 'base64');
    if (key.length !== 32) throw new Error(`key "${id}" must be 32 bytes of base64 (got ${key.length})`);
    return { id, key };
  });
  const ids = keys.map((k) => k.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new Error(`key id "${duplicate}" appears twice`);
  return keys;
}

/**
 * AES-256-GCM over whole payloads (subject names and emails in workflow inputs,
 * activity arguments and results). The key id travels in the payload metadata
 * and is bound to the ciphertext as additional authenticated data.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly active: EncryptionKey;
  private readonly byId: Map<string, Buffer>;

  constructor(keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new Error('at least one payload encryption key is required');
    this.active = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  // async so a failure is a rejected promise, as the SDK expects.
  async encode(payloads: Payload[]): Promise<Payload[]> {
    await Promise.resolve();
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    await Promise.resolve();
    return payloads.map((payload) => (text(payload.metadata?.encoding) === ENCODING ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.active.key, iv);
    cipher.setAAD(Buffer.from(this.active.id));
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return { metadata: { encoding: Buffer.from(ENCODING), [KEY_ID]: Buffer.from(this.active.id) }, data };
  }

  private decrypt(payload: Payload): Payload {
    const id = text(payload.metadata?.[KEY_ID]);
    const key = id ? this.byId.get(id) : undefined;
    if (!id || !key) throw new Error(`payload encrypted with unknown key id "${id ?? ''}"`);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    return temporal.api.common.v1.Payload.decode(plain);
  }
}

function text(bytes: Uint8Array | null | undefined): string | undefined {
  return bytes ? Buffer.from(bytes).toString('utf8') : undefined;
}

/**
 * For clients and workers alike; both sides must use the same keys. Failure messages and
 * stack traces are encoded too (infra/failure-converter.ts). Decoding accepts a payload that
 * is not encrypted: histories recorded before encryption was turned on, and the server's
 * own payloads, must stay readable; everything this service writes is encrypted.
 */
export function encryptingDataConverter(keys: readonly EncryptionKey[]): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');
