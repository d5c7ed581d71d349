import type { SecretRef } from '../../shared';
import type { SecretStore } from '../../activities/secret-store';

/** An in-memory SecretStore for adapter tests: it records what createCredential stored, by staging label. */
export class MemorySecretStore implements SecretStore {
  readonly name = 'memory';
  /** secretName → versionId → value and labels. */
  readonly versions = new Map<string, Map<string, { value: string; labels: Set<string> }>>();
  private readonly byIdempotencyKey = new Map<string, SecretRef>();

  putPending(secretName: string, value: string, idempotencyKey: string): Promise<SecretRef> {
    const seen = this.byIdempotencyKey.get(idempotencyKey);
    if (seen) return Promise.resolve(seen);
    const versions = this.versions.get(secretName) ?? new Map<string, { value: string; labels: Set<string> }>();
    this.versions.set(secretName, versions);
    const ref: SecretRef = { store: this.name, name: secretName, versionId: `v${versions.size + 1}` };
    versions.set(ref.versionId!, { value, labels: new Set(['pending']) });
    this.byIdempotencyKey.set(idempotencyKey, ref);
    return Promise.resolve(ref);
  }

  promote(ref: SecretRef): Promise<void> {
    for (const version of this.versions.get(ref.name)?.values() ?? []) {
      if (version.labels.delete('current')) version.labels.add('previous');
    }
    const version = this.version(ref);
    version.labels.delete('pending');
    version.labels.add('current');
    return Promise.resolve();
  }

  discardPending(ref: SecretRef): Promise<void> {
    this.versions.get(ref.name)?.delete(ref.versionId!);
    return Promise.resolve();
  }

  current(secretName: string): Promise<SecretRef | undefined> {
    const entry = [...(this.versions.get(secretName) ?? [])].find(([, v]) => v.labels.has('current'));
    return Promise.resolve(entry && { store: this.name, name: secretName, versionId: entry[0] });
  }

  reveal(ref: SecretRef): Promise<string> {
    return Promise.resolve(this.version(ref).value);
  }

  private version(ref: SecretRef) {
    const version = this.versions.get(ref.name)?.get(ref.versionId ?? '');
    if (!version) throw new Error(`no version ${ref.versionId} of ${ref.name}`);
    return version;
  }
}
