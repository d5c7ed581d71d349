import { Router } from 'express';
import type { AppDeps } from '../app';

const CHECK_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS).unref()),
  ]);
}

async function reachable(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await withTimeout(check());
    return true;
  } catch {
    return false;
  }
}

/** /healthz: the process is up. /readyz: Temporal and MongoDB answer; 503 names which one is down. */
export function healthRouter({ temporal, mongo }: Pick<AppDeps, 'temporal' | 'mongo'>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [temporalUp, mongoUp] = await Promise.all([
      reachable(() => temporal.connection.workflowService.getSystemInfo({})),
      reachable(() => mongo.db.command({ ping: 1 })),
    ]);
    const checks = { temporal: temporalUp ? 'up' : 'down', mongodb: mongoUp ? 'up' : 'down' };
    const down = Object.entries(checks)
      .filter(([, v]) => v === 'down')
      .map(([k]) => k);
    if (down.length === 0) return void res.json({ status: 'ready', checks });
    res
      .status(503)
      .set('Retry-After', '5')
      .type('application/problem+json')
      .json({
        type: 'https://identity-runbooks.dev/problems/not-ready',
        title: `Not ready: ${down.join(' and ')} unreachable`,
        status: 503,
        checks,
      });
  });
  return router;
}
