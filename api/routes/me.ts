import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { progressQuery, reviewShareQuery } from '../../shared/messages';
import { RUNBOOK_KINDS, type PendingApproval, type ReviewShareProgress, type RunbookKind } from '../../shared/runs';
import { REVIEWER_WORKFLOW, WORKFLOW_TYPE } from '../../shared/workflow-types';
import { PRODUCT_TENANT, type RunbookStore } from '../../store/runbooks';
import type { RunProgressStore } from '../../store/run-progress';
import type { TenantStore } from '../../store/tenants';
import { isGlobalAdmin, principalOf, requireTenant, ROLE_PERMISSIONS, rolesOn } from '../access';
import { operation } from '../openapi';
import { runIdOf } from '../runs';
import { workflowsWithStatus, within } from '../visibility';
import { PlatformSchema, RoleSchema, TenantParams } from '../schemas';
import { APPROVER_ROLES } from '../../shared/runs';

const MeSchema = z.object({
  actor: z.object({ id: z.string(), kind: z.string() }),
  tenants: z.array(z.object({ tenantId: z.string(), roles: z.array(RoleSchema), permissions: z.array(z.string()) })),
});
const ShareSchema = z.object({
  reviewId: z.string(),
  reviewerId: z.string(),
  total: z.number(),
  remaining: z.number(),
  decidedByReviewer: z.number(),
  deadline: z.string(),
});
const PendingApprovalSchema = z.object({
  runId: z.string(),
  kind: z.string(),
  subjectId: z.string(),
  startedAt: z.string(),
  stepId: z.string().optional(),
  platform: PlatformSchema,
  action: z.string(),
  entitlementId: z.string().optional(),
  requestedBy: z.object({ id: z.string(), kind: z.string() }),
  justification: z.string().optional(),
  durationMinutes: z.number().optional(),
  approverRole: z.enum(APPROVER_ROLES),
});

const RunbookChoiceSchema = z.object({
  runbookId: z.string(),
  version: z.number(),
  name: z.string().optional(),
  source: z.enum(['tenant', 'product']),
  steps: z.array(z.object({ id: z.string(), platform: PlatformSchema, action: z.string() })),
});

/**
 * What waits for the caller: who they are and what they may do per tenant, their open
 * review shares, the approvals they could decide. The console is built on these.
 */
export function meRouter(
  {
    temporal,
    tenants,
    runbooks,
    runProgress,
  }: { temporal: Client; tenants: TenantStore; runbooks: RunbookStore; runProgress: RunProgressStore },
  registry: OpenAPIRegistry,
): Router {
  const router = Router();
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/tenants/{tenantId}/runbook-choices',
      summary:
        'The runbooks a new run of a kind can use (the tenant’s and the product’s), and which one it uses by default',
      tag: 'Runbooks',
      params: TenantParams,
      query: z.strictObject({ kind: z.enum(RUNBOOK_KINDS) }),
      guards: [requireTenant(tenants, 'runbooks:read')],
      responses: {
        200: {
          description: 'Choices, the default first',
          schema: z.object({ defaultRunbookId: z.string().optional(), items: z.array(RunbookChoiceSchema) }),
        },
      },
    },
    async (_req, res, { params: { tenantId }, query: { kind } }) => {
      const [own, product, fallback] = await Promise.all([
        runbooks.list(tenantId, kind),
        runbooks.list(PRODUCT_TENANT, kind),
        runbooks.resolve(tenantId, kind),
      ]);
      const choice = (source: 'tenant' | 'product') => (r: (typeof own)[number]) => ({
        runbookId: r.runbookId,
        version: r.version,
        name: r.name,
        source,
        steps: r.steps.map((s) => ({ id: s.id, platform: s.platform, action: s.action })),
      });
      const items = [
        ...own.map(choice('tenant')),
        ...product.filter((p) => !own.some((o) => o.runbookId === p.runbookId)).map(choice('product')),
      ];
      const defaultRunbookId = fallback?.runbookId;
      items.sort((a, b) => Number(b.runbookId === defaultRunbookId) - Number(a.runbookId === defaultRunbookId));
      res.json({ defaultRunbookId, items });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/me',
      summary: 'The caller: who they are and, per tenant, their roles and permissions',
      tag: 'Me',
      responses: { 200: { description: 'The caller', schema: MeSchema } },
    },
    async (_req, res) => {
      const principal = principalOf(res);
      const named = principal.grants.map((g) => g.tenantId).filter((t) => t !== '*');
      const ids =
        isGlobalAdmin(principal) || principal.grants.some((g) => g.tenantId === '*')
          ? await tenants.ids()
          : [...new Set(named)].sort();
      const visible = await Promise.all(ids.map(async (id) => ((await tenants.get(id)) ? id : undefined)));
      res.json({
        actor: { id: principal.actor.id, kind: principal.actor.kind },
        tenants: visible
          .filter((id): id is string => id !== undefined)
          .map((tenantId) => {
            const roles = [...new Set(rolesOn(principal, tenantId))];
            return { tenantId, roles, permissions: [...new Set(roles.flatMap((r) => ROLE_PERMISSIONS[r]))].sort() };
          }),
      });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/tenants/{tenantId}/review-assignments',
      summary: 'Your open review shares in this tenant’s running access reviews',
      tag: 'Reviews',
      params: TenantParams,
      guards: [requireTenant(tenants, 'reviews:decide')],
      responses: { 200: { description: 'Open shares', schema: z.object({ items: z.array(ShareSchema) }) } },
    },
    async (_req, res, { params: { tenantId } }) => {
      const me = principalOf(res).actor.id;
      const prefix = `${tenantId}/access-review/`;
      const suffix = `/reviewer/${me}`;
      // The reviewer is the id's last segment: the visibility query narrows to the tenant's reviewer workflows.
      const open = (
        await workflowsWithStatus(
          temporal,
          `WorkflowType = '${REVIEWER_WORKFLOW}' AND WorkflowId STARTS_WITH '${prefix}'`,
        )
      ).filter((w) => w.workflowId.endsWith(suffix));
      const shares = await Promise.all(
        open.map((w) => within(temporal, () => temporal.workflow.getHandle(w.workflowId).query(reviewShareQuery))),
      );
      res.json({ items: shares.filter((s): s is ReviewShareProgress => s !== undefined && s.remaining > 0) });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/tenants/{tenantId}/approvals',
      summary: 'Requests waiting for an approver: onboarding privileged entitlements and privileged access',
      tag: 'Decisions',
      params: TenantParams,
      guards: [requireTenant(tenants, 'runs:approve')],
      responses: {
        200: { description: 'Pending approvals', schema: z.object({ items: z.array(PendingApprovalSchema) }) },
      },
    },
    async (_req, res, { params: { tenantId } }) => {
      const kinds: RunbookKind[] = ['onboarding', 'privileged-access'];
      const types = kinds.map((k) => `'${WORKFLOW_TYPE[k]}'`).join(', ');
      const open = await workflowsWithStatus(temporal, `TenantId = '${tenantId}' AND WorkflowType IN (${types})`);
      const pending = await Promise.all(
        open
          .filter((w) => w.workflowId.startsWith(`${tenantId}/`))
          .map(async (w) => {
            const progress =
              (await runProgress.current(w.workflowId, w.firstRunId, w.runId, false)) ??
              (await within(temporal, () => temporal.workflow.getHandle(w.workflowId).query(progressQuery)));
            if (!progress || progress.tenantId !== tenantId) return [];
            return (progress.pendingApprovals ?? []).map((a: PendingApproval) => ({
              runId: runIdOf(tenantId, w.workflowId, w.firstRunId),
              kind: progress.kind,
              subjectId: progress.subjectId,
              startedAt: w.startedAt,
              ...a,
              requestedBy: { id: a.requestedBy.id, kind: a.requestedBy.kind },
            }));
          }),
      );
      res.json({ items: pending.flat() });
    },
  );
  return router;
}
