import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Tenant } from '../../shared/runbooks';
import type { Actor, RunbookKind } from '../../shared/runs';
import { RUNBOOK_KIND, SUBJECT_ID, TENANT_ID } from '../../shared/search-attributes';
import type { TaskQueues } from '../../shared/task-queues';
import { WORKFLOW_TYPE } from '../../shared/workflow-types';
import { runWorkflowId } from '../../shared/workflow-ids';
import { rotationSubjectKey } from '../../shared/rotation';
import { bodyHash, type IdempotencyStore, type StoredResponse } from '../../store/idempotency';
import type { RunbookStore } from '../../store/runbooks';
import type { TenantStore } from '../../store/tenants';
import { principalOf, requireTenant } from '../access';
import type { Metrics } from '../metrics';
import { operation } from '../openapi';
import { conflict, fieldProblem, problem } from '../problem';
import { startRunWorkflow, type RunRequest } from '../run-workflows';
import { firstRunIdOf, runIdOf } from '../runs';
import {
  CredentialKindSchema,
  EntitlementKindSchema,
  Id,
  IsoDate,
  PlatformSchema,
  SubjectSchema,
  TenantParams,
} from '../schemas';
import type { SecretVault } from '../../store/secrets';
import { ROTATION_MODES } from '../../shared/rotation';
import { OFFBOARDING_MODES } from '../../shared/runs';

const common = { runbookId: Id('runbook id').optional(), ticketRef: z.string().min(1).max(128).optional() };

const Offboarding = z.strictObject({
  ...common,
  subject: SubjectSchema,
  mode: z.enum(OFFBOARDING_MODES).default('standard'),
  leaveDate: IsoDate.optional(),
  newOwnerId: Id('new owner id').optional(),
  /** Why the person leaves, as the service desk wrote it (kept in the run's requested evidence). */
  reason: z.string().min(1).max(500).optional(),
});
const Onboarding = z.strictObject({
  ...common,
  subject: SubjectSchema,
  roleProfile: Id('role profile'),
  startDate: IsoDate.optional(),
});
const Rotation = z.strictObject({
  ...common,
  credential: z.strictObject({
    platform: PlatformSchema,
    ownerId: Id('owner id'),
    credentialId: z.string().min(1).max(256).optional(),
    kind: CredentialKindSchema,
  }),
  /** Overrides the platform's rotation mode, e.g. single-phase for consumers that hold one key. */
  mode: z.enum(ROTATION_MODES).optional(),
});
const ReviewScopeSchema = z.strictObject({
  accounts: z
    .enum(['people', 'service', 'all'])
    .optional()
    .openapi({ description: 'people, service accounts, or both (default)' }),
  privilegedOnly: z
    .boolean()
    .optional()
    .openapi({ description: 'only roles and the tenant policy’s privilegedEntitlements' }),
});
const AccessReview = z.strictObject({
  ...common,
  reviewId: Id('review id'),
  platforms: z.array(PlatformSchema).min(1).optional(),
  deadline: z.iso.datetime({ offset: true }),
  scope: ReviewScopeSchema.optional(),
});
const PrivilegedAccess = z.strictObject({
  ...common,
  subject: SubjectSchema,
  platform: PlatformSchema,
  entitlementId: z.string().min(1).max(512),
  entitlementKind: EntitlementKindSchema.optional(),
  durationMinutes: z.number().int().min(1),
  /** No decision within this many minutes = denied. */
  approvalTimeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .optional(),
  justification: z.string().min(10).max(2000),
});

/** What a run is about: the subject the workflow id is derived from, and the person it is indexed under. */
interface RunSubject {
  subjectKey: string;
  subjectId: string;
}

interface StartKind<K extends RunbookKind, S extends z.ZodObject> {
  kind: K;
  path: string;
  summary: string;
  body: S;
  subject(body: z.infer<S>): RunSubject;
  /** Checks against the tenant's policy that a schema cannot express. */
  check?(body: z.infer<S>, tenant: Tenant, now: Date): void;
  /** The run creates secrets: it starts only where the tenant's secret store can keep them. */
  storesSecrets?: true;
  /** What the kind's workflow is started with (RunWorkflows): the body must make its request, checked by tsc. */
  request(body: z.infer<S>, tenantId: string, requestedBy: Actor): RunRequest<K>;
}

/** A body field the workflow's request does not name would be accepted and then ignored: tsc names it here. */
type UnreadFields<K extends RunbookKind, S extends z.ZodObject> = Exclude<keyof z.infer<S>, keyof RunRequest<K>>;
type ReadByWorkflow<K extends RunbookKind, S extends z.ZodObject> = [UnreadFields<K, S>] extends [never]
  ? unknown
  : { bodyFieldsTheWorkflowDoesNotRead: UnreadFields<K, S> };

/** The workflow's request is the body as given, with the tenant and who asked. */
const asGiven = <B extends object>(body: B, tenantId: string, requestedBy: Actor) => ({
  ...body,
  tenantId,
  requestedBy,
});

/**
 * A start kind that declares its own operation: `declare` sees the spec with its kind's
 * and body schema's types, so the handler is typed per kind (a list of specs alone would
 * only know the union).
 */
type DeclaredStart = (declare: <K extends RunbookKind, S extends z.ZodObject>(spec: StartKind<K, S>) => void) => void;
const startKind =
  <K extends RunbookKind, S extends z.ZodObject>(spec: StartKind<K, S> & ReadByWorkflow<K, S>): DeclaredStart =>
  (declare) =>
    declare(spec);

/** Joiners and leavers: one run per person. */
const personSubject = (b: { subject: { subjectId: string } }): RunSubject => ({
  subjectKey: b.subject.subjectId,
  subjectId: b.subject.subjectId,
});

const START_KINDS: readonly DeclaredStart[] = [
  startKind({
    kind: 'offboarding',
    path: 'offboardings',
    summary: 'Offboard a leaver everywhere; joins the open offboarding of the same subject',
    body: Offboarding,
    subject: personSubject,
    request: asGiven,
  }),
  startKind({
    kind: 'onboarding',
    path: 'onboardings',
    summary: 'Onboard a joiner from a role profile',
    body: Onboarding,
    subject: personSubject,
    request: asGiven,
  }),
  startKind({
    kind: 'credential-rotation',
    path: 'rotations',
    summary: 'Rotate one non-human credential',
    body: Rotation,
    storesSecrets: true,
    subject: (b) => ({
      subjectKey: rotationSubjectKey(b.credential),
      subjectId: b.credential.ownerId,
    }),
    request: asGiven,
  }),
  startKind({
    kind: 'access-review',
    path: 'access-reviews',
    summary: 'Start an access review campaign',
    body: AccessReview,
    subject: (b) => ({ subjectKey: b.reviewId, subjectId: b.reviewId }),
    check: (b, _tenant, now) => {
      if (Date.parse(b.deadline) <= now.getTime()) throw fieldProblem('body.deadline', 'must be in the future');
    },
    request: asGiven,
  }),
  startKind({
    kind: 'privileged-access',
    path: 'privileged-access',
    summary: 'Grant time-bound privileged access (after approval)',
    body: PrivilegedAccess,
    subject: (b) => ({
      subjectKey: `${b.subject.subjectId}:${b.platform}:${b.entitlementId}`,
      subjectId: b.subject.subjectId,
    }),
    check: (b, tenant) => {
      const max = tenant.policy.privilegedAccessMaxMinutes;
      if (b.durationMinutes > max)
        throw fieldProblem('body.durationMinutes', `must be at most ${max} (the tenant's policy)`);
    },
    request: asGiven,
  }),
];

export const StartedRun = z.object({
  runId: z.string(),
  kind: z.enum(Object.keys(WORKFLOW_TYPE) as [RunbookKind]),
  subjectId: z.string(),
  status: z.string(),
  joinedExisting: z.boolean(),
});
const IdempotencyKey = z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/, 'must be 8 to 128 letters, digits or _ . : -');

export interface RunStartDeps {
  temporal: Client;
  queues: TaskQueues;
  tenants: TenantStore;
  runbooks: RunbookStore;
  idempotency: IdempotencyStore;
  secrets: SecretVault;
  metrics: Metrics;
}

/** Starts the workflow, or finds the open one with the same id (the same subject is already being handled). */
async function startOrJoin<K extends RunbookKind>(
  deps: RunStartDeps,
  kind: K,
  tenantId: string,
  subject: RunSubject,
  request: RunRequest<K>,
  requestedBy: Actor,
) {
  const workflowId = runWorkflowId(tenantId, kind, subject.subjectKey);
  try {
    const handle = await startRunWorkflow(deps.temporal, kind, request, {
      workflowId,
      taskQueue: deps.queues.workflows,
      memo: { requestedBy },
      typedSearchAttributes: [
        { key: TENANT_ID, value: tenantId },
        { key: RUNBOOK_KIND, value: kind },
        { key: SUBJECT_ID, value: subject.subjectId },
      ],
    });
    deps.metrics.runStarted(kind);
    return { firstRunId: handle.firstExecutionRunId, joinedExisting: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const running = await deps.temporal.workflow.getHandle(workflowId).describe();
    return { firstRunId: firstRunIdOf(running), joinedExisting: true };
  }
}

/** A named runbook must exist for the tenant (or the product), be of the run's kind and not be archived. */
async function checkRunbook(
  runbooks: RunbookStore,
  tenantId: string,
  kind: RunbookKind,
  runbookId: string | undefined,
): Promise<void> {
  if (!runbookId) return;
  const runbook = await runbooks.resolve(tenantId, kind, runbookId);
  if (!runbook) throw fieldProblem('body.runbookId', 'no such runbook');
  if (runbook.kind !== kind) throw fieldProblem('body.runbookId', `is a runbook of kind ${runbook.kind}, not ${kind}`);
  if (runbook.archived) throw fieldProblem('body.runbookId', 'is archived');
}

function send(res: Response, stored: StoredResponse): void {
  if (stored.location) res.location(stored.location);
  res.status(stored.status).json(stored.body);
}

/**
 * Runs the start under the caller's Idempotency-Key, when given: the same key
 * and body replays the first answer, another body with that key is 409.
 */
async function withIdempotency(
  req: Request,
  res: Response,
  store: IdempotencyStore,
  work: () => Promise<StoredResponse>,
): Promise<void> {
  const given = req.get('idempotency-key');
  if (given === undefined) return send(res, await work());
  const parsed = IdempotencyKey.safeParse(given);
  if (!parsed.success) throw fieldProblem('headers.idempotency-key', parsed.error.issues[0]!.message);
  const key = `${principalOf(res).credentialId}|${parsed.data}`;
  const reservation = await store.reserve(key, bodyHash({ path: req.originalUrl, body: req.body as unknown }));
  if (reservation.state === 'mismatch')
    throw conflict('idempotency-key-reused', 'This Idempotency-Key was used with a different request');
  if (reservation.state === 'in-progress')
    throw problem(
      409,
      'idempotency-key-in-progress',
      'A request with this Idempotency-Key is still being processed',
      {},
      { 'Retry-After': '1' },
    );
  if (reservation.state === 'replay') return void send(res.set('Idempotent-Replayed', 'true'), reservation.response);
  let stored: StoredResponse;
  try {
    stored = await work();
  } catch (err) {
    await store.release(key);
    throw err;
  }
  await store.complete(key, stored);
  send(res, stored);
}

/** POST /v1/tenants/{tenantId}/<kind>: 202 with the run's id and Location (200 when joining an open run). */
export function runStartsRouter(deps: RunStartDeps, registry: OpenAPIRegistry): Router {
  const router = Router();
  const start = <K extends RunbookKind, S extends z.ZodObject>(spec: StartKind<K, S>) =>
    operation(
      router,
      registry,
      {
        method: 'post',
        path: `/v1/tenants/{tenantId}/${spec.path}`,
        summary: spec.summary,
        tag: 'Runs',
        params: TenantParams,
        body: spec.body,
        guards: [requireTenant(deps.tenants, 'runs:start')],
        responses: {
          202: { description: 'Started; poll the Location', schema: StartedRun },
          200: { description: 'An open run for this subject already exists: that run', schema: StartedRun },
        },
      },
      async (req, res, { params: { tenantId }, body }) => {
        const tenant = (await deps.tenants.get(tenantId))!;
        spec.check?.(body, tenant, new Date());
        if (spec.storesSecrets && tenant.secretStore?.kind !== 'aws-secrets-manager' && !deps.secrets.durable) {
          throw problem(
            503,
            'secret-store-unavailable',
            'The tenant’s secrets go to the embedded store, which has no key (SECRET_STORE_KEYS): nothing is rotated whose secret could not be kept',
            {},
            { 'Retry-After': '60' },
          );
        }
        await checkRunbook(deps.runbooks, tenantId, spec.kind, body.runbookId as string | undefined);
        const subject = spec.subject(body);
        const requestedBy = principalOf(res).actor;
        res.locals.auditRunId = runWorkflowId(tenantId, spec.kind, subject.subjectKey);
        res.locals.auditSubjectId = subject.subjectId;
        await withIdempotency(req, res, deps.idempotency, async () => {
          const { firstRunId, joinedExisting } = await startOrJoin(
            deps,
            spec.kind,
            tenantId,
            subject,
            spec.request(body, tenantId, requestedBy),
            requestedBy,
          );
          const runId = runIdOf(tenantId, runWorkflowId(tenantId, spec.kind, subject.subjectKey), firstRunId);
          return {
            status: joinedExisting ? 200 : 202,
            location: `/v1/tenants/${tenantId}/runs/${runId}`,
            body: { runId, kind: spec.kind, subjectId: subject.subjectId, status: 'running', joinedExisting },
          };
        });
      },
    );
  for (const declared of START_KINDS) declared(start);
  return router;
}
