import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import type { AppDeps } from '../../api/app';
import { SEED_RUNBOOKS } from '../../runbooks';
import type { TenantPolicy } from '../../shared';
import { admin, testApi, type TestApi } from './api';
import { buildConsole, launchChromium, removeDir, writeArtifact } from './browser';
import { startLifecycleWorkers, type LifecycleWorkers } from './lifecycle-workers';
import { bundleWorkflows } from './servers';

export interface ConsoleStack {
  api: TestApi;
  lc: LifecycleWorkers;
  app: TestApi['app'];
  /** Where the browser reaches the API and its console. */
  base: string;
  browser: Browser;
  bundleBytes: { js: number; css: number };
  /** A new API key (made as an admin would) for one role on the tenant. */
  keyFor(ownerId: string, role: 'reviewer' | 'approver' | 'service-desk' | 'admin', tenantId: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The console built from its sources, served by the real API on a port, the lifecycle workers
 * on the Temporal dev server and FerretDB, the reference platform, and Debian's Chromium.
 */
export async function startConsoleStack(
  name: string,
  opts: { tenantId: string; policy?: Partial<TenantPolicy>; app?: (base: string) => Partial<AppDeps> },
): Promise<ConsoleStack> {
  const built = buildConsole();
  const api = await testApi(name);
  await api.stores.runbooks.loadSeeds(SEED_RUNBOOKS);
  const lc = await startLifecycleWorkers({
    connection: api.temporal.nativeConnection,
    db: api.mongo.db,
    workflowBundle: await bundleWorkflows(),
  });
  // The port first: an OIDC client's redirect address names it.
  const holder: { app?: TestApi['app'] } = {};
  const { createServer } = await import('node:http');
  const server: Server = createServer((req, res) => {
    holder.app!(req, res);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const extra = opts.app?.(base) ?? {};
  const app = api.appWith({ queues: lc.queues, ...extra, console: { dir: built.dir, ...extra.console } });
  holder.app = app;
  await lc.createTenant(opts.tenantId, opts.policy ?? {});
  const browser = await launchChromium();
  return {
    api,
    lc,
    app,
    base,
    browser,
    bundleBytes: built.bytes,
    keyFor: async (ownerId, role, tenantId) =>
      (
        await request(app)
          .post('/v1/api-keys')
          .set(admin)
          .send({ name: ownerId, ownerId, grants: [{ role, tenantId }] })
          .expect(201)
      ).body.key as string,
    stop: async () => {
      await browser.close();
      server.close();
      await lc.stop();
      await api.close();
      removeDir(built.dir);
    },
  };
}

export { writeArtifact };
