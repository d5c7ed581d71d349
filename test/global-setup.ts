/**
 * Starts the real servers the integration tests share, on free ports in
 * temporary folders: a Temporal dev server (official CLI, via
 * TestWorkflowEnvironment.createLocal) and FerretDB (SQLite backend).
 * Each test file then uses its own database name, workflow ids and task queues.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ferretDbArgs, freePort, startProcess, waitForPort, type Supervised } from '../scripts/processes';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes';
import { TOOLS_BIN } from './support/tools';

declare global {
  var __testServers: { temporal: TestWorkflowEnvironment; ferretdb?: Supervised } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const temporal = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: join(TOOLS_BIN, 'temporal') },
      searchAttributes: [...SEARCH_ATTRIBUTES],
      extraArgs: ['--log-level', 'error'],
    },
  });
  process.env.TEST_TEMPORAL_ADDRESS = temporal.address;

  let ferretdb: Supervised | undefined;
  if (process.env.TEST_MONGODB_URI) {
    // A real MongoDB chosen by the caller.
  } else {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'irb-ferretdb-'));
    ferretdb = startProcess('ferretdb', join(TOOLS_BIN, 'ferretdb'), ferretDbArgs({ port, dataDir }));
    await waitForPort(port, 'FerretDB');
    process.env.TEST_MONGODB_URI = `mongodb://127.0.0.1:${port}/`;
  }
  globalThis.__testServers = { temporal, ferretdb };
}
