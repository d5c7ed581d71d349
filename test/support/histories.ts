import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

/**
 * With RECORD_HISTORIES=1, saves the run's history under test/histories/ for
 * test/replay.test.ts (`RECORD_HISTORIES=1 npx jest test/offboarding.test.ts`).
 * Recorded without the payload codec so the files are readable in review.
 */
export async function saveHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  await writeFile(join(HISTORIES_DIR, `${name}.json`), historyToJSON(history));
}
