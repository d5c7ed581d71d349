import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { CONNECTION_CHECK_STATUSES, connectionCheckAnswer, type ConnectionCheck } from '../../shared/connection-check';
import type { SameType } from '../../shared/same-type';
import { ensureTenantSchedules } from '../../scheduling/tenant-schedules';
import { CONNECTION_CHECK_WORKFLOW } from '../../shared/workflow-types';
import type { connectionCheck } from '../../workflows/connection-check';
import { tenantEnvPrefix } from '../../activities/connection-secrets';
import { outboundUrlProblem } from '../../shared/outbound-urls';
import type { PlatformConnection, SecretStoreSetting, Tenant } from '../../shared/runbooks';
import type { TaskQueues } from '../../shared/task-queues';
import { TenantExistsError, type TenantStore } from '../../store/tenants';
import { requireGlobalAdmin, requireTenant } from '../access';
import { operation } from '../openapi';
import { conflict, fieldProblems, notFound, problem } from '../problem';
import {
  PlatformConnectionSchema,
  PlatformSchema,
  SecretStoreSchema,
  TenantId,
  TenantParams,
  TenantPolicySchema,
} from '../schemas';

const CreateTenant = z.strictObject({
  tenantId: TenantId,
  name: z.string().min(1).max(200),
  policy: TenantPolicySchema.partial().optional(),
  connections: z.array(PlatformConnectionSchema).max(50).optional(),
  secretStore: SecretStoreSchema.optional(),
});
const ConnectionParams = z.strictObject({ tenantId: TenantId, platform: PlatformSchema });
const ConnectionCheckSchema = z.object({
  platform: PlatformSchema,
  status: z.enum(CONNECTION_CHECK_STATUSES),
  failure: z.string().optional().openapi({ description: 'The failure class, e.g. PlatformForbidden, NotConnected' }),
  detail: z.string(),
  checkedAt: z.string(),
});
export const CONNECTION_CHECK_SCHEMA_MATCHES: SameType<z.infer<typeof ConnectionCheckSchema>, ConnectionCheck> = true;
const UpdateTenant = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    policy: TenantPolicySchema.partial().optional(),
    /** Replaces the connection of each platform named. */
    connections: z.array(PlatformConnectionSchema).max(50).optional(),
    secretStore: SecretStoreSchema.optional(),
  })
  .refine((change) => Object.keys(change).length > 0, {
    message: 'give at least one of name, policy, connections, secretStore',
  });
const TenantSchema = z.object({
  tenantId: z.string(),
  name: z.string(),
  policy: TenantPolicySchema,
  connections: z.array(PlatformConnectionSchema),
  secretStore: SecretStoreSchema.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/**
 * What a tenant writes that its id decides: URLs the worker will call (https, never a
 * metadata, link-local or, outside development, internal address) and `env:` references
 * (only variables carrying the tenant's prefix). Every problem is reported at once.
 */
function tenantBoundProblems(
  tenantId: string,
  change: { connections?: PlatformConnection[]; secretStore?: SecretStoreSetting },
  allowInsecure: boolean,
) {
  const problems: { path: string; message: string }[] = [];
  const url = (path: string, value: string | undefined) => {
    const problem = value === undefined ? undefined : outboundUrlProblem(value, allowInsecure);
    if (problem) problems.push({ path, message: problem });
  };
  const refs = (path: string, credentials: Record<string, string> | undefined) => {
    for (const [key, ref] of Object.entries(credentials ?? {})) {
      if (ref.startsWith('env:') && !ref.slice(4).startsWith(tenantEnvPrefix(tenantId))) {
        problems.push({
          path: `${path}.${key}`,
          message: `an env: reference of this tenant must name a variable starting with ${tenantEnvPrefix(tenantId)}`,
        });
      }
    }
  };
  (change.connections ?? []).forEach((c, i) => {
    url(`body.connections.${i}.baseUrl`, c.baseUrl);
    (c.settings?.allowedOrigins ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean)
      .forEach((origin) => url(`body.connections.${i}.settings.allowedOrigins`, origin));
    refs(`body.connections.${i}.credentials`, c.credentials);
  });
  if (change.secretStore?.kind === 'aws-secrets-manager') {
    url('body.secretStore.baseUrl', change.secretStore.baseUrl);
    refs('body.secretStore.credentials', change.secretStore.credentials);
  }
  if (problems.length) throw fieldProblems(problems);
}

/**
 * Client organisations: created by a global admin, read and changed by the
 * tenant's admins. Creating or changing a tenant also creates or updates its
 * default Schedules (daily rotation campaign, access reviews on the policy's
 * cadence); a PATCH repairs them if Temporal was down at creation.
 */
export function tenantsRouter(
  {
    tenants,
    temporal,
    queues,
    allowInsecurePlatformUrls = false,
  }: { tenants: TenantStore; temporal: Client; queues: TaskQueues; allowInsecurePlatformUrls?: boolean },
  registry: OpenAPIRegistry,
): Router {
  const router = Router();
  /** Tenants with a connection test running (in this API process). */
  const testsInFlight = new Set<string>();
  const schedulesOf = (tenant: Tenant) => ensureTenantSchedules(temporal, tenant.tenantId, tenant.policy, queues);
  const tag = 'Tenants';
  operation(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/tenants',
      summary: 'Create a tenant',
      tag,
      body: CreateTenant,
      guards: [requireGlobalAdmin()],
      responses: { 201: { description: 'Created', schema: TenantSchema } },
    },
    async (_req, res, { body }) => {
      res.locals.tenantId = body.tenantId;
      tenantBoundProblems(body.tenantId, body, allowInsecurePlatformUrls);
      try {
        const tenant = await tenants.create(body);
        await schedulesOf(tenant);
        res.status(201).location(`/v1/tenants/${tenant.tenantId}`).json(tenant);
      } catch (err) {
        if (err instanceof TenantExistsError) throw conflict('tenant-exists', 'A tenant with this id exists');
        throw err;
      }
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/tenants/{tenantId}',
      summary: 'Read a tenant, its policy and connections',
      tag,
      params: TenantParams,
      guards: [requireTenant(tenants, 'tenant:read')],
      responses: { 200: { description: 'The tenant', schema: TenantSchema } },
    },
    async (_req, res, { params }) => {
      res.json(await tenants.get(params.tenantId));
    },
  );
  operation(
    router,
    registry,
    {
      method: 'patch',
      path: '/v1/tenants/{tenantId}',
      summary: 'Change name, policy fields or platform connections',
      tag,
      params: TenantParams,
      body: UpdateTenant,
      guards: [requireTenant(tenants, 'tenant:write')],
      responses: { 200: { description: 'The updated tenant', schema: TenantSchema } },
    },
    async (_req, res, { params: { tenantId }, body: change }) => {
      tenantBoundProblems(tenantId, change, allowInsecurePlatformUrls);
      const updated = await tenants.update(tenantId, change);
      if (!updated) throw notFound('tenant');
      await schedulesOf(updated);
      res.json(updated);
    },
  );
  operation(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/tenants/{tenantId}/connections/{platform}/test',
      summary: 'Test a platform connection: one read-only call (the first account) with the tenant’s own credentials',
      tag,
      params: ConnectionParams,
      guards: [requireTenant(tenants, 'tenant:write')],
      responses: { 200: { description: 'What the platform answered', schema: ConnectionCheckSchema } },
    },
    async (_req, res, { params: { tenantId, platform } }) => {
      if (!(await tenants.connection(tenantId, platform))) throw notFound(`${platform} connection`);
      // One test at a time per tenant: a test holds a slot of the platform's shared queue (and its rate limit) for
      // up to 30 s, so one tenant repeating it must not slow other tenants' offboardings.
      if (testsInFlight.has(tenantId))
        throw problem(
          429,
          'connection-test-running',
          'A connection test of this tenant is running',
          { detail: 'try again when it has answered' },
          { 'Retry-After': '5' },
        );
      testsInFlight.add(tenantId);
      try {
        if (platform === 'http-callback')
          return void res.json(
            connectionCheckAnswer(
              platform,
              'not-supported',
              'a call-and-wait endpoint is the customer’s: its steps show whether it answers',
            ),
          );
        // Run where the adapters are (the worker's platform queue), never in the API process.
        const result = await temporal.workflow.execute<typeof connectionCheck>(CONNECTION_CHECK_WORKFLOW, {
          taskQueue: queues.workflows,
          workflowId: `${tenantId}/connection-check/${platform}/${randomUUID()}`,
          args: [{ tenantId, platform }],
          workflowExecutionTimeout: '1 minute',
        });
        res.json(result);
      } finally {
        testsInFlight.delete(tenantId);
      }
    },
  );
  return router;
}
