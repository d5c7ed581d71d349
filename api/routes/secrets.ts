import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { SecretStoreUnavailableError, type SecretVault } from '../../store/secrets';
import type { TenantStore } from '../../store/tenants';
import { rotationSecretName } from '../../shared/rotation';
import { mayConsume, principalOf, requireTenant } from '../access';
import { operation } from '../openapi';
import { forbidden, notFound, problem } from '../problem';
import { CredentialKindSchema, Id, PlatformSchema, TenantId } from '../schemas';

const SecretName = z
  .string()
  .regex(/^[A-Za-z0-9][\w.-]{0,99}$/, 'letters, digits and _ . - only (1 to 100, starting with a letter or digit)');
const SecretParams = z.strictObject({ tenantId: TenantId, name: SecretName });
const PutSecret = z.strictObject({ value: z.string().min(1).max(16_384) });
const SecretInfoSchema = z.object({
  name: z.string(),
  ref: z.string().openapi({ description: 'What a connection names in its credentials, e.g. `secret:okta-token`' }),
  createdAt: z.string(),
  rotatedAt: z.string(),
  lastUsedAt: z.string().optional(),
  versions: z.number().int(),
});

const RotatedCredential = z.strictObject({
  platform: PlatformSchema,
  ownerId: Id('owner id'),
  kind: CredentialKindSchema,
});
const RotatedSecretSchema = z.object({
  name: z.string(),
  versionId: z.string(),
  rotatedAt: z.string(),
  value: z.string().openapi({ description: 'The current secret of the credential: keep it out of logs' }),
});

/**
 * Write-only secret intake: an MSP hands over a client's platform token without
 * restarting a worker. The value goes in sealed (store/secrets.ts) and never comes out
 * of the API: answers carry the reference and dates only. A rotated credential's consumer (a key with
 * a consumer grant naming the credential's owner) reads the current secret a rotation stored; each read
 * is audited and marks the secret used.
 */
export function secretsRouter(
  { tenants, secrets }: { tenants: TenantStore; secrets: SecretVault },
  registry: OpenAPIRegistry,
): Router {
  const router = Router();
  const tag = 'Secrets';
  const sealed = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof SecretStoreUnavailableError)
        throw problem(
          503,
          'secret-store-unavailable',
          'The embedded secret store has no key (SECRET_STORE_KEYS)',
          {},
          { 'Retry-After': '60' },
        );
      throw err;
    }
  };
  operation(
    router,
    registry,
    {
      method: 'put',
      path: '/v1/tenants/{tenantId}/secrets/{name}',
      summary: 'Put a secret (value in, reference out; the value is never returned)',
      tag,
      params: SecretParams,
      body: PutSecret,
      guards: [requireTenant(tenants, 'secrets:write')],
      responses: { 200: { description: 'Stored; the reference to use in a connection', schema: SecretInfoSchema } },
    },
    async (_req, res, { params, body }) => {
      res.locals.auditDetail = { name: params.name };
      const info = await sealed(() => secrets.put(params.tenantId, params.name, body.value));
      res.set('Cache-Control', 'no-store').json(info);
    },
  );
  operation(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/tenants/{tenantId}/secrets',
      summary: 'The tenant’s secrets: names and dates, never values',
      tag,
      params: z.strictObject({ tenantId: TenantId }),
      guards: [requireTenant(tenants, 'secrets:read')],
      responses: { 200: { description: 'Secrets', schema: z.object({ items: z.array(SecretInfoSchema) }) } },
    },
    async (_req, res, { params }) => {
      res.json({ items: await secrets.list(params.tenantId) });
    },
  );
  operation(
    router,
    registry,
    {
      method: 'delete',
      path: '/v1/tenants/{tenantId}/secrets/{name}',
      summary: 'Delete a secret (connections naming it fail until it is put again)',
      tag,
      params: SecretParams,
      guards: [requireTenant(tenants, 'secrets:write')],
      responses: { 204: { description: 'Deleted' } },
    },
    async (_req, res, { params }) => {
      res.locals.auditDetail = { name: params.name };
      if (!(await secrets.remove(params.tenantId, params.name))) throw notFound('secret');
      res.status(204).end();
    },
  );
  operation(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/tenants/{tenantId}/rotated-secrets/current',
      summary:
        'Read the current secret of a rotated credential (consumer keys, for the owners their grant names; audited)',
      tag,
      params: z.strictObject({ tenantId: TenantId }),
      body: RotatedCredential,
      guards: [requireTenant(tenants, 'secrets:consume')],
      responses: { 200: { description: 'The current secret', schema: RotatedSecretSchema } },
    },
    async (_req, res, { params, body }) => {
      if (!mayConsume(principalOf(res), params.tenantId, body))
        throw forbidden(`this key may not read the secrets of ${body.platform} ${body.ownerId}`);
      const tenant = await tenants.get(params.tenantId);
      const name = rotationSecretName(params.tenantId, body.platform, body.ownerId, body.kind);
      if (tenant?.secretStore && tenant.secretStore.kind !== 'embedded') {
        throw problem(
          409,
          'secret-in-external-store',
          `This tenant keeps rotated secrets in AWS Secrets Manager: read ${tenant.secretStore.namePrefix ?? ''}${name} (stage AWSCURRENT) there`,
        );
      }
      const secret = await sealed(() => secrets.readRotated(params.tenantId, name));
      res.locals.auditDetail = { name, versionId: secret?.versionId };
      if (!secret) throw notFound('rotated secret');
      res.set('Cache-Control', 'no-store').json({ name, ...secret });
    },
  );
  return router;
}
