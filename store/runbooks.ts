import type { Collection, Db } from 'mongodb';
import type { Runbook } from '../shared/runbooks';
import type { RunbookKind } from '../shared/runs';
import { validateRunbook, type RunbookDraft, type RunbookProblem } from './runbook-schema';

/** Runbooks shipped with the product live under this reserved tenant; every tenant can run them. */
export const PRODUCT_TENANT = '_product';

export class InvalidRunbookError extends Error {
  constructor(readonly problems: RunbookProblem[]) {
    super(`invalid runbook: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
}
/** Another writer created the same version first (or the caller's expected version is stale). */
export class RunbookVersionConflictError extends Error {}
export class RunbookNotFoundError extends Error {}

export interface SeedRunbook extends RunbookDraft {
  runbookId: string;
  /** Bumped when the product ships a changed seed; each version is loaded once. */
  version: number;
  /** The product's default runbook for its kind. */
  productDefault?: boolean;
}

interface DefaultRunbook {
  tenantId: string;
  kind: RunbookKind;
  runbookId: string;
}

const isDuplicateKey = (err: unknown) => (err as { code?: number }).code === 11000;

/**
 * Per-tenant runbook definitions. Every change inserts a new immutable version
 * (unique tenant + runbook + version, so two concurrent writers cannot both make
 * version n); runs pin the version they started with; archiving hides a runbook
 * from new runs and keeps every version for the runs and audits that cite it.
 */
export class RunbookStore {
  private readonly runbooks: Collection<Runbook>;
  private readonly defaults: Collection<DefaultRunbook>;

  constructor(db: Db) {
    this.runbooks = db.collection<Runbook>('runbooks');
    this.defaults = db.collection<DefaultRunbook>('runbook_defaults');
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.runbooks.createIndex(
        { tenantId: 1, runbookId: 1, version: 1 },
        { unique: true, name: 'tenant_runbook_version_unique' },
      ),
      this.runbooks.createIndex(
        { tenantId: 1, kind: 1, runbookId: 1, version: -1 },
        { name: 'tenant_kind_runbook_version' },
      ),
      this.defaults.createIndex({ tenantId: 1, kind: 1 }, { unique: true, name: 'tenant_kind_unique' }),
    ]);
  }

  /** Version 1 of a new runbook; fails if the id is taken. */
  async create(
    tenantId: string,
    runbookId: string,
    input: unknown,
    createdBy: string,
    now = new Date(),
  ): Promise<Runbook> {
    const draft = validated(input);
    return this.insert({ ...draft, tenantId, runbookId, version: 1, createdAt: now.toISOString(), createdBy });
  }

  /** A new version on top of the latest; `expectedVersion` (If-Match) makes a stale edit fail instead of winning. */
  async update(
    tenantId: string,
    runbookId: string,
    input: unknown,
    createdBy: string,
    expectedVersion?: number,
    now = new Date(),
  ): Promise<Runbook> {
    const draft = validated(input);
    const latest = await this.get(tenantId, runbookId);
    if (!latest) throw new RunbookNotFoundError(`runbook ${runbookId} does not exist`);
    if (expectedVersion !== undefined && expectedVersion !== latest.version) {
      throw new RunbookVersionConflictError(
        `runbook ${runbookId} is at version ${latest.version}, not ${expectedVersion}`,
      );
    }
    if (draft.kind !== latest.kind)
      throw new InvalidRunbookError([{ path: 'kind', message: `cannot change kind of a ${latest.kind} runbook` }]);
    return this.insert({
      ...draft,
      tenantId,
      runbookId,
      version: latest.version + 1,
      createdAt: now.toISOString(),
      createdBy,
    });
  }

  /** The given version, or the latest. Archived runbooks are still readable (pinned runs, audits). */
  get(tenantId: string, runbookId: string, version?: number): Promise<Runbook | null> {
    const filter = version === undefined ? { tenantId, runbookId } : { tenantId, runbookId, version };
    return this.runbooks.findOne(filter, { projection: { _id: 0 }, sort: { version: -1 } });
  }

  /** Latest version of each live (not archived) runbook, by id. */
  async list(tenantId: string, kind?: RunbookKind): Promise<Runbook[]> {
    const all = await this.runbooks
      .find(kind ? { tenantId, kind } : { tenantId }, { projection: { _id: 0 } })
      .sort({ runbookId: 1, version: -1 })
      .toArray();
    return all.filter((r, i) => r.runbookId !== all[i - 1]?.runbookId && !r.archived);
  }

  /** Every version, newest first (the change history). */
  versions(tenantId: string, runbookId: string): Promise<Runbook[]> {
    return this.runbooks
      .find({ tenantId, runbookId }, { projection: { _id: 0 } })
      .sort({ version: -1 })
      .toArray();
  }

  /** Hides the runbook from new runs; versions stay. Returns false when it does not exist. */
  async archive(tenantId: string, runbookId: string): Promise<boolean> {
    const result = await this.runbooks.updateMany({ tenantId, runbookId }, { $set: { archived: true } });
    if (result.matchedCount > 0) await this.defaults.deleteOne({ tenantId, runbookId });
    return result.matchedCount > 0;
  }

  /** Makes a runbook (the tenant's own or a product one) the tenant's default for its kind. */
  async setDefault(tenantId: string, runbookId: string): Promise<void> {
    const runbook = (await this.get(tenantId, runbookId)) ?? (await this.get(PRODUCT_TENANT, runbookId));
    if (!runbook || runbook.archived) throw new RunbookNotFoundError(`runbook ${runbookId} does not exist`);
    await this.defaults.updateOne({ tenantId, kind: runbook.kind }, { $set: { runbookId } }, { upsert: true });
  }

  /**
   * The runbook a new run executes: the named one (the tenant's, else the
   * product's) or the tenant's default for the kind, else the product default.
   * A pinned version is returned as stored, archived or not.
   */
  async resolve(tenantId: string, kind: RunbookKind, runbookId?: string, version?: number): Promise<Runbook | null> {
    const id = runbookId ?? (await this.defaultId(tenantId, kind));
    if (!id) return null;
    return (await this.get(tenantId, id, version)) ?? (await this.get(PRODUCT_TENANT, id, version));
  }

  /** Loads the product's seed runbooks; idempotent (each seed version is inserted once). */
  async loadSeeds(seeds: readonly SeedRunbook[], now = new Date()): Promise<{ inserted: number }> {
    let inserted = 0;
    for (const { runbookId, version, productDefault, ...input } of seeds) {
      const draft = validated(input);
      const doc: Runbook = {
        ...draft,
        tenantId: PRODUCT_TENANT,
        runbookId,
        version,
        createdAt: now.toISOString(),
        createdBy: 'product',
      };
      const result = await this.runbooks.updateOne(
        { tenantId: PRODUCT_TENANT, runbookId, version },
        { $setOnInsert: doc },
        { upsert: true },
      );
      inserted += result.upsertedCount;
      if (productDefault) {
        await this.defaults.updateOne(
          { tenantId: PRODUCT_TENANT, kind: draft.kind },
          { $set: { runbookId } },
          { upsert: true },
        );
      }
    }
    return { inserted };
  }

  private async defaultId(tenantId: string, kind: RunbookKind): Promise<string | undefined> {
    const own = await this.defaults.findOne({ tenantId, kind });
    return own?.runbookId ?? (await this.defaults.findOne({ tenantId: PRODUCT_TENANT, kind }))?.runbookId;
  }

  private async insert(runbook: Runbook): Promise<Runbook> {
    try {
      await this.runbooks.insertOne({ ...runbook });
    } catch (err) {
      if (isDuplicateKey(err))
        throw new RunbookVersionConflictError(`runbook ${runbook.runbookId} version ${runbook.version} already exists`);
      throw err;
    }
    return runbook;
  }
}

function validated(input: unknown): RunbookDraft {
  const result = validateRunbook(input);
  if (!result.ok) throw new InvalidRunbookError(result.problems);
  return result.draft;
}
