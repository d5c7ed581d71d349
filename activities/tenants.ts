import { ApplicationFailure } from '@temporalio/common';
import type { Platform } from '../shared/platforms';
import type { TenantPolicy } from '../shared/runbooks';
import type { TenantStore } from '../store/tenants';

export interface TenantActivityDeps {
  tenants: TenantStore;
}

/** Workflows read tenant policy through an activity, so replay never depends on today's database. */
export function createTenantActivities({ tenants }: TenantActivityDeps) {
  return {
    async loadTenantPolicy(tenantId: string): Promise<TenantPolicy> {
      const tenant = await tenants.get(tenantId);
      if (!tenant)
        throw ApplicationFailure.create({
          type: 'TenantNotFound',
          message: `tenant ${tenantId} does not exist`,
          nonRetryable: true,
        });
      return tenant.policy;
    },

    /** The platforms the tenant has connected (campaign scope; `notification` present = consumers to tell). */
    async loadTenantPlatforms(tenantId: string): Promise<Platform[]> {
      const tenant = await tenants.get(tenantId);
      if (!tenant)
        throw ApplicationFailure.create({
          type: 'TenantNotFound',
          message: `tenant ${tenantId} does not exist`,
          nonRetryable: true,
        });
      return tenant.connections.map((c) => c.platform);
    },
  };
}

export type TenantActivities = ReturnType<typeof createTenantActivities>;
