import type { Db } from 'mongodb';
import { EvidenceStore } from './evidence';
import { RunbookStore } from './runbooks';
import { TenantStore } from './tenants';

/** Every store of the product over one database. Each creates the indexes for the queries it makes. */
export function createStores(db: Db) {
  return { tenants: new TenantStore(db), evidence: new EvidenceStore(db), runbooks: new RunbookStore(db) };
}

export type Stores = ReturnType<typeof createStores>;

export async function ensureIndexes(stores: Stores): Promise<void> {
  await Promise.all(Object.values(stores).map((s) => s.ensureIndexes()));
}
