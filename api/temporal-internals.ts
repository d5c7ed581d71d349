/**
 * The Temporal SDK internals the API needs and the public client does not offer, in one module, so an SDK
 * upgrade has one place to check (each is covered by the run-listing and retry-visibility tests):
 * - a raw visibility page decoded as `workflow.list()` decodes it (the API pages with listWorkflowExecutions
 *   itself, to hand out cursors);
 * - a pending activity's last failure decoded through the payload codec, and its next attempt time.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import type { temporal as proto } from '@temporalio/proto';

type RawExecution = proto.api.workflow.v1.IWorkflowExecutionInfo;
type PendingActivity = proto.api.workflow.v1.IPendingActivityInfo;

/** One execution of a raw visibility page, with its search attributes and memo decoded. */
export function decodeExecution(temporal: Client, raw: RawExecution): Promise<WorkflowExecutionInfo> {
  return executionInfoFromRaw(raw, temporal.options.loadedDataConverter, raw, temporal.options.namespace);
}

/** A pending activity's last failure (decoded through the codec) and when its next attempt is scheduled. */
export async function pendingActivityRetry(
  temporal: Client,
  activity: PendingActivity,
): Promise<{ lastError?: string; nextAttemptAt?: Date }> {
  const failure = await decodeOptionalFailureToOptionalError(
    temporal.options.loadedDataConverter,
    activity.lastFailure,
  ).catch(() => undefined);
  const next = optionalTsToDate(activity.nextAttemptScheduleTime);
  return { lastError: failure?.message, nextAttemptAt: next && next.getTime() > 0 ? next : undefined };
}
