/** Zod schemas shared by several routers; the OpenAPI document is generated from them. */
import { z } from 'zod';
import type { CredentialKind, EntitlementKind } from '../shared/identity';
import { PLATFORMS } from '../shared/platforms';
import { ROLES } from '../store/api-keys';
import { Id, TenantPolicySchema } from '../store/tenant-policy-schema';

export { Id, TenantPolicySchema };

export const TenantId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'not a valid tenant id (lower-case letters, digits and -, 2 to 63)');
export const TenantParams = z.strictObject({ tenantId: TenantId });
/** runId is an opaque token (api/runs.ts); a malformed one finds no run (404). */
export const RunParams = z.strictObject({ tenantId: TenantId, runId: z.string().min(1).max(400) });

export const PlatformSchema = z.enum(PLATFORMS);
export const RoleSchema = z.enum(ROLES);

/** `env:VARIABLE` or `secret:<store>/<name>`: a reference, so a raw secret is never accepted (or stored, or echoed). */
export const SecretRefString = z.string().regex(/^(env:[A-Z_][A-Z0-9_]*|secret:[\w.-]+\/[\w./-]+)$/, 'must be a secret reference (env:VAR or secret:store/name), never the secret itself');

export const PlatformConnectionSchema = z.strictObject({
  platform: PlatformSchema,
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  settings: z.record(z.string().regex(/^\w{1,64}$/), z.string().max(512)).optional(),
  credentials: z.record(z.string().regex(/^\w{1,64}$/), SecretRefString).optional(),
});


export const SubjectSchema = z.strictObject({
  subjectId: Id('subject id'),
  userName: z.string().min(1).max(256),
  email: z.email().optional(),
  displayName: z.string().max(256).optional(),
  managerId: Id('manager id').optional(),
  accounts: z.partialRecord(PlatformSchema, z.string().min(1).max(256)).optional(),
});

export const ActorSchema = z.object({ id: z.string(), kind: z.enum(['user', 'api-key', 'schedule', 'system']), displayName: z.string().optional() });

/** ISO-8601 date or date-time. */
export const IsoDate = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

const CREDENTIAL_KINDS = [
  'access-key',
  'api-token',
  'client-secret',
  'service-account-key',
  'personal-access-token',
  'deploy-key',
  'ssh-key',
  'oauth-grant',
  'certificate',
  'password',
] as const satisfies readonly CredentialKind[];
export const CredentialKindSchema = z.enum(CREDENTIAL_KINDS);

const ENTITLEMENT_KINDS = ['group', 'role', 'license', 'team', 'org-membership', 'policy', 'app'] as const satisfies readonly EntitlementKind[];
export const EntitlementKindSchema = z.enum(ENTITLEMENT_KINDS);
