import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { TenantActivities } from '../activities/tenants';
import { DAY_MS, type Actor } from '../shared';
import { RUNBOOK_KIND, SUBJECT_ID, TENANT_ID } from '../shared/search-attributes';
import { accessReviewCampaign } from './access-review';
import { controlActivities } from './support/activity-proxies';

/**
 * What a tenant's review Schedule starts: a Schedule's arguments are fixed, so
 * this names the review after the quarter it starts in and sets its deadline from
 * the tenant's reviewDurationDays, then runs the campaign as a child.
 */
export async function scheduledAccessReview(input: { tenantId: string; requestedBy: Actor }) {
  const policy = await controlActivities<TenantActivities>().loadTenantPolicy(input.tenantId);
  const start = new Date(workflowInfo().startTime);
  const reviewId = `${start.getUTCFullYear()}-Q${Math.floor(start.getUTCMonth() / 3) + 1}`;
  const deadline = new Date(start.getTime() + policy.reviewDurationDays * DAY_MS).toISOString();
  return executeChild(accessReviewCampaign, {
    workflowId: `${input.tenantId}/access-review/${reviewId}`,
    args: [{ tenantId: input.tenantId, requestedBy: input.requestedBy, reviewId, deadline }],
    // Children do not inherit search attributes: these make the campaign a run of the tenant in the API.
    typedSearchAttributes: [
      { key: TENANT_ID, value: input.tenantId },
      { key: RUNBOOK_KIND, value: 'access-review' },
      { key: SUBJECT_ID, value: reviewId },
    ],
  });
}
