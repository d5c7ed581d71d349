import { ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { ROTATION_CAMPAIGN_WORKFLOW, type RunbookKind, type TaskQueues, type TenantPolicy } from '../shared';
import { RUNBOOK_KIND, TENANT_ID } from '../shared/search-attributes';

/** The registered name of the workflow a review Schedule starts (workflows/scheduled-access-review.ts). */
export const SCHEDULED_ACCESS_REVIEW_WORKFLOW = 'scheduledAccessReview';

export function tenantScheduleIds(tenantId: string) {
  return { rotation: `${tenantId}/schedule/credential-rotation`, review: `${tenantId}/schedule/access-review` };
}

const REVIEW_MONTHS: Record<TenantPolicy['reviewCadence'], number[]> = {
  quarterly: [1, 4, 7, 10],
  semiannual: [1, 7],
  annual: [1],
};

/** Daily rotation campaign at 02:00 UTC (jittered); a day missed while the service was down is caught up once. */
export function rotationSchedule(tenantId: string, queues: TaskQueues): ScheduleOptions {
  return tenantSchedule(tenantId, queues, {
    scheduleId: tenantScheduleIds(tenantId).rotation,
    kind: 'credential-rotation',
    workflowType: ROTATION_CAMPAIGN_WORKFLOW,
    workflowId: `${tenantId}/rotation-campaign`,
    spec: { calendars: [{ hour: 2, minute: 0 }], jitter: '30 minutes' },
    catchupWindow: '1 day',
  });
}

/** Access review on the tenant's cadence: the first day of each quarter (or half-year, or year), 06:00 UTC. */
export function reviewSchedule(
  tenantId: string,
  policy: Pick<TenantPolicy, 'reviewCadence'>,
  queues: TaskQueues,
): ScheduleOptions {
  return tenantSchedule(tenantId, queues, {
    scheduleId: tenantScheduleIds(tenantId).review,
    kind: 'access-review',
    workflowType: SCHEDULED_ACCESS_REVIEW_WORKFLOW,
    workflowId: `${tenantId}/scheduled-access-review`,
    spec: {
      calendars: [
        {
          month: REVIEW_MONTHS[policy.reviewCadence].map((m) => MONTH_NAMES[m - 1]!),
          dayOfMonth: 1,
          hour: 6,
          minute: 0,
        },
      ],
    },
    catchupWindow: '7 days',
  });
}

interface TenantScheduleShape {
  scheduleId: string;
  kind: RunbookKind;
  workflowType: string;
  workflowId: string;
  spec: ScheduleOptions['spec'];
  catchupWindow: string;
}

function tenantSchedule(tenantId: string, queues: TaskQueues, s: TenantScheduleShape): ScheduleOptions {
  // On the schedule and on each run it starts, so the tenant's schedules and runs APIs find them.
  const typedSearchAttributes = [
    { key: TENANT_ID, value: tenantId },
    { key: RUNBOOK_KIND, value: s.kind },
  ];
  return {
    scheduleId: s.scheduleId,
    spec: s.spec,
    action: {
      type: 'startWorkflow',
      workflowType: s.workflowType,
      workflowId: s.workflowId,
      taskQueue: queues.workflows,
      args: [{ tenantId, requestedBy: { id: s.scheduleId, kind: 'schedule' } }],
      typedSearchAttributes,
    },
    // A campaign still running (e.g. paused at the blast-radius brake) is not started twice.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: s.catchupWindow },
    typedSearchAttributes,
  };
}

const MONTH_NAMES = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
] as const;

/** Creates or updates both Schedules of a tenant (idempotent: safe on every tenant change). */
export async function ensureTenantSchedules(
  client: Client,
  tenantId: string,
  policy: Pick<TenantPolicy, 'reviewCadence'>,
  queues: TaskQueues,
): Promise<void> {
  for (const options of [rotationSchedule(tenantId, queues), reviewSchedule(tenantId, policy, queues)]) {
    const handle = client.schedule.getHandle(options.scheduleId);
    try {
      await handle.update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: options.policies,
      }));
    } catch (err) {
      if ((err as { name?: string }).name !== 'ScheduleNotFoundError') throw err;
      await client.schedule.create(options);
    }
  }
}
