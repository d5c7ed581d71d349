import { ApplicationFailure } from '@temporalio/common';
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
      if (!tenant) throw ApplicationFailure.create({ type: 'TenantNotFound', message: `tenant ${tenantId} does not exist`, nonRetryable: true });
      return tenant.policy;
    },
  };
}

export type TenantActivities = ReturnType<typeof createTenantActivities>;
