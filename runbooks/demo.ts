import type { ReferencePlatform } from '../activities/platforms/reference';
import type { PlatformConnection, TenantPolicy } from '../shared';
import type { RunbookStore } from '../store/runbooks';
import type { TenantStore } from '../store/tenants';
import { REFERENCE_OFFBOARDING } from './offboarding';
import { REFERENCE_ONBOARDING } from './onboarding';

/**
 * The demo tenant `npm start` offers: a small company on the in-process reference platform, so a
 * newcomer offboards someone, reviews access and approves an elevation in the console within
 * minutes and sees what a complete run looks like. Nothing here reaches a real platform.
 */
export const DEMO_TENANT = {
  tenantId: 'demo',
  name: 'Demo company (reference platform)',
  connections: [{ platform: 'reference' }] satisfies PlatformConnection[],
  /** Deletion due at once, so an offboarding runs to its end while you watch; the approver below approves elevations. */
  policy: { retentionDays: 0, approvers: ['alex-approver'] } satisfies Partial<TenantPolicy>,
} as const;

/** The people who use the console in the demo, one API key each (made by scripts/demo.ts). */
export const DEMO_PERSONAS = {
  /** Service desk: starts offboardings and requests elevations. */
  desk: { ownerId: 'desk-dana', role: 'service-desk' },
  /** A manager certifying the access of the team below. */
  reviewer: { ownerId: 'morgan-manager', role: 'reviewer' },
  /** Approves privileged access (four eyes: never the requester). */
  approver: { ownerId: 'alex-approver', role: 'approver' },
} as const;

/** The review campaign and the elevation request waiting in the demo. */
export const DEMO_REVIEW_ID = 'demo-q4';
export const DEMO_ELEVATION = {
  subject: { subjectId: 'ada', userName: 'ada', email: 'ada@demo.example' },
  platform: 'reference',
  entitlementId: 'prod-db-admin',
  entitlementKind: 'role',
  durationMinutes: 60,
  justification: 'Restore last night’s failed backup of the orders database (INC-4711).',
} as const;

const DAY = 86_400_000;

/**
 * The demo company's accounts: people under the reviewing manager (some access unused for months,
 * so the decision helper recommends revoking it), two service accounts with API keys, and the leaver
 * the service desk can offboard. Seeding is idempotent: a restarted worker starts from this again.
 */
export function seedDemoPlatform(platform: ReferencePlatform, now = Date.now()): void {
  const manager = DEMO_PERSONAS.reviewer.ownerId;
  const used = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
  platform.seedAccount({ userName: manager, email: 'morgan@demo.example', displayName: 'Morgan Manager' });
  platform.seedAccount({
    userName: 'ada',
    email: 'ada@demo.example',
    displayName: 'Ada Lovelace',
    managerId: manager,
    sessions: 1,
    entitlements: [
      { kind: 'group', id: 'engineering', name: 'Engineering', lastUsedAt: used(1) },
      { kind: 'app', id: 'grafana', name: 'Grafana', lastUsedAt: used(3) },
      { kind: 'group', id: 'finance-reports', name: 'Finance reports', lastUsedAt: used(120) },
    ],
  });
  platform.seedAccount({
    userName: 'bob',
    email: 'bob@demo.example',
    displayName: 'Bob Builder',
    managerId: manager,
    sessions: 2,
    entitlements: [
      { kind: 'group', id: 'engineering', name: 'Engineering', lastUsedAt: used(2) },
      { kind: 'role', id: 'billing-admin', name: 'Billing administrator', lastUsedAt: used(95) },
    ],
    owned: ['bob/roadmap-2027.doc', 'bob/oncall-runbook.md'],
  });
  platform.seedAccount({
    userName: 'carol',
    email: 'carol@demo.example',
    displayName: 'Carol Jones',
    managerId: manager,
    sessions: 1,
    entitlements: [
      { kind: 'group', id: 'sales', name: 'Sales', lastUsedAt: used(1) },
      { kind: 'app', id: 'crm', name: 'CRM', lastUsedAt: used(1) },
    ],
  });
  platform.seedAccount({
    userName: 'svc-backup',
    displayName: 'Nightly backup job',
    kind: 'service',
    managerId: manager,
    entitlements: [{ kind: 'role', id: 'storage-writer', name: 'Storage writer', lastUsedAt: used(1) }],
  });
  platform.seedAccount({
    userName: 'svc-legacy-export',
    displayName: 'Legacy export (unused)',
    kind: 'service',
    managerId: manager,
    entitlements: [{ kind: 'role', id: 'storage-reader', name: 'Storage reader', lastUsedAt: used(200) }],
  });
  platform.seedCredential({
    id: 'svc-backup-key-1',
    kind: 'api-token',
    ownerId: 'svc-backup',
    status: 'active',
    createdAt: used(400),
    lastUsedAt: used(1),
    description: 'backup job token',
  });
  platform.seedCredential({
    id: 'svc-legacy-export-key-1',
    kind: 'api-token',
    ownerId: 'svc-legacy-export',
    status: 'active',
    createdAt: used(900),
    lastUsedAt: used(200),
    description: 'forgotten export token',
  });
}

/**
 * The demo tenant's default runbooks are the standard ones on the reference platform (set on every worker start),
 * unless the tenant is connected to any real platform: a DEMO_TENANT copied into a production environment never
 * switches a real client's offboardings to the in-process platform. Says whether it set them.
 */
export async function setDemoRunbookDefaults(
  stores: { runbooks: Pick<RunbookStore, 'setDefault'>; tenants: Pick<TenantStore, 'get'> },
  tenantId: string,
): Promise<boolean> {
  const tenant = await stores.tenants.get(tenantId);
  const real = (tenant?.connections ?? []).filter((c) => c.platform !== 'reference' && c.platform !== 'notification');
  if (real.length > 0) return false;
  for (const { runbookId } of [REFERENCE_OFFBOARDING, REFERENCE_ONBOARDING])
    await stores.runbooks.setDefault(tenantId, runbookId);
  return true;
}
