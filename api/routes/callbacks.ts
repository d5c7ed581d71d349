import { Router } from 'express';
import { z } from 'zod';
import { completeCallback } from '../../activities/http-callback';
import { CallbackStore } from '../../store/callbacks';
import type { AppDeps } from '../app';
import { notFound, problem, unauthorized } from '../problem';
import { validated } from '../validate';

const CallbackParams = z.object({ callbackId: z.string().regex(/^[A-Za-z0-9_-]{32}$/, 'not a callback id') });
const CallbackBody = z.discriminatedUnion('status', [
  z.object({ status: z.literal('completed'), result: z.record(z.string(), z.unknown()).optional() }),
  z.object({ status: z.literal('failed'), error: z.string().min(1).max(2000) }),
  z.object({ status: z.literal('in-progress'), progress: z.record(z.string(), z.unknown()).optional() }),
]);

const GONE = {
  expired: 'The step stopped waiting for this callback (timed out or already finished)',
  cancelled: 'The run no longer needs this callback (cancelled)',
};

/**
 * POST /v1/callbacks/{callbackId}: a customer system reports on a "call and wait" step
 * (completed with a result, failed with a reason, or in progress), authenticated with the
 * callback token it received (Authorization: Bearer), not the admin key: mount this router
 * ahead of the admin-key check.
 */
export function callbacksRouter({ temporal, mongo }: Pick<AppDeps, 'temporal' | 'mongo'>): Router {
  const store = new CallbackStore(mongo.db);
  const router = Router();
  router.post(
    '/:callbackId',
    validated({ params: CallbackParams, body: CallbackBody }, async (req, res, { params, body }) => {
      const token = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
      if (!token) throw unauthorized();
      const outcome = await completeCallback(temporal, store, params.callbackId, token, body);
      if (outcome === 'unknown') throw notFound('callback');
      if (outcome === 'expired' || outcome === 'cancelled') throw problem(410, `callback-${outcome}`, GONE[outcome]);
      res.json({ status: outcome });
    }),
  );
  return router;
}
