import type { RequestHandler, Response } from 'express';
import type { Role } from '../store/api-keys';
import type { TenantStore } from '../store/tenants';
import type { Principal } from './auth';
import { forbidden, notFound } from './problem';

export type Permission =
  | 'tenant:read'
  | 'tenant:write'
  | 'runbooks:read'
  | 'runbooks:write'
  | 'runs:read'
  | 'runs:start'
  | 'runs:cancel'
  | 'runs:approve'
  | 'runs:legal-hold'
  | 'evidence:read'
  | 'reviews:decide'
  | 'reviews:read-all'
  | 'schedules:read'
  | 'schedules:write'
  | 'secrets:read'
  | 'secrets:write'
  | 'secrets:consume';

/**
 * `secrets:read` is names and dates only: no role reads a value handed over through intake. Only a
 * consumer reads the current secret of a rotated credential, and only of the owners its grant names.
 */
const READ_ONLY: Permission[] = [
  'tenant:read',
  'runbooks:read',
  'runs:read',
  'evidence:read',
  'reviews:read-all',
  'schedules:read',
  'secrets:read',
];

/** What each role may do within the tenants it is granted on. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: [
    ...READ_ONLY,
    'tenant:write',
    'runbooks:write',
    'runs:start',
    'runs:cancel',
    'runs:approve',
    'runs:legal-hold',
    'reviews:decide',
    'schedules:write',
    'secrets:write',
  ],
  'service-desk': ['runbooks:read', 'runs:read', 'runs:start', 'runs:cancel', 'runs:legal-hold', 'schedules:read'],
  reviewer: ['reviews:decide'],
  approver: ['runs:read', 'runs:approve'],
  auditor: READ_ONLY,
  consumer: ['secrets:consume'],
};

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

export function rolesOn(principal: Principal, tenantId: string): Role[] {
  return principal.grants.filter((g) => g.tenantId === tenantId || g.tenantId === '*').map((g) => g.role);
}

export function can(principal: Principal, tenantId: string, permission: Permission): boolean {
  return rolesOn(principal, tenantId).some((role) => ROLE_PERMISSIONS[role].includes(permission));
}

/** Whether a consumer grant on the tenant names this credential (platform and owner). */
export function mayConsume(
  principal: Principal,
  tenantId: string,
  credential: { platform: string; ownerId: string },
): boolean {
  return principal.grants.some(
    (g) =>
      g.role === 'consumer' &&
      g.tenantId === tenantId &&
      (g.credentials ?? []).some((c) => c.platform === credential.platform && c.ownerId === credential.ownerId),
  );
}

export function isGlobalAdmin(principal: Principal): boolean {
  return principal.grants.some((g) => g.role === 'admin' && g.tenantId === '*');
}

/**
 * Guards a /tenants/:tenantId/... route. A caller with no role on the tenant,
 * or a tenant that does not exist, gets 404 (tenant ids cannot be probed); a
 * caller on the tenant whose role lacks the permission gets 403.
 */
export function requireTenant(tenants: TenantStore, ...anyOf: Permission[]): RequestHandler {
  return async (req, res, next) => {
    const principal = principalOf(res);
    const tenantId = String(req.params.tenantId);
    if (rolesOn(principal, tenantId).length === 0 || !(await tenants.get(tenantId))) return next(notFound('tenant'));
    if (!anyOf.some((p) => can(principal, tenantId, p)))
      return next(forbidden(`needs ${anyOf.join(' or ')} on this tenant`));
    res.locals.tenantId = tenantId;
    next();
  };
}

/** Routes outside any one tenant (creating tenants): an admin on every tenant. */
export function requireGlobalAdmin(): RequestHandler {
  return (_req, res, next) =>
    isGlobalAdmin(principalOf(res)) ? next() : next(forbidden('needs the admin role on every tenant'));
}
