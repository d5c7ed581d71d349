/**
 * Tenant ids: lower-case letters and digits in groups joined by single `-`, 2 to 63 characters. No `_`, no `--`
 * and no trailing `-`, so no tenant's env-variable prefix (activities/connection-secrets.ts tenantEnvPrefix)
 * begins another's, and every id is a safe segment of workflow ids and visibility queries.
 */
export const SAFE_TENANT_ID = /^(?=.{2,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;
