/**
 * How the API names and finds runs. A run is a Temporal workflow execution
 * chain: workflow id `tenant/kind/subjectKey` (shared/workflow-ids.ts) plus
 * the chain's first run id, so a later run for the same subject is a
 * different run. The public runId is an opaque, URL-safe token of the three.
 */
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { RUNBOOK_KINDS, type RunbookKind } from '../shared/runs';
import { TENANT_ID } from '../shared/search-attributes';
import { runWorkflowId } from '../shared/workflow-ids';
import { notFound } from './problem';

export interface RunRef {
  kind: RunbookKind;
  subjectKey: string;
  firstRunId: string;
}

export function encodeRunId(ref: RunRef): string {
  return Buffer.from(`${ref.kind}|${ref.subjectKey}|${ref.firstRunId}`).toString('base64url');
}

export function decodeRunId(runId: string): RunRef | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(runId)) return undefined;
  const text = Buffer.from(runId, 'base64url').toString();
  const first = text.indexOf('|');
  const last = text.lastIndexOf('|');
  const kind = text.slice(0, first);
  if (first < 0 || last === first || !(RUNBOOK_KINDS as readonly string[]).includes(kind)) return undefined;
  return { kind: kind as RunbookKind, subjectKey: text.slice(first + 1, last), firstRunId: text.slice(last + 1) };
}

export interface FoundRun {
  ref: RunRef;
  workflowId: string;
  handle: WorkflowHandle;
  description: WorkflowExecutionDescription;
}

/** The chain a description belongs to. */
export function firstRunIdOf(description: WorkflowExecutionDescription): string {
  return description.raw.workflowExecutionInfo?.firstRunId || description.runId;
}

/**
 * The run of this tenant named by runId, or 404: a token naming another
 * tenant's run finds nothing. The handle is bound to the chain's current
 * execution, so signals, updates and queries reach the run the caller means
 * even when a newer run for the same subject exists.
 */
export async function findRun(temporal: Client, tenantId: string, runId: string): Promise<FoundRun> {
  const ref = decodeRunId(runId);
  if (!ref) throw notFound('run');
  const workflowId = runWorkflowId(tenantId, ref.kind, ref.subjectKey);
  try {
    let description = await temporal.workflow.getHandle(workflowId).describe();
    if (firstRunIdOf(description) !== ref.firstRunId) description = await temporal.workflow.getHandle(workflowId, ref.firstRunId).describe();
    if (description.typedSearchAttributes.get(TENANT_ID) !== tenantId) throw notFound('run');
    const handle = temporal.workflow.getHandle(workflowId, description.runId, { firstExecutionRunId: ref.firstRunId });
    return { ref, workflowId, handle, description };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 3 /* INVALID_ARGUMENT: malformed run id */) throw notFound('run');
    throw err;
  }
}

/** Temporal's execution status in the API's words. */
export function executionStatus(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}
