/**
 * Tenant ids: lower-case letters and digits in groups joined by single `-`, 2 to 63 characters. No `_`, no `--`
 * and no trailing `-`, so no tenant's env-variable prefix (activities/connection-secrets.ts tenantEnvPrefix)
 * begins another's, and every id is a safe segment of workflow ids and visibility queries. (No lookahead: the
 * OpenAPI document carries the pattern, and API fuzzers generate ids from it.)
 */
export const TENANT_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const TENANT_ID_LENGTH = { min: 2, max: 63 } as const;

export function isSafeTenantId(id: string): boolean {
  return id.length >= TENANT_ID_LENGTH.min && id.length <= TENANT_ID_LENGTH.max && TENANT_ID_PATTERN.test(id);
}
