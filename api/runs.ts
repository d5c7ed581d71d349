/**
 * How the API names and finds runs. A run is a Temporal workflow execution
 * chain: a workflow id under the tenant (`tenant/kind/subjectKey` for runs the
 * API starts, shared/workflow-ids.ts; campaigns started by schedules have ids
 * of their own under the tenant) plus the chain's first run id, so a later run
 * for the same subject is a different run. The public runId is an opaque,
 * URL-safe token of the id below the tenant and the first run id; the tenant
 * always comes from the path, so a token cannot reach another tenant's runs.
 */
import {
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { RUNBOOK_KINDS, type RunbookKind } from '../shared/runs';
import { RUNBOOK_KIND, SUBJECT_ID, TENANT_ID } from '../shared/search-attributes';
import { notFound } from './problem';

/** The run's workflow id without the `tenant/` prefix, and its chain's first run id. */
export interface RunRef {
  idInTenant: string;
  firstRunId: string;
}

export function encodeRunId(ref: RunRef): string {
  return Buffer.from(`${ref.idInTenant}|${ref.firstRunId}`).toString('base64url');
}

export function decodeRunId(runId: string): RunRef | undefined {
  if (!/^[A-Za-z0-9_-]{1,600}$/.test(runId)) return undefined;
  const text = Buffer.from(runId, 'base64url').toString();
  const bar = text.lastIndexOf('|');
  if (bar <= 0 || bar === text.length - 1) return undefined;
  return { idInTenant: text.slice(0, bar), firstRunId: text.slice(bar + 1) };
}

/** The public runId of a workflow of this tenant. */
export function runIdOf(tenantId: string, workflowId: string, firstRunId: string): string {
  return encodeRunId({ idInTenant: workflowId.slice(tenantId.length + 1), firstRunId });
}

export interface FoundRun {
  kind: RunbookKind;
  subjectId: string;
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
 * tenant's run, or a workflow that is not a lifecycle run, finds nothing. The
 * handle is bound to the chain's current execution, so signals, updates and
 * queries reach the run the caller means even when a newer run for the same
 * subject exists.
 */
export async function findRun(temporal: Client, tenantId: string, runId: string): Promise<FoundRun> {
  const ref = decodeRunId(runId);
  if (!ref) throw notFound('run');
  const workflowId = `${tenantId}/${ref.idInTenant}`;
  try {
    let description = await temporal.workflow.getHandle(workflowId).describe();
    if (firstRunIdOf(description) !== ref.firstRunId)
      description = await temporal.workflow.getHandle(workflowId, ref.firstRunId).describe();
    const attributes = description.typedSearchAttributes;
    const kind = attributes.get(RUNBOOK_KIND) as RunbookKind | undefined;
    if (attributes.get(TENANT_ID) !== tenantId || !kind || !RUNBOOK_KINDS.includes(kind)) throw notFound('run');
    const handle = temporal.workflow.getHandle(workflowId, description.runId, { firstExecutionRunId: ref.firstRunId });
    return { kind, subjectId: attributes.get(SUBJECT_ID) ?? ref.idInTenant, workflowId, handle, description };
  } catch (err) {
    if (
      err instanceof WorkflowNotFoundError ||
      (err as { code?: number }).code === 3 /* INVALID_ARGUMENT: malformed run id */
    )
      throw notFound('run');
    throw err;
  }
}

/** Temporal's execution status in the API's words. */
export function executionStatus(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}
