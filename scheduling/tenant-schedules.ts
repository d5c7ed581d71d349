import { ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { ROTATION_CAMPAIGN_WORKFLOW, type TaskQueues, type TenantPolicy } from '../shared';
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
  const scheduleId = tenantScheduleIds(tenantId).rotation;
  return {
    scheduleId,
    spec: { calendars: [{ hour: 2, minute: 0 }], jitter: '30 minutes' },
    action: {
      type: 'startWorkflow',
      workflowType: ROTATION_CAMPAIGN_WORKFLOW,
      workflowId: `${tenantId}/rotation-campaign`,
      taskQueue: queues.workflows,
      args: [{ tenantId, requestedBy: { id: scheduleId, kind: 'schedule' } }],
      typedSearchAttributes: [
        { key: TENANT_ID, value: tenantId },
        { key: RUNBOOK_KIND, value: 'credential-rotation' },
      ],
    },
    // A campaign still running (e.g. paused at the blast-radius brake) is not started twice.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    // On the schedule itself too, so the tenant's schedules API finds and lists it.
    typedSearchAttributes: [
      { key: TENANT_ID, value: tenantId },
      { key: RUNBOOK_KIND, value: 'credential-rotation' },
    ],
  };
}

/** Access review on the tenant's cadence: the first day of each quarter (or half-year, or year), 06:00 UTC. */
export function reviewSchedule(tenantId: string, policy: Pick<TenantPolicy, 'reviewCadence'>, queues: TaskQueues): ScheduleOptions {
  const scheduleId = tenantScheduleIds(tenantId).review;
  return {
    scheduleId,
    spec: { calendars: [{ month: REVIEW_MONTHS[policy.reviewCadence].map((m) => MONTH_NAMES[m - 1]!), dayOfMonth: 1, hour: 6, minute: 0 }] },
    action: {
      type: 'startWorkflow',
      workflowType: SCHEDULED_ACCESS_REVIEW_WORKFLOW,
      workflowId: `${tenantId}/scheduled-access-review`,
      taskQueue: queues.workflows,
      args: [{ tenantId, requestedBy: { id: scheduleId, kind: 'schedule' } }],
      typedSearchAttributes: [
        { key: TENANT_ID, value: tenantId },
        { key: RUNBOOK_KIND, value: 'access-review' },
      ],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' },
    typedSearchAttributes: [
      { key: TENANT_ID, value: tenantId },
      { key: RUNBOOK_KIND, value: 'access-review' },
    ],
  };
}

const MONTH_NAMES = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const;

/** Creates or updates both Schedules of a tenant (idempotent: safe on every tenant change). */
export async function ensureTenantSchedules(client: Client, tenantId: string, policy: Pick<TenantPolicy, 'reviewCadence'>, queues: TaskQueues): Promise<void> {
  for (const options of [rotationSchedule(tenantId, queues), reviewSchedule(tenantId, policy, queues)]) {
    const handle = client.schedule.getHandle(options.scheduleId);
    try {
      await handle.update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: options.policies }));
    } catch (err) {
      if ((err as { name?: string }).name !== 'ScheduleNotFoundError') throw err;
      await client.schedule.create(options);
    }
  }
}
