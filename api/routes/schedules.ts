import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptionsAction,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { Actor } from '../../shared/runs';
import { RUNBOOK_KIND, SUBJECT_ID, TENANT_ID } from '../../shared/search-attributes';
import type { TaskQueues } from '../../shared/task-queues';
import { SCHEDULED_ACCESS_REVIEW_WORKFLOW } from '../../scheduling/tenant-schedules';
import { ROTATION_CAMPAIGN_WORKFLOW } from '../../shared/workflow-types';
import { runWorkflowId } from '../../shared/workflow-ids';
import type { TenantStore } from '../../store/tenants';
import type { rotationCampaign } from '../../workflows/rotation-campaign';
import type { scheduledAccessReview } from '../../workflows/scheduled-access-review';
import { principalOf, requireTenant } from '../access';
import { operation } from '../openapi';
import { conflict, fieldProblem, notFound } from '../problem';
import { Id, TenantId, TenantParams } from '../schemas';

const SCHEDULE_KINDS = ['rotation-campaign', 'access-review'] as const;
type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/** One cron field: a star, numbers or names, ranges, lists and steps (every 15 minutes, `1-5`, `MON,WED`). */
const CRON_FIELD = String.raw`(\*|[0-9A-Za-z]{1,3}(-[0-9A-Za-z]{1,3})?)(\/[1-9][0-9]{0,2})?`;
/** Five-field cron (minute hour day month weekday), as Temporal schedules read it; Temporal checks the values too (400). */
const Cron = z
  .string()
  .max(200)
  .regex(
    new RegExp(`^${CRON_FIELD}(,${CRON_FIELD})*( +${CRON_FIELD}(,${CRON_FIELD})*){4}$`),
    'must be a five-field cron expression, e.g. "0 6 1 */3 *"',
  );
/** A Temporal duration: "90d", "12h", "30m" (never zero). */
const Every = z.string().regex(/^[1-9]\d{0,4} ?(d|h|m)$/, 'must be a duration such as "90d", "12h" or "30m"');
const RotationCampaign = z
  .strictObject({
    maxAgeDays: z.number().int().min(1).max(3650).optional(),
    createdBefore: z.iso.datetime({ offset: true }).optional().openapi({
      description:
        'Rotate every active credential created before this instant, whatever its age (after an incident); instead of maxAgeDays',
    }),
    concurrency: z.number().int().min(1).max(100).optional(),
  })
  .refine((c) => c.maxAgeDays === undefined || c.createdBefore === undefined, {
    message: 'give maxAgeDays or createdBefore, not both',
    path: ['createdBefore'],
  })
  // A future cutoff would rotate every credential on every run.
  .refine((c) => c.createdBefore === undefined || Date.parse(c.createdBefore) <= Date.now(), {
    message: 'must not be in the future',
    path: ['createdBefore'],
  });

const When = { cron: Cron.optional(), every: Every.optional() };
const oneTrigger = (v: { cron?: string; every?: string }) => !(v.cron && v.every);
const CreateSchedule = z
  .strictObject({
    scheduleId: Id('schedule id'),
    kind: z.enum(SCHEDULE_KINDS),
    ...When,
    paused: z.boolean().default(false),
    note: z.string().max(500).optional(),
    /** Rotation campaigns only; a review takes its duration and platforms from the tenant's policy. */
    campaign: RotationCampaign.optional(),
  })
  .refine((v) => Boolean(v.cron ?? v.every), { message: 'give cron or every', path: ['cron'] })
  .refine(oneTrigger, { message: 'give cron or every, not both', path: ['every'] })
  .refine((v) => v.kind === 'rotation-campaign' || v.campaign === undefined, {
    message: 'an access review takes its settings from the tenant policy',
    path: ['campaign'],
  });
const UpdateSchedule = z
  .strictObject({ ...When, paused: z.boolean().optional(), note: z.string().max(500).optional() })
  .refine(oneTrigger, { message: 'give cron or every, not both', path: ['every'] })
  .refine((change) => Object.keys(change).length > 0, { message: 'give at least one of cron, every, paused, note' });
const ScheduleParams = z.strictObject({ tenantId: TenantId, scheduleId: Id('schedule id') });
const ScheduleView = z.object({
  scheduleId: z.string(),
  kind: z.enum(SCHEDULE_KINDS),
  paused: z.boolean(),
  note: z.string().optional(),
  spec: z.object({
    calendars: z.array(z.record(z.string(), z.unknown())).optional(),
    intervals: z.array(z.object({ every: z.number() })).optional(),
  }),
  nextActionTimes: z.array(z.string()),
  recentActions: z.array(z.object({ scheduledAt: z.string(), workflowId: z.string() })),
});

const RUNBOOK_KIND_OF = { 'rotation-campaign': 'credential-rotation', 'access-review': 'access-review' } as const;

const CATCHUP_WINDOW: Record<ScheduleKind, string> = { 'rotation-campaign': '1 day', 'access-review': '7 days' };

/** Temporal schedule ids are global: the tenant is part of the id (the same form as the tenant's default schedules). */
const temporalScheduleId = (tenantId: string, scheduleId: string) => `${tenantId}/schedule/${scheduleId}`;

/**
 * Temporal refuses a calendar it cannot read: the server with INVALID_ARGUMENT, the SDK with a
 * TypeError naming the out-of-range fields ("Hour Start is not in range [0-23]"). Either is the
 * caller's field, a 400, not a 500.
 */
async function withCalendarChecked<T>(when: { cron?: string; every?: string }, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err as { code?: unknown; cause?: { code?: unknown } };
    const path = when.cron ? 'body.cron' : 'body.every';
    if (err instanceof TypeError && (when.cron || when.every))
      throw fieldProblem(path, `Temporal cannot read this calendar: ${err.message.slice(0, 300)}`);
    if (e.code === 3 || e.cause?.code === 3) throw fieldProblem(path, 'Temporal cannot read this calendar');
    throw err;
  }
}

function specOf(when: { cron?: string; every?: string }): ScheduleSpec {
  return when.cron ? { cronExpressions: [when.cron] } : { intervals: [{ every: when.every! as `${number}d` }] };
}

/** What every kind of firing starts with: where, under which id, with which memo and attributes. */
type Firing = Omit<ScheduleOptionsAction, 'type' | 'workflowType' | 'args'>;

/**
 * What a firing starts, its arguments typed by the workflow it starts. Schedule
 * arguments are fixed, so a review starts the scheduledAccessReview wrapper, which
 * names the review after its quarter and sets the deadline from the tenant's policy.
 */
function firingAction(
  kind: ScheduleKind,
  request: { tenantId: string; requestedBy: Actor },
  campaign: z.infer<typeof RotationCampaign> | undefined,
  firing: Firing,
): ScheduleOptionsAction {
  if (kind === 'rotation-campaign') {
    const start: ScheduleOptionsStartWorkflowAction<typeof rotationCampaign> = {
      type: 'startWorkflow',
      workflowType: ROTATION_CAMPAIGN_WORKFLOW,
      ...firing,
      args: [{ ...request, ...campaign }],
    };
    return start;
  }
  const start: ScheduleOptionsStartWorkflowAction<typeof scheduledAccessReview> = {
    type: 'startWorkflow',
    workflowType: SCHEDULED_ACCESS_REVIEW_WORKFLOW,
    ...firing,
    args: [request],
  };
  return start;
}

function view(scheduleId: string, d: ScheduleDescription) {
  const kind = d.typedSearchAttributes?.get(RUNBOOK_KIND) === 'access-review' ? 'access-review' : 'rotation-campaign';
  return {
    scheduleId,
    kind,
    paused: d.state.paused,
    note: d.state.note || undefined,
    spec: {
      calendars: d.spec.calendars as Record<string, unknown>[] | undefined,
      intervals: d.spec.intervals?.map((i) => ({ every: Number(i.every) })),
    },
    nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentActions: d.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
    })),
  };
}

/** Rotation campaigns and access reviews on a calendar: Temporal Schedules per tenant. */
export function schedulesRouter(
  { temporal, tenants, queues }: { temporal: Client; tenants: TenantStore; queues: TaskQueues },
  registry: OpenAPIRegistry,
): Router {
  const router = Router();
  const tag = 'Schedules';
  const handleOf = async (tenantId: string, scheduleId: string) => {
    const handle = temporal.schedule.getHandle(temporalScheduleId(tenantId, scheduleId));
    try {
      const description = await handle.describe();
      if (description.typedSearchAttributes?.get(TENANT_ID) !== tenantId) throw notFound('schedule');
      return { handle, description };
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw notFound('schedule');
      throw err;
    }
  };

  operation(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/tenants/{tenantId}/schedules',
      summary: 'Schedule a rotation campaign or an access review (cron or interval)',
      tag,
      params: TenantParams,
      body: CreateSchedule,
      guards: [requireTenant(tenants, 'schedules:write')],
      responses: { 201: { description: 'Created', schema: ScheduleView } },
    },
    async (_req, res, { params: { tenantId }, body }) => {
      const kind = RUNBOOK_KIND_OF[body.kind];
      const id = temporalScheduleId(tenantId, body.scheduleId);
      const attributes = [
        { key: TENANT_ID, value: tenantId },
        { key: RUNBOOK_KIND, value: kind },
        { key: SUBJECT_ID, value: body.scheduleId },
      ];
      res.locals.auditRunId = id;
      const requestedBy: Actor = {
        id: body.scheduleId,
        kind: 'schedule',
        displayName: `schedule created by ${principalOf(res).actor.id}`,
      };
      try {
        const handle = await withCalendarChecked(body, () =>
          temporal.schedule.create({
            scheduleId: id,
            spec: specOf(body),
            action: firingAction(body.kind, { tenantId, requestedBy }, body.campaign, {
              workflowId: runWorkflowId(tenantId, kind, body.scheduleId),
              taskQueue: queues.workflows,
              memo: { requestedBy },
              typedSearchAttributes: attributes,
            }),
            typedSearchAttributes: attributes,
            // A campaign still running (e.g. paused at the blast-radius brake) is not started twice; a firing missed during an outage is caught up once.
            policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW[body.kind] },
            state: { paused: body.paused, note: body.note },
          }),
        );
        res
          .status(201)
          .location(`/v1/tenants/${tenantId}/schedules/${body.scheduleId}`)
          .json(view(body.scheduleId, await handle.describe()));
      } catch (err) {
        if (err instanceof ScheduleAlreadyRunning) throw conflict('schedule-exists', 'A schedule with this id exists');
        throw err;
      }
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/tenants/{tenantId}/schedules',
      summary: 'The tenant’s schedules',
      tag,
      params: TenantParams,
      guards: [requireTenant(tenants, 'schedules:read')],
      responses: {
        200: {
          description: 'Schedules',
          schema: z.object({ items: z.array(z.object({ scheduleId: z.string(), paused: z.boolean() })) }),
        },
      },
    },
    async (_req, res, { params: { tenantId } }) => {
      const prefix = temporalScheduleId(tenantId, '');
      const items = [];
      for await (const summary of temporal.schedule.list({ query: `TenantId = '${tenantId}'` })) {
        if (summary.scheduleId.startsWith(prefix))
          items.push({ scheduleId: summary.scheduleId.slice(prefix.length), paused: summary.state.paused });
      }
      res.json({ items });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/tenants/{tenantId}/schedules/{scheduleId}',
      summary: 'A schedule: spec, state, next and recent runs',
      tag,
      params: ScheduleParams,
      guards: [requireTenant(tenants, 'schedules:read')],
      responses: { 200: { description: 'The schedule', schema: ScheduleView } },
    },
    async (_req, res, { params: { tenantId, scheduleId } }) => {
      const { description } = await handleOf(tenantId, scheduleId);
      res.json(view(scheduleId, description));
    },
  );
  operation(
    router,
    registry,
    {
      method: 'patch',
      path: '/v1/tenants/{tenantId}/schedules/{scheduleId}',
      summary: 'Change the calendar, pause or resume',
      tag,
      params: ScheduleParams,
      body: UpdateSchedule,
      guards: [requireTenant(tenants, 'schedules:write')],
      responses: { 200: { description: 'The updated schedule', schema: ScheduleView } },
    },
    async (_req, res, { params: { tenantId, scheduleId }, body: change }) => {
      const { handle } = await handleOf(tenantId, scheduleId);
      res.locals.auditRunId = handle.scheduleId;
      res.locals.auditDetail = change;
      // One update carries the calendar and the paused state together: a separate pause or unpause
      // could be overtaken by the update, which writes back the whole previous state.
      const by = principalOf(res).actor.id;
      await withCalendarChecked(change, () =>
        handle.update((previous) => ({
          ...previous,
          spec: change.cron || change.every ? specOf(change) : previous.spec,
          state: {
            paused: change.paused ?? previous.state.paused,
            note:
              change.note ??
              (change.paused === undefined ? previous.state.note : `${change.paused ? 'paused' : 'resumed'} by ${by}`),
            remainingActions: previous.state.remainingActions,
          },
        })),
      );
      res.json(view(scheduleId, await handle.describe()));
    },
  );
  operation(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/tenants/{tenantId}/schedules/{scheduleId}/trigger',
      summary: 'Start the campaign now, outside the calendar',
      tag,
      params: ScheduleParams,
      guards: [requireTenant(tenants, 'schedules:write')],
      responses: { 202: { description: 'Triggered' } },
    },
    async (_req, res, { params: { tenantId, scheduleId } }) => {
      const { handle } = await handleOf(tenantId, scheduleId);
      res.locals.auditRunId = handle.scheduleId;
      await handle.trigger();
      res.status(202).json({ scheduleId, triggered: true });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'delete',
      path: '/v1/tenants/{tenantId}/schedules/{scheduleId}',
      summary: 'Delete a schedule (runs it started go on)',
      tag,
      params: ScheduleParams,
      guards: [requireTenant(tenants, 'schedules:write')],
      responses: { 204: { description: 'Deleted' } },
    },
    async (_req, res, { params: { tenantId, scheduleId } }) => {
      const { handle } = await handleOf(tenantId, scheduleId);
      res.locals.auditRunId = handle.scheduleId;
      await handle.delete();
      res.status(204).end();
    },
  );
  return router;
}
