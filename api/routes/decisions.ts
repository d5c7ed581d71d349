import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import {
  approvalUpdate,
  blastRadiusGoAheadSignal,
  endAccessSignal,
  extendAccessUpdate,
  legalHoldSignal,
  manualRotationConfirmedSignal,
} from '../../shared/messages';
import { approvalRefusal } from '../../shared/approvals';
import type { Actor, RunbookKind } from '../../shared/runs';
import { SUBJECT_ID } from '../../shared/search-attributes';
import type { TenantStore } from '../../store/tenants';
import { principalOf, requireTenant, type Permission } from '../access';
import { operation } from '../openapi';
import { conflict, forbidden } from '../problem';
import { findRun, type FoundRun } from '../runs';
import { RunParams } from '../schemas';
import { executeDecision } from '../updates';

const Approval = z.strictObject({
  decision: z.enum(['approve', 'deny']),
  comment: z.string().max(2000).optional(),
  /** The gated step decided, when more than one waits. */
  stepId: z.string().min(1).max(64).optional(),
});
const Reason = z.strictObject({ reason: z.string().min(3).max(2000) });
const OptionalComment = z.strictObject({ comment: z.string().max(2000).optional() });
const Extension = z.strictObject({
  minutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60),
});

interface RunAction<B extends z.ZodType> {
  path: string;
  summary: string;
  body: B;
  /** Any of these permissions on the tenant. */
  permissions: Permission[];
  /** Only runs of these kinds take this action (409 otherwise). */
  kinds?: RunbookKind[];
  status: number;
  responseSchema?: z.ZodType;
  act(run: FoundRun, body: z.infer<B>, actor: Actor, tenantId: string): Promise<unknown>;
}

/** Human decisions. Updates where the caller must know the run accepted it; signals where the run applies it when it next looks. */
export function decisionsRouter(
  { temporal, tenants }: { temporal: Client; tenants: TenantStore },
  registry: OpenAPIRegistry,
): Router {
  const router = Router();
  const add = <B extends z.ZodType>(action: RunAction<B>) => {
    operation(
      router,
      registry,
      {
        method: 'post',
        path: `/v1/tenants/{tenantId}/runs/{runId}/${action.path}`,
        summary: action.summary,
        tag: 'Decisions',
        params: RunParams,
        body: action.body,
        guards: [requireTenant(tenants, ...action.permissions)],
        responses: {
          [action.status]: {
            description: action.status === 202 ? 'Sent to the run' : 'The run accepted it',
            schema: action.responseSchema,
          },
        },
      },
      async (_req, res, { params: { tenantId, runId }, body }) => {
        const run = await findRun(temporal, tenantId, runId);
        res.locals.auditRunId = run.workflowId;
        if (action.kinds && !action.kinds.includes(run.kind))
          throw conflict('wrong-run-kind', `Only ${action.kinds.join(' and ')} runs take this`);
        if (run.description.status.name !== 'RUNNING')
          throw conflict('run-closed', 'The run is no longer open for decisions');
        res.locals.auditDetail = body as Record<string, unknown>;
        const result = await action.act(run, body, principalOf(res).actor, tenantId);
        res.status(action.status).json(result ?? { runId, accepted: true });
      },
    );
  };

  add({
    path: 'approvals',
    summary: 'Approve or deny the run’s gated step (not your own request); the run validates and answers',
    body: Approval,
    permissions: ['runs:approve'],
    status: 200,
    responseSchema: z.object({ accepted: z.literal(true) }),
    act: async (run, { decision, comment, stepId }, approver) => {
      // What the API can see of the one approval rule (shared/approvals.ts); the run applies all of it, the step's role included.
      const requester = run.description.memo?.requestedBy as Actor | undefined;
      const refusal = approvalRefusal({
        approverId: approver.id,
        requesterId: requester?.id,
        subject: { subjectId: run.description.typedSearchAttributes?.get(SUBJECT_ID) ?? '' },
      });
      if (refusal) throw forbidden(refusal);
      return executeDecision(() =>
        run.handle.executeUpdate(approvalUpdate, {
          args: [{ approved: decision === 'approve', comment, stepId, approver }],
        }),
      );
    },
  });
  add({
    path: 'legal-hold',
    summary: 'Place a legal hold on an offboarding: its retention deletion does not happen',
    body: Reason,
    permissions: ['runs:legal-hold'],
    kinds: ['offboarding'],
    status: 202,
    act: (run, { reason }, placedBy) => run.handle.signal(legalHoldSignal, { placedBy, reason }),
  });
  add({
    path: 'go-ahead',
    summary: 'Let a batch paused by the blast-radius brake continue',
    body: OptionalComment,
    permissions: ['runs:approve'],
    status: 202,
    act: (run, { comment }, approvedBy) => run.handle.signal(blastRadiusGoAheadSignal, { approvedBy, comment }),
  });
  add({
    path: 'extend',
    summary: 'Extend a privileged access time-box (up to the tenant’s maximum)',
    body: Extension,
    permissions: ['runs:approve'],
    kinds: ['privileged-access'],
    status: 200,
    responseSchema: z.object({ expiresAt: z.string() }),
    act: (run, { minutes }, by) =>
      executeDecision(() => run.handle.executeUpdate(extendAccessUpdate, { args: [{ minutes, by }] })),
  });
  add({
    path: 'end',
    summary: 'End privileged access now: the entitlement is removed',
    body: OptionalComment,
    permissions: ['runs:cancel', 'runs:approve'],
    kinds: ['privileged-access'],
    status: 202,
    act: (run, { comment }, by) => run.handle.signal(endAccessSignal, { by, reason: comment }),
  });
  add({
    path: 'manual-rotation-confirmed',
    summary: 'Confirm that a credential with no rotation API was rotated by hand',
    body: OptionalComment,
    permissions: ['runs:start'],
    kinds: ['credential-rotation'],
    status: 202,
    act: (run, _body, by) => run.handle.signal(manualRotationConfirmedSignal, { by }),
  });
  return router;
}
