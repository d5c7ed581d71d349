import type { Collection, Db } from 'mongodb';
import {
  DEFAULT_TENANT_POLICY,
  type PlatformConnection,
  type SecretStoreSetting,
  type Tenant,
  type TenantPolicy,
} from '../shared/runbooks';

export class TenantExistsError extends Error {}

/** Client organisations, their policy document and their platform connections (secret references only). */
export class TenantStore {
  private readonly tenants: Collection<Tenant>;

  constructor(db: Db) {
    this.tenants = db.collection<Tenant>('tenants');
  }

  async ensureIndexes(): Promise<void> {
    await this.tenants.createIndex({ tenantId: 1 }, { unique: true, name: 'tenantId_unique' });
  }

  async create(
    input: {
      tenantId: string;
      name: string;
      policy?: Partial<TenantPolicy>;
      connections?: PlatformConnection[];
      secretStore?: SecretStoreSetting;
    },
    now = new Date(),
  ): Promise<Tenant> {
    const tenant: Tenant = {
      tenantId: input.tenantId,
      name: input.name,
      policy: { ...DEFAULT_TENANT_POLICY, ...input.policy },
      connections: input.connections ?? [],
      ...(input.secretStore ? { secretStore: input.secretStore } : {}),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    try {
      await this.tenants.insertOne({ ...tenant });
    } catch (err) {
      if ((err as { code?: number }).code === 11000) throw new TenantExistsError(`tenant ${input.tenantId} exists`);
      throw err;
    }
    return tenant;
  }

  /** Tenant ids in order, at most `limit` (a global admin's console lists them). */
  async ids(limit = 500): Promise<string[]> {
    const docs = await this.tenants
      .find({}, { projection: { _id: 0, tenantId: 1 } })
      .sort({ tenantId: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => d.tenantId);
  }

  get(tenantId: string): Promise<Tenant | null> {
    return this.tenants.findOne({ tenantId }, { projection: { _id: 0 } });
  }

  /** Replaces the policy fields given and the connections of the platforms given. */
  async update(
    tenantId: string,
    change: {
      name?: string;
      policy?: Partial<TenantPolicy>;
      connections?: PlatformConnection[];
      secretStore?: SecretStoreSetting;
    },
    now = new Date(),
  ): Promise<Tenant | null> {
    const current = await this.get(tenantId);
    if (!current) return null;
    const replaced = new Set((change.connections ?? []).map((c) => c.platform));
    const next: Tenant = {
      ...current,
      name: change.name ?? current.name,
      policy: { ...current.policy, ...change.policy },
      connections: [...current.connections.filter((c) => !replaced.has(c.platform)), ...(change.connections ?? [])],
      ...((change.secretStore ?? current.secretStore)
        ? { secretStore: change.secretStore ?? current.secretStore }
        : {}),
      updatedAt: now.toISOString(),
    };
    await this.tenants.replaceOne({ tenantId }, next);
    return next;
  }

  async connection(
    tenantId: string,
    platform: PlatformConnection['platform'],
  ): Promise<PlatformConnection | undefined> {
    const tenant = await this.get(tenantId);
    return tenant?.connections.find((c) => c.platform === platform);
  }
}
