import type { Client } from '@temporalio/client';

/**
 * Reads of Temporal's visibility and of workflows' queries for the screens that list what waits (the caller's
 * review shares and approvals, a campaign's reviewers): bounded, and a workflow that does not answer in time
 * is left out rather than holding up the page.
 */

/** At most this many workflows are listed per call: a person's queue or a campaign's page, not a report. */
export const LIST_LIMIT = 200;
const QUERY_DEADLINE_MS = 3_000;

/** Workflows in one execution status (running by default) matching a visibility query, newest first, up to LIST_LIMIT. */
export async function workflowsWithStatus(
  temporal: Client,
  query: string,
  status: 'Running' | 'Completed' = 'Running',
): Promise<{ workflowId: string; runId: string; firstRunId: string; startedAt: string }[]> {
  const found: { workflowId: string; runId: string; firstRunId: string; startedAt: string }[] = [];
  for await (const info of temporal.workflow.list({ query: `${query} AND ExecutionStatus = '${status}'` })) {
    found.push({
      workflowId: info.workflowId,
      runId: info.runId,
      firstRunId: info.raw.firstRunId || info.runId,
      startedAt: info.startTime.toISOString(),
    });
    if (found.length >= LIST_LIMIT) break;
  }
  return found;
}

export async function within<T>(temporal: Client, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await temporal.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, call);
  } catch {
    return undefined;
  }
}
