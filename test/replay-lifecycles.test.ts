/**
 * Replays every saved history of the lifecycle workflows (test/histories/) against
 * today's workflow code: a change that would break a running workflow fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR, historyFromFile } from './support/histories';
import { bundleWorkflows } from './support/servers';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));

it('has histories of real runs to replay', () => {
  expect(files.length).toBeGreaterThan(0);
});

it('replays every saved history without nondeterminism', async () => {
  const histories = files.map((file) => ({
    workflowId: file.replace(/\.json$/, ''),
    history: historyFromFile(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8'))),
  }));
  const results = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: await bundleWorkflows() }, histories)) {
    results.push({ workflowId: result.workflowId, error: result.error?.message });
  }
  expect(results).toEqual(files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), error: undefined })));
});
