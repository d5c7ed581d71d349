import { createHash } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { progressQuery } from '../../shared/messages';
import { decodeExecution, pendingActivityRetry } from '../temporal-internals';
import type { EvidenceRecord } from '../../shared/runbooks';
import { RUNBOOK_KINDS, type RunbookKind, type RunProgress, type StepProgress } from '../../shared/runs';
import { RUNBOOK_KIND, SUBJECT_ID } from '../../shared/search-attributes';
import { ROTATION_CAMPAIGN_WORKFLOW, WORKFLOW_TYPE } from '../../shared/workflow-types';
import type { EvidenceStore } from '../../store/evidence';
import type { RunProgressStore } from '../../store/run-progress';
import type { TenantStore } from '../../store/tenants';
import { requireTenant } from '../access';
import { operation } from '../openapi';
import { conflict, fieldProblem } from '../problem';
import { executionStatus, findRun, firstRunIdOf, runIdOf, type FoundRun } from '../runs';
import { Id, RunParams, TenantId } from '../schemas';

const EXECUTION_STATUSES = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
} as const;
const ListQuery = z.strictObject({
  kind: z.enum(RUNBOOK_KINDS).optional(),
  status: z.enum(Object.keys(EXECUTION_STATUSES) as [keyof typeof EXECUTION_STATUSES]).optional(),
  subject: Id('subject id').optional(),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,2048}\.[A-Za-z0-9_-]{22}$/, 'not a cursor from a previous page')
    .optional(),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
});
const RunSummary = z.object({
  runId: z.string(),
  kind: z.string(),
  subjectId: z.string(),
  status: z.string(),
  startedAt: z.string(),
  closedAt: z.string().optional(),
});
const StepSchema = z.object({
  stepId: z.string(),
  platform: z.string(),
  action: z.string(),
  status: z
    .string()
    .openapi({ description: '`retrying` while the platform action failed and Temporal will try again' }),
  attempts: z.number(),
  lastError: z.string().optional(),
  attempt: z
    .number()
    .optional()
    .openapi({ description: 'While retrying: the attempt now scheduled (of maximumAttempts)' }),
  maximumAttempts: z.number().optional(),
  nextAttemptAt: z.string().optional(),
  detail: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
const RunDetail = RunSummary.extend({
  requestedBy: z.object({ id: z.string(), kind: z.string() }).optional(),
  runbook: z.object({ id: z.string(), version: z.number() }).optional(),
  steps: z.array(StepSchema),
  needsHuman: z.array(z.string()),
  progressAvailable: z.boolean(),
});
const EvidenceRecordSchema = z.object({
  at: z.string(),
  event: z.string(),
  actor: z.object({ id: z.string(), kind: z.string() }),
  platform: z.string().optional(),
  action: z.string().optional(),
  outcome: z.string().optional(),
});

const QUERY_DEADLINE_MS = 3000;
/** Workflows whose result is their final RunProgress. */
const RESULT_IS_PROGRESS: ReadonlySet<RunbookKind> = new Set(['offboarding', 'onboarding']);

/** Visibility query for one tenant's lifecycle runs (values are schema-checked ids: no quoting issues). */
function visibilityQuery(tenantId: string, filter: z.infer<typeof ListQuery>): string {
  const types = [...Object.values(WORKFLOW_TYPE), ROTATION_CAMPAIGN_WORKFLOW].map((t) => `'${t}'`).join(', ');
  const clauses = [`TenantId = '${tenantId}'`, `WorkflowType IN (${types})`];
  if (filter.kind) clauses.push(`RunbookKind = '${filter.kind}'`);
  if (filter.status) clauses.push(`ExecutionStatus = '${EXECUTION_STATUSES[filter.status]}'`);
  if (filter.subject) clauses.push(`SubjectId = '${filter.subject}'`);
  return clauses.join(' AND ');
}

/**
 * A run's own progress report; absent when neither the store nor a worker in time has it (the run's state is still
 * shown). Read from the store's read model, which the workflow writes at the end of each task that changed it
 * (workflows/support/progress-publisher.ts): no worker involved. A finished offboarding or onboarding answers with
 * its result instead (authoritative, from its history); runs recorded before there was a read model, or whose
 * current execution has not written yet, fall back to asking the workflow.
 */
async function progressOf(
  temporal: Client,
  store: RunProgressStore,
  run: FoundRun,
  timings: Timings,
): Promise<RunProgress | undefined> {
  const finishedRunbookRun = run.description.status.name === 'COMPLETED' && RESULT_IS_PROGRESS.has(run.kind);
  if (!finishedRunbookRun) {
    const stored = await timings.measure('store', () =>
      store.current(
        run.workflowId,
        firstRunIdOf(run.description),
        run.description.runId,
        run.description.status.name !== 'RUNNING',
      ),
    );
    if (stored) return stored;
  }
  try {
    return await timings.measure(finishedRunbookRun ? 'result' : 'query', () =>
      temporal.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
        // A finished offboarding or onboarding returns its progress: read from its history, no worker needed (a
        // query would make a busy worker replay the whole run, and time out under load).
        finishedRunbookRun ? (run.handle.result() as Promise<RunProgress>) : run.handle.query(progressQuery),
      ),
    );
  } catch {
    return undefined;
  }
}

/** Where a read spends its time, for the Server-Timing header (names only: no data of the run). */
class Timings {
  private readonly entries: string[] = [];

  async measure<T>(name: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      this.entries.push(`${name};dur=${(performance.now() - started).toFixed(1)}`);
    }
  }

  get header(): string {
    return this.entries.join(', ');
  }
}

type StepView = StepProgress & { attempt?: number; maximumAttempts?: number; nextAttemptAt?: string };

/**
 * Steps as the service desk must see them while a platform misbehaves: a running step whose activity failed
 * and waits for its next attempt (Temporal's pending-activity info) is `retrying`, with the attempt, the last
 * error (decoded like every failure: it goes through the codec) and when the next attempt starts. Matched by
 * action among the running steps; when two running steps share the action the info cannot be placed, and
 * they stay `running`.
 */
async function withRetries(temporal: Client, run: FoundRun, steps: StepProgress[]): Promise<StepView[]> {
  const pending = (run.description.raw.pendingActivities ?? []).filter((a) => (a.attempt ?? 1) > 1 || a.lastFailure);
  if (pending.length === 0) return steps;
  const running = steps.filter((s) => s.status === 'running');
  const views: StepView[] = steps.map((s) => ({ ...s }));
  for (const activity of pending) {
    const action = activity.activityType?.name;
    const matches = running.filter((s) => s.action === action);
    if (matches.length !== 1) continue;
    const view = views.find((v) => v.stepId === matches[0]!.stepId)!;
    // nextAttemptAt is known while the activity waits out its retry interval (not once the attempt has started).
    const { lastError, nextAttemptAt } = await pendingActivityRetry(temporal, activity);
    Object.assign(view, {
      status: 'retrying',
      attempt: activity.attempt ?? undefined,
      maximumAttempts: activity.maximumAttempts || undefined,
      ...(lastError ? { lastError } : {}),
      ...(nextAttemptAt ? { nextAttemptAt: nextAttemptAt.toISOString() } : {}),
    });
  }
  return views;
}

function statusOf(run: FoundRun, progress: RunProgress | undefined): string {
  const execution = run.description.status.name;
  if (progress && (execution === 'RUNNING' || execution === 'COMPLETED')) return progress.status;
  return executionStatus(execution);
}

const CSV_COLUMNS = [
  'at',
  'event',
  'actorId',
  'actorKind',
  'subjectId',
  'platform',
  'action',
  'outcome',
  'detail',
] as const;

/** RFC 4180 quoting; a cell a spreadsheet would run as a formula is prefixed with '. */
function csvCell(value: unknown): string {
  let text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function evidenceCsv(records: EvidenceRecord[]): string {
  const rows = records.map((r) =>
    [r.at, r.event, r.actor.id, r.actor.kind, r.subjectId, r.platform, r.action, r.outcome, r.detail]
      .map(csvCell)
      .join(','),
  );
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

export interface RunsDeps {
  temporal: Client;
  tenants: TenantStore;
  evidence: EvidenceStore;
  runProgress: RunProgressStore;
}

/** Reading runs (visibility and progress), cancelling them, and their evidence. */
export function runsRouter({ temporal, tenants, evidence, runProgress }: RunsDeps, registry: OpenAPIRegistry): Router {
  const router = Router();
  const tag = 'Runs';
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/tenants/{tenantId}/runs',
      summary: 'List runs, newest first, by kind, execution status and subject (Temporal visibility)',
      tag,
      params: z.strictObject({ tenantId: TenantId }),
      query: ListQuery,
      guards: [requireTenant(tenants, 'runs:read')],
      responses: {
        200: {
          description: 'A page of runs; pass nextCursor as cursor for the next',
          schema: z.object({ items: z.array(RunSummary), nextCursor: z.string().optional() }),
        },
      },
    },
    async (_req, res, { params: { tenantId }, query: filter }) => {
      const query = visibilityQuery(tenantId, filter);
      const response = await temporal.workflowService.listWorkflowExecutions({
        namespace: temporal.options.namespace,
        query,
        pageSize: filter.pageSize,
        nextPageToken: filter.cursor ? pageTokenOf(filter.cursor, query) : undefined,
      });
      // Only ids under the tenant are addressable as its runs (runIdOf); anything else indexed under its TenantId is not a run.
      const executions = response.executions.filter((raw) => raw.execution?.workflowId?.startsWith(`${tenantId}/`));
      const items = await Promise.all(
        executions.map(async (raw) => {
          const info = await decodeExecution(temporal, raw);
          return {
            runId: runIdOf(tenantId, info.workflowId, raw.firstRunId || info.runId),
            kind: info.typedSearchAttributes.get(RUNBOOK_KIND) as RunbookKind,
            subjectId: info.typedSearchAttributes.get(SUBJECT_ID) ?? info.workflowId,
            status: executionStatus(info.status.name),
            startedAt: info.startTime.toISOString(),
            closedAt: info.closeTime?.toISOString(),
          };
        }),
      );
      const token = response.nextPageToken;
      res.json({ items, nextCursor: token && token.length > 0 ? cursorOf(token, query) : undefined });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/tenants/{tenantId}/runs/{runId}',
      summary: 'A run: status, steps per platform, and what needs a human',
      tag,
      params: RunParams,
      guards: [requireTenant(tenants, 'runs:read')],
      responses: { 200: { description: 'The run', schema: RunDetail } },
    },
    async (_req, res, { params: { tenantId, runId } }) => {
      // Where a slow read spends its time: the run's description (Temporal), its progress (the store, or the
      // workflow), its retries (Temporal).
      const timings = new Timings();
      const run = await timings.measure('describe', () => findRun(temporal, tenantId, runId));
      const progress = await progressOf(temporal, runProgress, run, timings);
      const steps = await timings.measure('retries', () => withRetries(temporal, run, progress?.steps ?? []));
      res.setHeader('Server-Timing', timings.header);
      res.json({
        runId,
        kind: run.kind,
        subjectId: run.subjectId,
        status: statusOf(run, progress),
        startedAt: run.description.startTime.toISOString(),
        closedAt: run.description.closeTime?.toISOString(),
        requestedBy: (run.description.memo?.requestedBy as { id: string; kind: string } | undefined) ?? undefined,
        runbook: progress?.runbook,
        steps,
        needsHuman: progress?.needsHuman ?? [],
        progressAvailable: progress !== undefined,
      });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/tenants/{tenantId}/runs/{runId}/cancel',
      summary: 'Request cancellation; the run compensates as its runbook says',
      tag,
      params: RunParams,
      guards: [requireTenant(tenants, 'runs:cancel')],
      responses: { 202: { description: 'Cancellation requested' } },
    },
    async (_req, res, { params: { tenantId, runId } }) => {
      const run = await findRun(temporal, tenantId, runId);
      res.locals.auditRunId = run.workflowId;
      if (run.description.status.name !== 'RUNNING')
        throw conflict(
          'run-closed',
          'The run has already finished',
          `status: ${executionStatus(run.description.status.name)}`,
        );
      await run.handle.cancel();
      res.status(202).json({ runId, status: 'cancel-requested' });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/tenants/{tenantId}/runs/{runId}/evidence',
      summary: 'The run’s audit evidence, as JSON or (Accept: text/csv) CSV',
      tag,
      params: RunParams,
      guards: [requireTenant(tenants, 'evidence:read')],
      responses: {
        200: {
          description: 'Evidence records in time order',
          schema: z.object({ runId: z.string(), records: z.array(EvidenceRecordSchema) }),
          alternatives: { 'text/csv': z.string() },
        },
      },
    },
    async (req, res, { params: { tenantId, runId } }) => {
      const run = await findRun(temporal, tenantId, runId);
      const records = await evidence.forRun(tenantId, run.workflowId);
      if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
        res
          .type('text/csv')
          .attachment(`evidence-${run.subjectId.replace(/[^\w.-]/g, '_')}.csv`)
          .send(evidenceCsv(records));
        return;
      }
      res.json({ runId, records });
    },
  );
  return router;
}

/**
 * A page cursor is Temporal's page token with a digest of the token and the listing's query
 * (tenant and filters): a cursor that was not made by this listing is refused at once (400),
 * never sent to Temporal's visibility store.
 */
function cursorOf(token: Uint8Array, query: string): string {
  return `${Buffer.from(token).toString('base64url')}.${cursorDigest(token, query)}`;
}

function pageTokenOf(cursor: string, query: string): Buffer {
  const [encoded, digest] = cursor.split('.') as [string, string];
  const token = Buffer.from(encoded, 'base64url');
  if (cursorDigest(token, query) !== digest)
    throw fieldProblem('query.cursor', 'not a cursor from a previous page of this listing');
  return token;
}

function cursorDigest(token: Uint8Array, query: string): string {
  return createHash('sha256').update(query).update('\n').update(token).digest('base64url').slice(0, 22);
}
