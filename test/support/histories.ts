import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

const { History } = temporal.api.history.v1;

/**
 * With RECORD_HISTORIES=1, saves the run's history under test/histories/ for
 * test/replay.test.ts (`RECORD_HISTORIES=1 npx jest test/offboarding.test.ts`).
 * Recorded without the payload codec so the files are readable in review.
 * Stored as the proto's JSON object form (History.toObject), which loads back
 * exactly with History.fromObject (the SDK's historyToJSON trips over two
 * protobufjs copies under jest).
 */
export async function saveHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = History.fromObject(await handle.fetchHistory());
  const json = History.toObject(history, { longs: String, enums: String, bytes: String });
  await writeFile(join(HISTORIES_DIR, `${name}.json`), `${JSON.stringify(json, null, 1)}\n`);
}

export function loadHistory(file: string): temporal.api.history.v1.History {
  return History.fromObject(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')) as Record<string, unknown>);
}
