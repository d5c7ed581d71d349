import { randomUUID } from 'node:crypto';
import type { SecretRef } from '../../shared';
import type { SecretStore } from '../secret-store';

type Stage = 'pending' | 'current' | 'previous';

interface Version {
  versionId: string;
  value: string;
  idempotencyKey: string;
  stages: Set<Stage>;
}

/**
 * A process-local secret store with the same staging semantics as AWS Secrets
 * Manager (pending → current, old current → previous). The embedded default and
 * the reference platform use it; production tenants use a real store.
 */
export class InMemorySecretStore implements SecretStore {
  readonly name = 'in-memory';
  private readonly secrets = new Map<string, Version[]>();

  putPending(secretName: string, value: string, idempotencyKey: string): Promise<SecretRef> {
    const versions = this.secrets.get(secretName) ?? [];
    let version = versions.find((v) => v.idempotencyKey === idempotencyKey);
    if (!version) {
      versions.forEach((v) => v.stages.delete('pending'));
      version = { versionId: randomUUID(), value, idempotencyKey, stages: new Set(['pending']) };
      versions.push(version);
      this.secrets.set(secretName, versions);
    }
    return Promise.resolve(this.ref(secretName, version));
  }

  promote(ref: SecretRef): Promise<void> {
    const versions = this.versions(ref.name);
    const target = this.version(ref);
    if (target.stages.has('current')) return Promise.resolve();
    versions.forEach((v) => v.stages.delete('previous'));
    versions
      .filter((v) => v.stages.has('current'))
      .forEach((v) => (v.stages.delete('current'), v.stages.add('previous')));
    target.stages.delete('pending');
    target.stages.add('current');
    return Promise.resolve();
  }

  discardPending(ref: SecretRef): Promise<void> {
    this.versions(ref.name)
      .find((v) => v.versionId === ref.versionId)
      ?.stages.delete('pending');
    return Promise.resolve();
  }

  current(secretName: string): Promise<SecretRef | undefined> {
    const version = this.secrets.get(secretName)?.find((v) => v.stages.has('current'));
    return Promise.resolve(version && this.ref(secretName, version));
  }

  versionFor(secretName: string, idempotencyKey: string): Promise<SecretRef | undefined> {
    const version = this.secrets.get(secretName)?.find((v) => v.idempotencyKey === idempotencyKey);
    return Promise.resolve(version && this.ref(secretName, version));
  }

  reveal(ref: SecretRef): Promise<string> {
    return Promise.resolve(this.version(ref).value);
  }

  /** For tests and evidence: which stages a version holds. */
  stagesOf(ref: SecretRef): Stage[] {
    return [...this.version(ref).stages].sort();
  }

  private ref(secretName: string, version: Version): SecretRef {
    return { store: this.name, name: secretName, versionId: version.versionId };
  }

  private versions(secretName: string): Version[] {
    const versions = this.secrets.get(secretName);
    if (!versions) throw new Error(`secret ${secretName} does not exist`);
    return versions;
  }

  private version(ref: SecretRef): Version {
    const version = this.versions(ref.name).find((v) => v.versionId === ref.versionId);
    if (!version) throw new Error(`secret ${ref.name} has no version ${ref.versionId}`);
    return version;
  }
}

/** One in-memory store per tenant (embedded default, tests); tenants with a real store configure it instead. */
export function inMemorySecretStores(): (tenantId: string) => Promise<InMemorySecretStore> {
  const stores = new Map<string, InMemorySecretStore>();
  return (tenantId) => {
    if (!stores.has(tenantId)) stores.set(tenantId, new InMemorySecretStore());
    return Promise.resolve(stores.get(tenantId)!);
  };
}
