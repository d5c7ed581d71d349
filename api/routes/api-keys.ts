import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import type { ApiKeyInfo, ApiKeyStore, Grant } from '../../store/api-keys';
import { isGlobalAdmin, principalOf, rolesOn } from '../access';
import type { Principal } from '../auth';
import { operation } from '../openapi';
import { fieldProblem, forbidden, notFound } from '../problem';
import { Id, PlatformSchema, RoleSchema, TenantId } from '../schemas';

const GrantSchema = z
  .strictObject({
    role: RoleSchema,
    tenantId: z.union([TenantId, z.literal('*')]),
    credentials: z
      .array(z.strictObject({ platform: PlatformSchema, ownerId: Id('owner id') }))
      .min(1)
      .max(100)
      .optional()
      .openapi({
        description:
          'consumer only (required): the rotated credentials (platform and owner) whose current secret the key may read',
      }),
  })
  .superRefine((grant, ctx) => {
    if (grant.role === 'consumer' && !grant.credentials)
      ctx.addIssue({
        code: 'custom',
        path: ['credentials'],
        message: 'a consumer grant names the credentials whose secrets it may read',
      });
    if (grant.role === 'consumer' && grant.tenantId === '*')
      ctx.addIssue({ code: 'custom', path: ['tenantId'], message: 'a consumer grant is on one tenant' });
    if (grant.role !== 'consumer' && grant.credentials)
      ctx.addIssue({ code: 'custom', path: ['credentials'], message: 'only a consumer grant names credentials' });
  });
const CreateKey = z.strictObject({
  name: z.string().min(1).max(200),
  /** The person the key acts as; the creator unless a global admin names someone else. */
  ownerId: Id('owner id').optional(),
  grants: z.array(GrantSchema).min(1).max(100),
});
const KeyParams = z.strictObject({ keyId: z.string().regex(/^[a-f0-9]{16}$/, 'not a key id') });
const KeyInfoSchema = z.object({
  keyId: z.string(),
  name: z.string(),
  ownerId: z.string().optional(),
  grants: z.array(GrantSchema),
  createdAt: z.string(),
  createdBy: z.string(),
  revokedAt: z.string().optional(),
});

/** An admin manages keys only for tenants they administer; `*` grants need an admin on every tenant. */
function administers(principal: Principal, grants: Grant[]): boolean {
  if (isGlobalAdmin(principal)) return true;
  return grants.every((g) => g.tenantId !== '*' && rolesOn(principal, g.tenantId).includes('admin'));
}

/** API keys: created (the key is shown once), listed and revoked through the API. */
export function apiKeysRouter(apiKeys: ApiKeyStore, registry: OpenAPIRegistry): Router {
  const router = Router();
  const tag = 'API keys';
  const visible = (principal: Principal, key: ApiKeyInfo | null): key is ApiKeyInfo =>
    key !== null && administers(principal, key.grants);
  operation(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/api-keys',
      summary: 'Create an API key; the response is the only time the key is shown',
      tag,
      body: CreateKey,
      responses: { 201: { description: 'The key and its record', schema: KeyInfoSchema.extend({ key: z.string() }) } },
    },
    async (_req, res, { body }) => {
      const principal = principalOf(res);
      if (!administers(principal, body.grants)) throw forbidden('you can grant roles only on tenants you administer');
      // A consumer key reads live secrets: a tenant admin could otherwise rotate the identity behind the tenant's
      // own connection and read its new secret. Only the provider's global admins issue them.
      if (body.grants.some((g) => g.role === 'consumer') && !isGlobalAdmin(principal))
        throw forbidden('only an admin on every tenant may issue a consumer key');
      // A key acts as its owner in approvals, reviews and evidence: only a global admin may issue one for someone else.
      if (body.ownerId !== undefined && body.ownerId !== principal.actor.id && !isGlobalAdmin(principal)) {
        throw fieldProblem(
          'body.ownerId',
          'only an admin on every tenant may issue a key for another person; leave it out to own the key yourself',
        );
      }
      const { key, info } = await apiKeys.create({
        ...body,
        ownerId: body.ownerId ?? principal.actor.id,
        createdBy: principal.actor.id,
      });
      res.locals.auditDetail = { keyId: info.keyId, grants: info.grants };
      res
        .status(201)
        .set('Cache-Control', 'no-store')
        .location(`/v1/api-keys/${info.keyId}`)
        .json({ ...info, key });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/api-keys',
      summary: 'List the API keys you administer (never the keys themselves)',
      tag,
      responses: { 200: { description: 'Key records', schema: z.object({ items: z.array(KeyInfoSchema) }) } },
    },
    async (_req, res) => {
      const principal = principalOf(res);
      res.json({ items: (await apiKeys.list()).filter((k) => visible(principal, k)) });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'delete',
      path: '/v1/api-keys/{keyId}',
      summary: 'Revoke an API key (permanent)',
      tag,
      params: KeyParams,
      responses: { 204: { description: 'Revoked' } },
    },
    async (_req, res, { params: { keyId } }) => {
      const principal = principalOf(res);
      if (!visible(principal, await apiKeys.get(keyId))) throw notFound('API key');
      await apiKeys.revoke(keyId, principal.actor.id);
      res.locals.auditDetail = { keyId };
      res.status(204).end();
    },
  );
  return router;
}
