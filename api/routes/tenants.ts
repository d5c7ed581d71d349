import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { ensureTenantSchedules } from '../../scheduling/tenant-schedules';
import type { Tenant } from '../../shared/runbooks';
import type { TaskQueues } from '../../shared/task-queues';
import { TenantExistsError, type TenantStore } from '../../store/tenants';
import { requireGlobalAdmin, requireTenant } from '../access';
import { operation } from '../openapi';
import { conflict, notFound } from '../problem';
import { PlatformConnectionSchema, TenantId, TenantParams, TenantPolicySchema } from '../schemas';
import { valid } from '../validate';

const CreateTenant = z.strictObject({
  tenantId: TenantId,
  name: z.string().min(1).max(200),
  policy: TenantPolicySchema.partial().optional(),
  connections: z.array(PlatformConnectionSchema).max(50).optional(),
});
const UpdateTenant = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  policy: TenantPolicySchema.partial().optional(),
  /** Replaces the connection of each platform named. */
  connections: z.array(PlatformConnectionSchema).max(50).optional(),
});
const TenantSchema = z.object({
  tenantId: z.string(),
  name: z.string(),
  policy: TenantPolicySchema,
  connections: z.array(PlatformConnectionSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/**
 * Client organisations: created by a global admin, read and changed by the
 * tenant's admins. Creating or changing a tenant also creates or updates its
 * default Schedules (daily rotation campaign, access reviews on the policy's
 * cadence); a PATCH repairs them if Temporal was down at creation.
 */
export function tenantsRouter({ tenants, temporal, queues }: { tenants: TenantStore; temporal: Client; queues: TaskQueues }, registry: OpenAPIRegistry): Router {
  const router = Router();
  const schedulesOf = (tenant: Tenant) => ensureTenantSchedules(temporal, tenant.tenantId, tenant.policy, queues);
  const tag = 'Tenants';
  operation(
    router,
    registry,
    { method: 'post', path: '/v1/tenants', summary: 'Create a tenant', tag, body: CreateTenant, guards: [requireGlobalAdmin()], responses: { 201: { description: 'Created', schema: TenantSchema } } },
    async (_req, res) => {
      const body = valid<z.infer<typeof CreateTenant>>(res).body;
      res.locals.tenantId = body.tenantId;
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
    { method: 'get', path: '/v1/tenants/{tenantId}', summary: 'Read a tenant, its policy and connections', tag, params: TenantParams, guards: [requireTenant(tenants, 'tenant:read')], responses: { 200: { description: 'The tenant', schema: TenantSchema } } },
    async (req, res) => {
      res.json(await tenants.get(String(req.params.tenantId)));
    },
  );
  operation(
    router,
    registry,
    { method: 'patch', path: '/v1/tenants/{tenantId}', summary: 'Change name, policy fields or platform connections', tag, params: TenantParams, body: UpdateTenant, guards: [requireTenant(tenants, 'tenant:write')], responses: { 200: { description: 'The updated tenant', schema: TenantSchema } } },
    async (req, res) => {
      const updated = await tenants.update(String(req.params.tenantId), valid<z.infer<typeof UpdateTenant>>(res).body);
      if (!updated) throw notFound('tenant');
      await schedulesOf(updated);
      res.json(updated);
    },
  );
  return router;
}
