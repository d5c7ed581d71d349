import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { selfTest } from '../../workflows/self-test';
import type { AppDeps } from '../app';
import { notFound } from '../problem';
import { validated } from '../validate';

const SelfTestParams = z.object({ id: z.string().regex(/^self-test-[0-9a-f-]{36}$/, 'not a self-test id') });

/** Starts the end-to-end self-test workflow and reports its result. */
export function selfTestsRouter({ temporal, queues }: Pick<AppDeps, 'temporal' | 'queues'>): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const workflowId = `self-test-${randomUUID()}`;
    await temporal.workflow.start<typeof selfTest>('selfTest', { taskQueue: queues.workflows, workflowId, args: [] });
    res.status(202).location(`${req.baseUrl}/${workflowId}`).json({ id: workflowId, status: 'running' });
  });
  router.get(
    '/:id',
    validated({ params: SelfTestParams }, async (_req, res, { params: { id } }) => {
      const handle = temporal.workflow.getHandle<typeof selfTest>(id);
      try {
        const { status } = await handle.describe();
        if (status.name !== 'COMPLETED') return void res.json({ id, status: status.name.toLowerCase() });
        res.json({ id, status: 'completed', result: await handle.result() });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound('self-test');
        throw err;
      }
    }),
  );
  return router;
}
