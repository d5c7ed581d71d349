import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { RUNBOOK_KINDS } from '../../shared/runs';
import { runbookDraftSchema, type RunbookProblem } from '../../store/runbook-schema';
import {
  InvalidRunbookError,
  PRODUCT_TENANT,
  RunbookNotFoundError,
  RunbookVersionConflictError,
  type RunbookStore,
} from '../../store/runbooks';
import type { TenantStore } from '../../store/tenants';
import { principalOf, requireTenant } from '../access';
import { operation } from '../openapi';
import { conflict, fieldProblem, notFound, problem } from '../problem';
import { Id, TenantId, TenantParams } from '../schemas';

const RunbookParams = z.strictObject({ tenantId: TenantId, runbookId: Id('runbook id') });
const CreateRunbook = runbookDraftSchema.extend({ runbookId: Id('runbook id') });
const ListQuery = z.strictObject({ kind: z.enum(RUNBOOK_KINDS).optional() });
const VersionQuery = z.strictObject({ version: z.coerce.number().int().min(1).optional() });
const RunbookSchema = runbookDraftSchema.extend({
  tenantId: z.string(),
  runbookId: z.string(),
  version: z.number(),
  archived: z.boolean().optional(),
  createdAt: z.string(),
  createdBy: z.string(),
});

/** Every problem of a runbook, shape and meaning together, as field errors under `body`. */
function invalidRunbook(problems: RunbookProblem[]) {
  const errors = problems.map((p) => ({ path: p.path === '(root)' ? 'body' : `body.${p.path}`, message: p.message }));
  return problem(400, 'validation', 'The runbook is not valid', {
    detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
    errors,
  });
}

/** If-Match: "3" (or 3) — the version the caller edited, so a stale edit fails instead of overwriting. */
function expectedVersion(req: Request): number | undefined {
  const header = req.get('if-match');
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!match) throw fieldProblem('headers.if-match', 'must be the runbook version, e.g. "3"');
  return Number(match[1]);
}

async function storeCall<T>(call: () => Promise<T>, staleIsPrecondition: boolean): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof InvalidRunbookError) throw invalidRunbook(err.problems);
    if (err instanceof RunbookNotFoundError) throw notFound('runbook');
    if (err instanceof RunbookVersionConflictError) {
      throw staleIsPrecondition
        ? problem(412, 'version-mismatch', 'The runbook changed since you read it', { detail: err.message })
        : conflict('runbook-exists', 'The runbook (or this version of it) exists', err.message);
    }
    throw err;
  }
}

/**
 * A tenant's runbooks. Every change is a new immutable version; a run keeps the
 * version it started with; DELETE archives (hidden from new runs, kept for
 * audits). Product runbooks are readable by every tenant.
 */
export function runbooksRouter(
  { runbooks, tenants }: { runbooks: RunbookStore; tenants: TenantStore },
  registry: OpenAPIRegistry,
): Router {
  const router = Router();
  const tag = 'Runbooks';
  const path = '/v1/tenants/{tenantId}/runbooks';
  const read = requireTenant(tenants, 'runbooks:read');
  const write = requireTenant(tenants, 'runbooks:write');

  operation(
    router,
    registry,
    {
      method: 'get',
      path,
      summary: 'The tenant’s live runbooks (latest versions)',
      tag,
      params: TenantParams,
      query: ListQuery,
      guards: [read],
      responses: { 200: { description: 'Runbooks', schema: z.object({ items: z.array(RunbookSchema) }) } },
    },
    async (_req, res, { params, query }) => {
      res.json({ items: await runbooks.list(params.tenantId, query.kind) });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'post',
      path,
      summary: 'Create a runbook (version 1); every problem is listed',
      tag,
      params: TenantParams,
      body: CreateRunbook,
      bodyValidatedByHandler: true,
      guards: [write],
      responses: { 201: { description: 'Created', schema: RunbookSchema } },
    },
    async (_req, res, { params: { tenantId }, body }) => {
      const { runbookId, ...draft } = (body ?? {}) as Record<string, unknown>;
      const id = Id('runbook id').safeParse(runbookId);
      if (!id.success) throw fieldProblem('body.runbookId', id.error.issues[0]!.message);
      const created = await storeCall(
        () => runbooks.create(tenantId, id.data, draft, principalOf(res).actor.id),
        false,
      );
      res
        .status(201)
        .location(`/v1/tenants/${tenantId}/runbooks/${id.data}`)
        .set('ETag', `"${created.version}"`)
        .json(created);
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: `${path}/{runbookId}`,
      summary: 'A runbook: the latest version, or ?version=n',
      tag,
      params: RunbookParams,
      query: VersionQuery,
      guards: [read],
      responses: { 200: { description: 'The runbook', schema: RunbookSchema } },
    },
    async (_req, res, { params: { tenantId, runbookId }, query: { version } }) => {
      const runbook =
        (await runbooks.get(tenantId, runbookId, version)) ?? (await runbooks.get(PRODUCT_TENANT, runbookId, version));
      if (!runbook) throw notFound('runbook');
      res.set('ETag', `"${runbook.version}"`).json(runbook);
    },
  );
  operation(
    router,
    registry,
    {
      method: 'put',
      path: `${path}/{runbookId}`,
      summary: 'Change a runbook: stores a new version (If-Match: the version you edited)',
      tag,
      params: RunbookParams,
      body: runbookDraftSchema,
      bodyValidatedByHandler: true,
      guards: [write],
      responses: { 200: { description: 'The new version', schema: RunbookSchema } },
    },
    async (req, res, { params: { tenantId, runbookId }, body }) => {
      const expected = expectedVersion(req);
      const updated = await storeCall(
        () => runbooks.update(tenantId, runbookId, body, principalOf(res).actor.id, expected),
        expected !== undefined,
      );
      res.locals.auditDetail = { runbookId, version: updated.version };
      res.set('ETag', `"${updated.version}"`).json(updated);
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: `${path}/{runbookId}/versions`,
      summary: 'Every version, newest first',
      tag,
      params: RunbookParams,
      guards: [read],
      responses: { 200: { description: 'Versions', schema: z.object({ items: z.array(RunbookSchema) }) } },
    },
    async (_req, res, { params: { tenantId, runbookId } }) => {
      const items = await runbooks.versions(tenantId, runbookId);
      if (items.length === 0) throw notFound('runbook');
      res.json({ items });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'delete',
      path: `${path}/{runbookId}`,
      summary: 'Archive a runbook: no new runs; runs in flight keep their version',
      tag,
      params: RunbookParams,
      guards: [write],
      responses: { 204: { description: 'Archived' } },
    },
    async (_req, res, { params: { tenantId, runbookId } }) => {
      if (!(await runbooks.archive(tenantId, runbookId))) throw notFound('runbook');
      res.locals.auditDetail = { runbookId };
      res.status(204).end();
    },
  );
  return router;
}
