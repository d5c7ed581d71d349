import type { Db } from 'mongodb';
import { onEach } from '../../runbooks/steps';
import type { OffboardingRequest } from '../../shared';
import { createStores, ensureIndexes } from '../../store';
import type { FakeScim } from '../fakes/scim';

/** The runbook the reliability tests offboard with: contain on SCIM, then remove every group. */
export const SCIM_LEAVER_RUNBOOK = 'leaver-scim';

/**
 * A tenant connected only to the SCIM contract fake, its bearer read from the worker's `tokenVariable`
 * (which must carry the tenant's prefix), and the SCIM leaver runbook.
 */
export async function scimLeaverTenant(db: Db, tenantId: string, scim: FakeScim, tokenVariable: string): Promise<void> {
  const stores = createStores(db);
  await ensureIndexes(stores);
  await stores.tenants.create({
    tenantId,
    name: tenantId,
    connections: [{ platform: 'scim', baseUrl: scim.baseUrl, credentials: { token: `env:${tokenVariable}` } }],
  });
  await stores.runbooks.create(
    tenantId,
    SCIM_LEAVER_RUNBOOK,
    {
      kind: 'offboarding',
      name: 'Leaver on SCIM',
      steps: [
        ...onEach(['scim'], 'disableAccount', 'disable', { phase: 1, onFailure: 'continue' }),
        ...onEach(['scim'], 'removeAllEntitlements', 'entitlements', { phase: 3, onFailure: 'continue' }),
      ],
    },
    'test',
  );
}

export function scimLeaverRequest(tenantId: string, user: { id: string; userName: string }): OffboardingRequest {
  return {
    tenantId,
    requestedBy: { id: 'desk', kind: 'user' },
    runbookId: SCIM_LEAVER_RUNBOOK,
    subject: { subjectId: user.id, userName: user.userName },
    mode: 'immediate',
  };
}
