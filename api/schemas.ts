/** Zod schemas shared by several routers; the OpenAPI document is generated from them. */
import { z } from 'zod';
import { TENANT_ID_LENGTH, TENANT_ID_PATTERN } from '../shared/tenant-id';
import { CREDENTIAL_KINDS, ENTITLEMENT_KINDS } from '../shared/identity';
import type { Subject } from '../shared/identity';
import type { PlatformConnection, SecretStoreSetting } from '../shared/runbooks';
import type { SameType } from '../shared/same-type';
import { PLATFORMS } from '../shared/platforms';
import { ROLES } from '../store/api-keys';
import { Id, TenantPolicySchema } from '../store/tenant-policy-schema';

export { Id, TenantPolicySchema };

const TENANT_ID_RULE =
  'not a valid tenant id (lower-case letters and digits, single - between them, 2 to 63 characters)';
export const TenantId = z
  .string()
  .min(TENANT_ID_LENGTH.min, TENANT_ID_RULE)
  .max(TENANT_ID_LENGTH.max, TENANT_ID_RULE)
  .regex(TENANT_ID_PATTERN, TENANT_ID_RULE);
export const TenantParams = z.strictObject({ tenantId: TenantId });
/** runId is an opaque token (api/runs.ts); a malformed one finds no run (404). */
export const RunParams = z.strictObject({ tenantId: TenantId, runId: z.string().min(1).max(400) });

export const PlatformSchema = z.enum(PLATFORMS);
export const RoleSchema = z.enum(ROLES);

/**
 * `secret:NAME` (a secret the tenant put through PUT /v1/tenants/{id}/secrets/{name}) or
 * `env:TENANT_<TENANT>_…` (a variable an operator set on the workers for this tenant): a
 * reference, so a raw secret is never accepted (or stored, or echoed). Which variables a
 * tenant may name is checked with its id (api/routes/tenants.ts, and again by the worker).
 */
export const SecretRefString = z
  .string()
  .regex(
    /^(env:[A-Z][A-Z0-9_]*|secret:[A-Za-z0-9][\w./-]{0,199})$/,
    'must be a secret reference (secret:NAME or env:TENANT_<TENANT>_NAME), never the secret itself',
  );

export const PlatformConnectionSchema = z.strictObject({
  platform: PlatformSchema,
  /** https; where it may point is checked with the tenant (shared/outbound-urls.ts). */
  baseUrl: z.string().max(2048).optional(),
  settings: z.record(z.string().regex(/^\w{1,64}$/), z.string().max(512)).optional(),
  credentials: z.record(z.string().regex(/^\w{1,64}$/), SecretRefString).optional(),
});

/** Where a tenant's rotated credentials are kept (shared/runbooks.ts SecretStoreSetting). */
export const SecretStoreSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('embedded') }),
  z.strictObject({
    kind: z.literal('aws-secrets-manager'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'not an AWS region, e.g. eu-west-1'),
    baseUrl: z.string().max(2048).optional(),
    namePrefix: z
      .string()
      .regex(/^[\w./-]{0,100}$/, 'letters, digits and _ . / - only')
      .optional(),
    credentials: z.strictObject({ accessKeyId: SecretRefString, secretAccessKey: SecretRefString }),
  }),
]);

export const SubjectSchema = z.strictObject({
  subjectId: Id('subject id'),
  userName: z.string().min(1).max(256),
  email: z.email().optional(),
  displayName: z.string().max(256).optional(),
  managerId: Id('manager id').optional(),
  accounts: z.partialRecord(PlatformSchema, z.string().min(1).max(256)).optional(),
});

/** ISO-8601 date or date-time. */
export const IsoDate = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

export const CredentialKindSchema = z.enum(CREDENTIAL_KINDS);
export const EntitlementKindSchema = z.enum(ENTITLEMENT_KINDS);

/** Schemas and the shared/ types they accept cannot drift apart: a difference fails `tsc`. */
export const SECRET_STORE_SCHEMA_MATCHES: SameType<z.infer<typeof SecretStoreSchema>, SecretStoreSetting> = true;
/** A subject as the API accepts it: what the platforms report about an account (service, last activity) is theirs to say. */
export const SUBJECT_SCHEMA_MATCHES: SameType<
  z.infer<typeof SubjectSchema>,
  Omit<Subject, 'service' | 'lastActiveAt'>
> = true;
export const CONNECTION_SCHEMA_MATCHES: SameType<z.infer<typeof PlatformConnectionSchema>, PlatformConnection> = true;
