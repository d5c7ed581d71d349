/**
 * The servers a benchmark needs, started the same way the test suite starts
 * them (test/global-setup.ts: Temporal dev server and FerretDB on free ports),
 * and a place to write results.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import globalSetup from '../../test/global-setup';
import globalTeardown from '../../test/global-teardown';

export async function withServers<T>(run: () => Promise<T>): Promise<T> {
  await globalSetup();
  try {
    return await run();
  } finally {
    await globalTeardown();
  }
}

export function writeResult(name: string, result: Record<string, unknown>): string {
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ measuredAt: new Date().toISOString(), ...result }, null, 2)}\n`);
  return file;
}
