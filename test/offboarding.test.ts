/**
 * Offboarding end to end on the time-skipping server with this project's
 * workers, FerretDB and the stateful reference platform: tests check effects
 * (accounts disabled, keys revoked, data moved, accounts deleted), not calls.
 */
import { legalHoldSignal } from '../shared/messages';
import type { OffboardingRequest, RunProgress, Subject } from '../shared';
import { runWorkflowId } from '../shared/workflow-ids';
import { waitForProgress, workflowEnv, type WorkflowEnv } from './support/workflow-env';
import { keepHistory } from './support/histories';
import type { offboarding } from '../workflows/offboarding';
import { seedLeaver } from './support/leavers';

const DAY = 24 * 60 * 60 * 1000;
let w: WorkflowEnv;

beforeAll(async () => {
  w = await workflowEnv('offboarding', { extraPlatforms: ['okta'] });
});
afterAll(() => w.teardown());

async function start(tenantId: string, subject: Subject, extra: Partial<OffboardingRequest> = {}) {
  const request: OffboardingRequest = {
    tenantId,
    requestedBy: { id: 'desk-1', kind: 'user' },
    runbookId: 'reference-offboarding',
    subject,
    mode: 'standard',
    ...extra,
  };
  return w.client.workflow.start<typeof offboarding>('offboarding', {
    args: [request],
    taskQueue: w.queues.workflows,
    workflowId: runWorkflowId(tenantId, 'offboarding', subject.subjectId),
  });
}

async function stepTimes(tenantId: string, workflowId: string): Promise<Record<string, number>> {
  const trail = await w.stores.evidence.forRun(tenantId, workflowId);
  return Object.fromEntries(
    trail.filter((r) => r.detail?.stepId).map((r) => [`${String(r.detail!.stepId)}:${r.event}`, Date.parse(r.at)]),
  );
}

it('catches up a past leave date: contains at once, revokes every access path, deletes when retention ends', async () => {
  const tenantId = await w.tenant({ retentionDays: 30 });
  const subject = seedLeaver(w.reference, 'ada');
  const now = await w.env.currentTimeMs();
  const leaveDate = new Date(now - 2 * DAY).toISOString();
  const handle = await start(tenantId, subject, { leaveDate });
  const result: RunProgress = await handle.result();

  expect(result.status).toBe('completed');
  expect(result.needsHuman).toEqual([]);
  expect(result.runbook).toEqual({ id: 'reference-offboarding', version: 1 });
  expect(w.reference.accounts.has('ada')).toBe(false);
  expect(w.reference.credentials.get('ada-key')?.status).toBe('inactive');
  expect(w.reference.accounts.get('ada-manager')?.owned).toEqual(['ada-roadmap.doc']);
  const times = await stepTimes(tenantId, handle.workflowId);
  // Contained at once (not 30 days after the past leave date), deleted 30 days after the leave date.
  expect(times['disable-reference:step-succeeded']! - now).toBeLessThan(60_000);
  expect(Math.abs(times['delete-reference:step-succeeded']! - (Date.parse(leaveDate) + 30 * DAY))).toBeLessThan(60_000);
  expect(result.steps.find((s) => s.stepId === 'credentials-reference')).toMatchObject({
    status: 'succeeded',
    detail: 'revoked 1 credential(s)',
    attempts: 2,
  });
  await keepHistory('offboarding-catch-up', handle);
});

it('waits for a future leave date in standard mode, contains at once in immediate mode', async () => {
  const tenantId = await w.tenant({ retentionDays: 1 });
  const hostileStart = await w.env.currentTimeMs();
  const hostile = await start(tenantId, seedLeaver(w.reference, 'cy'), {
    leaveDate: new Date(hostileStart + 10 * DAY).toISOString(),
    mode: 'immediate',
  });
  await hostile.result();
  const h = await stepTimes(tenantId, hostile.workflowId);
  expect(h['revoke-sessions-reference:step-succeeded']! - hostileStart).toBeLessThan(60_000);

  const leaveDate = new Date((await w.env.currentTimeMs()) + 10 * DAY).toISOString();
  const standard = await start(tenantId, seedLeaver(w.reference, 'ben'), { leaveDate });
  await standard.result();
  const s = await stepTimes(tenantId, standard.workflowId);
  expect(Math.abs(s['disable-reference:step-succeeded']! - Date.parse(leaveDate))).toBeLessThan(60_000);
  expect(w.reference.accounts.has('ben')).toBe(false);
  expect(w.reference.accounts.has('cy')).toBe(false);
});

it('runs steps on days counted from the leave date: a week before, on the day, the day after', async () => {
  const tenantId = await w.tenant({ retentionDays: 0 });
  await w.stores.runbooks.create(
    tenantId,
    'dated',
    {
      kind: 'offboarding',
      name: 'Leaver with dated steps',
      steps: [
        {
          id: 'groups-early',
          platform: 'reference',
          action: 'removeAllEntitlements',
          phase: 1,
          offsetDays: -7,
          onFailure: 'continue',
        },
        { id: 'disable-reference', platform: 'reference', action: 'disableAccount', phase: 1, onFailure: 'continue' },
        {
          id: 'sessions-after',
          platform: 'reference',
          action: 'revokeSessions',
          phase: 2,
          offsetDays: 1,
          onFailure: 'continue',
        },
      ],
    },
    'admin',
  );
  const leaveDate = Date.parse(new Date((await w.env.currentTimeMs()) + 10 * DAY).toISOString());
  const handle = await start(tenantId, seedLeaver(w.reference, 'gus'), {
    runbookId: 'dated',
    leaveDate: new Date(leaveDate).toISOString(),
  });
  expect((await handle.result()).status).toBe('completed');

  const t = await stepTimes(tenantId, handle.workflowId);
  const daysFromLeave = (step: string) => Math.round((t[`${step}:step-succeeded`]! - leaveDate) / (DAY / 24)) / 24;
  expect([daysFromLeave('groups-early'), daysFromLeave('disable-reference'), daysFromLeave('sessions-after')]).toEqual([
    -7, 0, 1,
  ]);
  await keepHistory('offboarding-dated-steps', handle);
});

it('keeps the accounts when a legal hold arrives during retention', async () => {
  const tenantId = await w.tenant({ retentionDays: 30 });
  const handle = await start(tenantId, seedLeaver(w.reference, 'dee'));
  await waitForProgress(handle, (p) => p.steps.some((s) => s.stepId === 'delete-reference' && s.status === 'waiting'));
  expect(w.reference.accounts.get('dee')?.enabled).toBe(false);
  await handle.signal(legalHoldSignal, { placedBy: { id: 'legal-1', kind: 'user' }, reason: 'litigation 2026-17' });
  const result = await handle.result();
  expect(result.status).toBe('completed');
  expect(result.steps.find((s) => s.stepId === 'delete-reference')).toMatchObject({
    status: 'skipped',
    detail: 'legal hold by legal-1: litigation 2026-17',
  });
  expect(w.reference.accounts.has('dee')).toBe(true);
  const trail = await w.stores.evidence.forRun(tenantId, handle.workflowId);
  expect(trail.find((r) => r.event === 'legal-hold')).toMatchObject({
    actor: { id: 'legal-1' },
    outcome: 'deletion-stopped',
  });
  await keepHistory('offboarding-legal-hold', handle);
});

it('finishes the other platforms when one is down and lists what a human must finish', async () => {
  const okta = w.extra.okta!;
  const tenantId = await w.tenant({ retentionDays: 0 });
  const subject = seedLeaver(w.reference, 'eve');
  seedLeaver(okta, 'eve');
  okta.failNext('disableAccount', 'server', 100);
  await w.stores.runbooks.create(
    tenantId,
    'two-platforms',
    {
      kind: 'offboarding',
      name: 'Reference and Okta',
      steps: ['reference', 'okta'].flatMap((platform) => [
        {
          id: `disable-${platform}`,
          platform,
          action: 'disableAccount',
          phase: 1,
          onFailure: 'continue',
          retry: { maximumAttempts: 3, initialInterval: '1 second' },
        },
        { id: `entitlements-${platform}`, platform, action: 'removeAllEntitlements', phase: 2, onFailure: 'continue' },
      ]),
    },
    'admin',
  );
  const result = await (await start(tenantId, subject, { runbookId: 'two-platforms' })).result();

  expect(result.status).toBe('completed-with-failures');
  expect(result.steps.find((s) => s.stepId === 'disable-okta')).toMatchObject({
    status: 'failed',
    attempts: 3,
    lastError: 'reference disableAccount failed (server)',
  });
  expect(result.needsHuman).toEqual([
    'okta: disableAccount for e-eve failed after 3 attempt(s) (reference disableAccount failed (server)); finish it by hand',
  ]);
  expect(w.reference.accounts.get('eve')?.enabled).toBe(false);
  expect(okta.accounts.get('eve')?.enabled).toBe(true);
  // Later phases still ran everywhere, the broken platform included.
  expect(okta.accounts.get('eve')?.entitlements).toEqual([]);
  expect(w.reference.accounts.get('eve')?.entitlements).toEqual([]);
});

it('hands credentials over instead of revoking them when the tenant policy says transfer', async () => {
  const tenantId = await w.tenant({ leaverCredentials: 'transfer', retentionDays: 0 });
  const result = await (await start(tenantId, seedLeaver(w.reference, 'fay'))).result();
  expect(w.reference.credentials.get('fay-key')?.status).toBe('active');
  expect(result.needsHuman).toEqual(['reference: hand access-key fay-key of e-fay to its new owner and rotate it']);
});

it('keeps running the runbook version it started with when the runbook is edited', async () => {
  const tenantId = await w.tenant({ retentionDays: 0 });
  const draft = (steps: string[]) => ({
    kind: 'offboarding',
    name: 'Pinned',
    steps: steps.map((action, i) => ({
      id: `s${i}`,
      platform: 'reference',
      action,
      phase: i + 1,
      onFailure: 'continue',
    })),
  });
  await w.stores.runbooks.create(tenantId, 'pinned', draft(['disableAccount']), 'admin');
  const now = await w.env.currentTimeMs();
  const handle = await start(tenantId, seedLeaver(w.reference, 'hal'), {
    runbookId: 'pinned',
    leaveDate: new Date(now + 5 * DAY).toISOString(),
  });
  await waitForProgress(handle, (p) => p.status === 'waiting');
  await w.stores.runbooks.update(tenantId, 'pinned', draft(['disableAccount', 'deleteAccount']), 'admin');
  const result = await handle.result();
  expect(result.runbook).toEqual({ id: 'pinned', version: 1 });
  expect(result.steps.map((s) => s.action)).toEqual(['disableAccount']);
  expect(w.reference.accounts.has('hal')).toBe(true);
});

it('stops at a failing halt step without undoing containment, and honours step delays', async () => {
  const tenantId = await w.tenant({ retentionDays: 30 });
  w.reference.seedAccount({ userName: 'ida', entitlements: [{ kind: 'group', id: 'finance' }] });
  w.reference.failNext('removeAllEntitlements', 'forbidden', 1);
  await w.stores.runbooks.create(
    tenantId,
    'halting',
    {
      kind: 'offboarding',
      name: 'Halting',
      steps: [
        { id: 'disable', platform: 'reference', action: 'disableAccount', phase: 1, onFailure: 'continue' },
        {
          id: 'revoke',
          platform: 'reference',
          action: 'revokeSessions',
          phase: 1,
          after: ['disable'],
          delay: '2 days',
          onFailure: 'continue',
        },
        { id: 'entitlements', platform: 'reference', action: 'removeAllEntitlements', phase: 2, onFailure: 'halt' },
        { id: 'delete', platform: 'reference', action: 'deleteAccount', phase: 3, onFailure: 'continue' },
      ],
    },
    'admin',
  );
  const startedAt = await w.env.currentTimeMs();
  const handle = await start(tenantId, { subjectId: 'e-ida', userName: 'ida' }, { runbookId: 'halting' });
  const result = await handle.result();
  expect(result.status).toBe('failed');
  expect(result.steps.map((s) => [s.stepId, s.status])).toEqual([
    ['disable', 'succeeded'],
    ['revoke', 'already-done'],
    ['entitlements', 'failed'],
    ['delete', 'skipped'],
  ]);
  expect(result.steps.find((s) => s.stepId === 'entitlements')).toMatchObject({
    attempts: 1,
    lastError: 'reference removeAllEntitlements failed (forbidden)',
  });
  // A leaver is never re-enabled: halt keeps what was done.
  expect(w.reference.accounts.get('ida')?.enabled).toBe(false);
  const times = await stepTimes(tenantId, handle.workflowId);
  expect(times['revoke:step-already-done']! - startedAt).toBeGreaterThanOrEqual(2 * DAY);
});

it('undoes what the run did when a compensate step fails', async () => {
  const tenantId = await w.tenant({ retentionDays: 0 });
  w.reference.seedAccount({ userName: 'jo' });
  w.reference.failNext('transferOwnership', 'forbidden', 1);
  await w.stores.runbooks.create(
    tenantId,
    'compensating',
    {
      kind: 'offboarding',
      name: 'Compensating',
      steps: [
        {
          id: 'quarantine',
          platform: 'reference',
          action: 'addEntitlement',
          phase: 1,
          onFailure: 'halt',
          params: { entitlement: { kind: 'group', id: 'quarantine' } },
        },
        { id: 'handover', platform: 'reference', action: 'transferOwnership', phase: 2, onFailure: 'compensate' },
      ],
    },
    'admin',
  );
  const result = await (
    await start(tenantId, { subjectId: 'e-jo', userName: 'jo', managerId: 'jo' }, { runbookId: 'compensating' })
  ).result();
  expect(result.status).toBe('failed');
  expect(result.steps.map((s) => [s.stepId, s.status])).toEqual([
    ['quarantine', 'compensated'],
    ['handover', 'failed'],
  ]);
  expect(w.reference.accounts.get('jo')?.entitlements).toEqual([]);
});
