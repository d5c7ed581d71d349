/** The rotation campaign on the time-skipping server: finds old credentials, rotates them as child workflows, brakes. */
import type { ReferencePlatform } from '../activities/platforms/reference';
import { rotationSubjectKey, runWorkflowId, type CredentialInfo } from '../shared';
import { RUNBOOK_KIND, SUBJECT_ID, TENANT_ID } from '../shared/search-attributes';
import { blastRadiusGoAheadSignal, progressQuery } from '../shared/messages';
import { type credentialRotation } from '../workflows/credential-rotation';
import { rotationCampaign } from '../workflows/rotation-campaign';
import { historyText, keepHistory } from './support/histories';
import { lifecycleOnTimeSkipping } from './support/lifecycle-workers';
import { uniqueQueue } from './support/servers';
import { waitFor } from './support/poll';

const t = lifecycleOnTimeSkipping('campaign');

const requestedBy = { id: 'rotation-schedule', kind: 'schedule' as const };
const DAY = 86_400_000;

/** `old` credentials created 200 days ago and `fresh` ones created yesterday, each owned by its own service account. */
function seedCredentials(
  platform: ReferencePlatform,
  old: number,
  fresh: number,
): { old: CredentialInfo[]; fresh: CredentialInfo[] } {
  const seed = (ageDays: number) => {
    const ownerId = uniqueQueue('svc');
    platform.seedAccount({ userName: ownerId, kind: 'service' });
    return platform.seedCredential({
      id: uniqueQueue('key'),
      kind: 'access-key',
      ownerId,
      status: 'active',
      createdAt: new Date(Date.now() - ageDays * DAY).toISOString(),
    });
  };
  return { old: Array.from({ length: old }, () => seed(200)), fresh: Array.from({ length: fresh }, () => seed(1)) };
}

it('rotates every credential older than the maximum age, a bounded number at a time, and leaves fresh ones alone', async () => {
  const tenantId = uniqueQueue('t');
  const platform = await t.lc.createTenant(tenantId, {
    rotationMaxAgeDays: 90,
    blastRadius: { maxShare: 1, maxCount: 1000 },
  });
  const { old, fresh } = seedCredentials(platform, 4, 2);

  const handle = await t.env.client.workflow.start(rotationCampaign, {
    args: [{ tenantId, requestedBy, concurrency: 2 }],
    taskQueue: t.lc.queues.workflows,
    workflowId: uniqueQueue('campaign'),
  });
  const counts = await handle.result();
  expect(counts).toMatchObject({ rotated: 4, failed: 0, 'rolled-back': 0 });

  // Each old key's rotation finishes its grace period on its own, after the campaign.
  for (const credential of old) {
    // The id the API gives a rotation of this credential (a start through the API joins this run), and the tenant's search attributes.
    const child = t.env.client.workflow.getHandle<typeof credentialRotation>(
      runWorkflowId(
        tenantId,
        'credential-rotation',
        rotationSubjectKey({ ...credential, credentialId: credential.id }),
      ),
    );
    expect(await child.result()).toMatchObject({ outcome: 'rotated', oldCredentialId: credential.id });
    const attributes = (await child.describe()).typedSearchAttributes;
    expect([attributes.get(TENANT_ID), attributes.get(RUNBOOK_KIND), attributes.get(SUBJECT_ID)]).toEqual([
      tenantId,
      'credential-rotation',
      credential.ownerId,
    ]);
    expect(platform.credentials.has(credential.id)).toBe(false);
    expect(platform.credentialsOf(credential.ownerId)).toHaveLength(1);
  }
  for (const credential of fresh) expect(platform.credentials.get(credential.id)?.status).toBe('active');
  // The inventory stayed in the store: the campaign's history names the credentials it rotated, never the others.
  const history = await historyText(handle);
  for (const credential of old) expect(history).toContain(credential.id);
  for (const credential of fresh) expect(history).not.toContain(credential.id);
  await keepHistory('rotation-campaign-encoded-ids', handle);
});

it('pauses at the blast-radius brake when too many credentials are due, and goes on after the go-ahead', async () => {
  const tenantId = uniqueQueue('t');
  // 0 share and count: any due rotation brakes.
  const platform = await t.lc.createTenant(tenantId, {
    rotationMaxAgeDays: 90,
    blastRadius: { maxShare: 0, maxCount: 0 },
  });
  const { old } = seedCredentials(platform, 2, 1);
  const handle = await t.env.client.workflow.start(rotationCampaign, {
    args: [{ tenantId, requestedBy }],
    taskQueue: t.lc.queues.workflows,
    workflowId: uniqueQueue('campaign'),
  });
  const paused = await waitFor(
    () => handle.query(progressQuery),
    (p) => p.status === 'paused',
  );
  expect(paused.needsHuman[0]).toMatch(/^blast-radius brake: 2 of 3 credentials are due/);
  expect(platform.credentialsOf(old[0]!.ownerId)).toHaveLength(1); // nothing rotated while paused

  await handle.signal(blastRadiusGoAheadSignal, { approvedBy: { id: 'ciso', kind: 'user' } });
  const counts = await handle.result();
  expect(counts.rotated).toBe(2);
  const events = (await t.lc.evidence.forRun(tenantId, handle.workflowId)).map((e) => `${e.event}:${e.actor.id}`);
  expect(events).toEqual([
    'rotation-candidates:rotation-schedule',
    'blast-radius-brake:rotation-schedule',
    'blast-radius-go-ahead:ciso',
    'rotation-campaign-finished:rotation-schedule',
  ]);
});

it('gives every credential its own rotation id, even when an owner id holds the separator', () => {
  const url = rotationSubjectKey({
    platform: 'keycloak',
    ownerId: 'https://apps.example/billing',
    credentialId: 'client-secret@1',
  });
  const lookalike = rotationSubjectKey({
    platform: 'keycloak',
    ownerId: 'https:',
    credentialId: '//apps.example/billing/client-secret@1',
  });
  expect(url).not.toBe(lookalike);
  expect(url).toBe('keycloak:https%3A%2F%2Fapps.example%2Fbilling/client-secret%401');
});
