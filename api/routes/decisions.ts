import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { approvalUpdate, legalHoldSignal, reviewDecisionsUpdate, reviewItemsQuery } from '../../shared/messages';
import type { Actor } from '../../shared/runs';
import { reviewerWorkflowId } from '../../shared/workflow-ids';
import type { TenantStore } from '../../store/tenants';
import { can, principalOf, requireTenant } from '../access';
import { operation } from '../openapi';
import { conflict, forbidden, notFound, problem } from '../problem';
import { findRun } from '../runs';
import { Id, PlatformSchema, RunParams, TenantId } from '../schemas';
import { valid } from '../validate';

const ReviewParams = z.strictObject({ tenantId: TenantId, reviewId: Id('review id') });
const Approval = z.strictObject({ decision: z.enum(['approve', 'deny']), comment: z.string().max(2000).optional() });
const LegalHold = z.strictObject({ reason: z.string().min(3).max(2000) });
const ItemsQuery = z.strictObject({ reviewer: z.union([z.literal('me'), Id('reviewer id')]).default('me') });
const Decisions = z.strictObject({
  decisions: z
    .array(
      z
        .strictObject({ itemId: z.string().min(1).max(256), decision: z.enum(['approve', 'revoke']), comment: z.string().max(2000).optional() })
        .refine((d) => d.decision !== 'revoke' || (d.comment?.trim().length ?? 0) > 0, { message: 'a revocation needs a comment', path: ['comment'] }),
    )
    .min(1)
    .max(500),
});
const ReviewItemSchema = z.object({
  itemId: z.string(),
  reviewerId: z.string(),
  subjectId: z.string(),
  platform: PlatformSchema,
  entitlementId: z.string(),
  entitlementName: z.string().optional(),
  recommendation: z.enum(['approve', 'revoke']).optional(),
  recommendationReason: z.string().optional(),
  decision: z.enum(['approve', 'revoke']).optional(),
  comment: z.string().optional(),
});

/** The workflow refused the update (its validator or handler threw): the reason goes back to the caller. */
function rejected(err: WorkflowUpdateFailedError) {
  return problem(422, 'decision-rejected', 'The run did not accept this decision', { detail: err.cause?.message ?? err.message });
}

async function executeUpdate<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw rejected(err);
    if (err instanceof WorkflowNotFoundError) throw conflict('run-closed', 'The run is no longer open for decisions');
    throw err;
  }
}

/**
 * Human decisions. Approvals and review decisions are workflow updates: the
 * caller learns whether the run accepted them. A legal hold is a signal: the
 * run applies it whenever it next looks.
 */
export function decisionsRouter({ temporal, tenants }: { temporal: Client; tenants: TenantStore }, registry: OpenAPIRegistry): Router {
  const router = Router();
  operation(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/tenants/{tenantId}/runs/{runId}/approvals',
      summary: 'Approve or deny the run’s pending gated step (not your own request)',
      tag: 'Decisions',
      params: RunParams,
      body: Approval,
      guards: [requireTenant(tenants, 'runs:approve')],
      responses: { 200: { description: 'The run accepted the decision', schema: z.object({ accepted: z.literal(true) }) } },
    },
    async (req, res) => {
      const tenantId = String(req.params.tenantId);
      const run = await findRun(temporal, tenantId, String(req.params.runId));
      res.locals.auditRunId = run.workflowId;
      const { decision, comment } = valid<z.infer<typeof Approval>>(res).body;
      const approver = principalOf(res).actor;
      const requester = run.description.memo?.requestedBy as Actor | undefined;
      if (requester?.id === approver.id) throw forbidden('an approver cannot approve their own request');
      const { approvers } = (await tenants.get(tenantId))!.policy;
      if (approvers.length > 0 && !approvers.includes(approver.id)) throw forbidden('you are not one of this tenant’s approvers');
      res.locals.auditDetail = { decision, comment };
      res.json(await executeUpdate(() => run.handle.executeUpdate(approvalUpdate, { args: [{ approved: decision === 'approve', comment, approver }] })));
    },
  );
  operation(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/tenants/{tenantId}/runs/{runId}/legal-hold',
      summary: 'Place a legal hold on an offboarding: its retention deletion does not happen',
      tag: 'Decisions',
      params: RunParams,
      body: LegalHold,
      guards: [requireTenant(tenants, 'runs:legal-hold')],
      responses: { 202: { description: 'Hold sent to the run' } },
    },
    async (req, res) => {
      const run = await findRun(temporal, String(req.params.tenantId), String(req.params.runId));
      res.locals.auditRunId = run.workflowId;
      if (run.ref.kind !== 'offboarding') throw conflict('not-an-offboarding', 'Legal holds apply to offboardings only');
      if (run.description.status.name !== 'RUNNING') throw conflict('run-closed', 'The run has already finished');
      const { reason } = valid<z.infer<typeof LegalHold>>(res).body;
      res.locals.auditDetail = { reason };
      await run.handle.signal(legalHoldSignal, { placedBy: principalOf(res).actor, reason });
      res.status(202).json({ runId: String(req.params.runId), legalHold: 'requested' });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/tenants/{tenantId}/reviews/{reviewId}/items',
      summary: 'Review items assigned to a reviewer (`me`, or anyone for admins and auditors)',
      tag: 'Reviews',
      params: ReviewParams,
      query: ItemsQuery,
      guards: [requireTenant(tenants, 'reviews:decide', 'reviews:read-all')],
      responses: { 200: { description: 'The reviewer’s items with decisions so far', schema: z.object({ items: z.array(ReviewItemSchema) }) } },
    },
    async (req, res) => {
      const tenantId = String(req.params.tenantId);
      const principal = principalOf(res);
      const { reviewer } = valid<unknown, unknown, z.infer<typeof ItemsQuery>>(res).query;
      const reviewerId = reviewer === 'me' ? principal.actor.id : reviewer;
      if (reviewerId !== principal.actor.id && !can(principal, tenantId, 'reviews:read-all')) throw forbidden('you can read only your own review items');
      const handle = temporal.workflow.getHandle(reviewerWorkflowId(tenantId, String(req.params.reviewId), reviewerId));
      try {
        res.json({ items: await handle.query(reviewItemsQuery) });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound('review assignment');
        throw err;
      }
    },
  );
  operation(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/tenants/{tenantId}/reviews/{reviewId}/decisions',
      summary: 'Decide one or many of your review items: approve, or revoke with a comment',
      tag: 'Reviews',
      params: ReviewParams,
      body: Decisions,
      guards: [requireTenant(tenants, 'reviews:decide')],
      responses: { 200: { description: 'Recorded', schema: z.object({ recorded: z.number(), remaining: z.number() }) } },
    },
    async (req, res) => {
      const tenantId = String(req.params.tenantId);
      const reviewer = principalOf(res).actor;
      const workflowId = reviewerWorkflowId(tenantId, String(req.params.reviewId), reviewer.id);
      res.locals.auditRunId = workflowId;
      const { decisions } = valid<z.infer<typeof Decisions>>(res).body;
      res.locals.auditDetail = { decisions };
      const handle = temporal.workflow.getHandle(workflowId);
      try {
        await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound('review assignment');
        throw err;
      }
      res.json(await executeUpdate(() => handle.executeUpdate(reviewDecisionsUpdate, { args: [{ reviewer, decisions }] })));
    },
  );
  return router;
}
