import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { reviewDecisionsUpdate, reviewItemsQuery, reviewShareQuery } from '../../shared/messages';
import { REVIEWER_WORKFLOW } from '../../shared/workflow-types';
import { reviewerWorkflowId } from '../../shared/workflow-ids';
import type { TenantStore } from '../../store/tenants';
import { can, principalOf, requireTenant } from '../access';
import { operation } from '../openapi';
import { forbidden, notFound } from '../problem';
import { Id, PlatformSchema, TenantId } from '../schemas';
import { executeDecision } from '../updates';
import { LIST_LIMIT, workflowsWithStatus, within } from '../visibility';
import type { ReviewerOutcome } from '../../workflows/access-review-reviewer';
import { REVIEW_VERDICTS } from '../../shared/runs';

const ReviewParams = z.strictObject({ tenantId: TenantId, reviewId: Id('review id') });
const ReviewerProgressSchema = z.object({
  reviewerId: z.string(),
  total: z.number().int(),
  /** Decided by the reviewer. */
  decided: z.number().int(),
  /** Given the tenant's default decision at the deadline. */
  defaulted: z.number().int(),
  pending: z.number().int(),
  /** Items still pending after the deadline. */
  overdue: z.boolean(),
  /** The share is closed (all decided or defaulted). */
  done: z.boolean(),
  deadline: z.string().optional(),
});
const ItemsQuery = z.strictObject({ reviewer: z.union([z.literal('me'), Id('reviewer id')]).default('me') });
const Decisions = z.strictObject({
  decisions: z
    .array(
      z
        .strictObject({
          itemId: z.string().min(1).max(256),
          decision: z.enum(REVIEW_VERDICTS),
          comment: z.string().max(2000).optional(),
        })
        .refine((d) => d.decision !== 'revoke' || (d.comment?.trim().length ?? 0) > 0, {
          message: 'a revocation needs a comment',
          path: ['comment'],
        }),
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
  recommendation: z.enum(REVIEW_VERDICTS).optional(),
  recommendationReason: z.string().optional(),
  decision: z.enum(REVIEW_VERDICTS).optional(),
  comment: z.string().optional(),
  defaulted: z.boolean().optional(),
  previousStage: z
    .object({
      decision: z.enum(REVIEW_VERDICTS),
      comment: z.string().optional(),
      decidedBy: z.string().optional(),
      defaulted: z.boolean().optional(),
    })
    .optional(),
});

/** A missing reviewer workflow means nothing is assigned to that reviewer in that review. */
async function orNotAssigned<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound('review assignment');
    throw err;
  }
}

/**
 * Access review decisions. Each reviewer's items live in their own child
 * workflow (reviewerWorkflowId), so a reviewer reaches only their own items by
 * construction, and the workflow's update validator refuses anything else.
 */
export function reviewsRouter(
  { temporal, tenants }: { temporal: Client; tenants: TenantStore },
  registry: OpenAPIRegistry,
): Router {
  const router = Router();
  const tag = 'Reviews';
  const assignment = (tenantId: string, reviewId: string, reviewerId: string): WorkflowHandle =>
    temporal.workflow.getHandle(reviewerWorkflowId(tenantId, reviewId, reviewerId));
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/tenants/{tenantId}/reviews/{reviewId}/items',
      summary: 'Review items assigned to a reviewer (`me`, or anyone for admins and auditors)',
      tag,
      params: ReviewParams,
      query: ItemsQuery,
      guards: [requireTenant(tenants, 'reviews:decide', 'reviews:read-all')],
      responses: {
        200: {
          description: 'The reviewer’s items with decisions so far',
          schema: z.object({ items: z.array(ReviewItemSchema) }),
        },
      },
    },
    async (_req, res, { params: { tenantId, reviewId }, query: { reviewer } }) => {
      const principal = principalOf(res);
      const reviewerId = reviewer === 'me' ? principal.actor.id : reviewer;
      if (reviewerId !== principal.actor.id && !can(principal, tenantId, 'reviews:read-all'))
        throw forbidden('you can read only your own review items');
      const handle = assignment(tenantId, reviewId, reviewerId);
      res.json({ items: await orNotAssigned(() => handle.query(reviewItemsQuery)) });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/tenants/{tenantId}/reviews/{reviewId}/decisions',
      summary: 'Decide one or many of your review items: approve, or revoke with a comment',
      tag,
      params: ReviewParams,
      body: Decisions,
      guards: [requireTenant(tenants, 'reviews:decide')],
      responses: {
        200: { description: 'Recorded', schema: z.object({ recorded: z.number(), remaining: z.number() }) },
      },
    },
    async (_req, res, { params, body: { decisions } }) => {
      const reviewer = principalOf(res).actor;
      const handle = assignment(params.tenantId, params.reviewId, reviewer.id);
      res.locals.auditRunId = handle.workflowId;
      res.locals.auditDetail = { decisions };
      await orNotAssigned(() => handle.describe());
      res.json(
        await executeDecision(() => handle.executeUpdate(reviewDecisionsUpdate, { args: [{ reviewer, decisions }] })),
      );
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/tenants/{tenantId}/reviews/{reviewId}/reviewers',
      summary: 'A campaign’s progress per reviewer: decided, defaulted, pending, overdue (open shares first)',
      tag,
      params: ReviewParams,
      guards: [requireTenant(tenants, 'reviews:read-all')],
      responses: {
        200: {
          description: `Up to ${LIST_LIMIT} open and ${LIST_LIMIT} closed shares`,
          schema: z.object({ items: z.array(ReviewerProgressSchema) }),
        },
      },
    },
    async (_req, res, { params: { tenantId, reviewId } }) => {
      const prefix = reviewerWorkflowId(tenantId, reviewId, '');
      const query = `WorkflowType = '${REVIEWER_WORKFLOW}' AND WorkflowId STARTS_WITH '${prefix}'`;
      const [open, closed] = await Promise.all([
        workflowsWithStatus(temporal, query),
        workflowsWithStatus(temporal, query, 'Completed'),
      ]);
      const now = Date.now();
      const openShares = await Promise.all(
        open.map(async (w) => {
          const share = await within(temporal, () => temporal.workflow.getHandle(w.workflowId).query(reviewShareQuery));
          if (!share) return [];
          return [
            {
              reviewerId: w.workflowId.slice(prefix.length),
              total: share.total,
              decided: share.total - share.remaining,
              defaulted: 0,
              pending: share.remaining,
              overdue: share.remaining > 0 && Date.parse(share.deadline) < now,
              done: share.remaining === 0,
              deadline: share.deadline,
            },
          ];
        }),
      );
      const seen = new Set(open.map((w) => w.workflowId));
      const closedShares = await Promise.all(
        closed
          .filter((w) => !seen.has(w.workflowId) && seen.add(w.workflowId))
          .map(async (w) => {
            const outcome = await within(
              temporal,
              () => temporal.workflow.getHandle(w.workflowId, w.runId).result() as Promise<ReviewerOutcome>,
            );
            if (!outcome) return [];
            const total = outcome.decidedByReviewer + outcome.defaulted;
            const { decidedByReviewer: decided, defaulted } = outcome;
            return [
              {
                reviewerId: w.workflowId.slice(prefix.length),
                total,
                decided,
                defaulted,
                pending: 0,
                overdue: false,
                done: true,
              },
            ];
          }),
      );
      res.json({ items: [...openShares.flat(), ...closedShares.flat()] });
    },
  );
  return router;
}
