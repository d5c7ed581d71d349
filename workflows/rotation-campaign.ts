import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { condition, continueAsNew, ParentClosePolicy, patched, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import type { TenantActivities } from '../activities/tenants';
import {
  DAY_MS,
  rotationSubjectKey,
  runWorkflowId,
  supports,
  type Actor,
  type CredentialInfo,
  type Platform,
  type RotationCampaignRequest,
  type RotationOutcome,
  type RunProgress,
  type TenantPolicy,
} from '../shared';
import { blastRadiusGoAheadSignal, rotationSettledSignal } from '../shared/messages';
import { RUNBOOK_KIND, SUBJECT_ID, TENANT_ID } from '../shared/search-attributes';
import { credentialRotation } from './credential-rotation';
import { platformActivities, controlActivities } from './support/activity-proxies';
import { RunRecorder } from './support/run-recorder';

export type CampaignCounts = Record<RotationOutcome | 'already-rotating', number>;

interface Candidate {
  platform: Platform;
  ownerId: string;
  credentialId: string;
  kind: CredentialInfo['kind'];
}

/** What the campaign carries across continue-as-new. */
export interface RotationCampaignState {
  policy: TenantPolicy;
  candidates: Candidate[];
  /** Active credentials found on the tenant's platforms (the brake's denominator). */
  activeCount: number;
  /** Index of the next candidate to start. */
  next: number;
  counts: CampaignCounts;
  goAhead?: { approvedBy: Actor; comment?: string };
  progress: RunProgress;
}

const DEFAULT_CONCURRENCY = 5;
/** patched() id: children get the API's workflow id for the credential and the tenant's search attributes. */
const ONE_ROTATION_RUN = 'one-rotation-run';

/**
 * Finds every active credential older than the tenant's maximum age (or created
 * before the request's `createdBefore`) on the tenant's platforms and rotates each in its own child workflow, a bounded
 * number at a time. A child frees its slot when its active phase settles (it
 * signals), so grace periods do not hold the campaign. Too many rotations at once
 * trip the blast-radius brake.
 */
export async function rotationCampaign(request: RotationCampaignRequest, carried?: RotationCampaignState): Promise<CampaignCounts> {
  const state = carried ?? (await findCandidates(request));
  const recorder = new RunRecorder({ tenantId: request.tenantId, kind: 'credential-rotation', subjectId: 'rotation-campaign', requestedBy: request.requestedBy }, state.progress);
  setHandler(blastRadiusGoAheadSignal, (goAhead) => void (state.goAhead ??= goAhead));
  if (!carried) await brakeIfTooMany(request, state, recorder);

  const unsettled = new Set<string>();
  // A signal handled before its child's start resolved is kept until the child is tracked.
  const settledEarly = new Map<string, RotationOutcome>();
  const settle = (key: string, outcome: RotationOutcome) => {
    if (unsettled.delete(key)) state.counts[outcome] += 1;
    else settledEarly.set(key, outcome);
  };
  const track = (key: string) => {
    unsettled.add(key);
    const early = settledEarly.get(key);
    if (early) settle(key, early);
  };
  setHandler(rotationSettledSignal, ({ credentialKey, outcome }) => settle(credentialKey, outcome));
  const concurrency = request.concurrency ?? DEFAULT_CONCURRENCY;

  while (state.next < state.candidates.length) {
    await condition(() => unsettled.size < concurrency);
    const candidate = state.candidates[state.next]!;
    state.next += 1;
    const rotation = await startRotation(request, candidate);
    if (!rotation) state.counts['already-rotating'] += 1;
    else {
      track(rotation.id);
      // A child that fails before it could signal (e.g. the platform refused the new key) settles as failed.
      void rotation.result.catch(() => settle(rotation.id, 'failed'));
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(() => unsettled.size === 0);
      await continueAsNew<typeof rotationCampaign>(request, state);
    }
  }
  await condition(() => unsettled.size === 0);
  recorder.setStatus(state.counts.failed + state.counts['rolled-back'] > 0 ? 'completed-with-failures' : 'completed');
  await recorder.evidence('rotation-campaign-finished', { outcome: recorder.progress.status, detail: { ...state.counts, candidates: state.candidates.length } });
  return state.counts;
}

async function findCandidates(request: RotationCampaignRequest): Promise<RotationCampaignState> {
  const tenants = controlActivities<TenantActivities>();
  const [policy, platforms] = await Promise.all([tenants.loadTenantPolicy(request.tenantId), tenants.loadTenantPlatforms(request.tenantId)]);
  const cutoff = request.createdBefore ? Date.parse(request.createdBefore) : Date.now() - (request.maxAgeDays ?? policy.rotationMaxAgeDays) * DAY_MS;
  const listed = await Promise.all(
    platforms.filter((p) => supports(p, 'listCredentials')).map(async (p) => (await platformActivities(p).listCredentials({ tenantId: request.tenantId })).data ?? []),
  );
  const active = listed.flat().filter((c) => c.status === 'active');
  const candidates = active
    .filter((c) => c.createdAt !== undefined && Date.parse(c.createdAt) < cutoff)
    .map(({ platform, ownerId, id, kind }) => ({ platform, ownerId, credentialId: id, kind }));
  const counts: CampaignCounts = { rotated: 0, 'rolled-back': 0, 'manual-task-open': 0, failed: 0, 'nothing-to-rotate': 0, 'already-rotating': 0 };
  const progress: RunProgress = { tenantId: request.tenantId, kind: 'credential-rotation', subjectId: 'rotation-campaign', status: 'running', steps: [], needsHuman: [] };
  return { policy, candidates, activeCount: active.length, next: 0, counts, progress };
}

/** Rotating more than the tenant's share or count of its credentials at once waits for a human go-ahead. */
async function brakeIfTooMany(request: RotationCampaignRequest, state: RotationCampaignState, recorder: RunRecorder): Promise<void> {
  const active = state.activeCount;
  const { maxShare, maxCount } = state.policy.blastRadius;
  const due = state.candidates.length;
  await recorder.evidence('rotation-candidates', { outcome: 'found', detail: { due, active } });
  if (due <= maxCount && (active === 0 || due / active <= maxShare)) return;
  const task = `blast-radius brake: ${due} of ${active} credentials are due for rotation (limit ${Math.round(maxShare * 100)}% or ${maxCount}); send go-ahead`;
  recorder.setStatus('paused');
  recorder.needHuman(task);
  await recorder.evidence('blast-radius-brake', { outcome: 'paused', detail: { due, active, maxShare, maxCount } });
  await condition(() => state.goAhead !== undefined);
  recorder.resolved(task);
  recorder.setStatus('running');
  await recorder.evidence('blast-radius-go-ahead', { outcome: 'approved', actor: state.goAhead!.approvedBy, detail: { comment: state.goAhead!.comment } });
}

/** Starts one rotation; undefined when one for this credential is still running (e.g. in its grace period). */
async function startRotation(request: RotationCampaignRequest, c: Candidate): Promise<{ id: string; result: Promise<unknown> } | undefined> {
  const asTheApiDoes = patched(ONE_ROTATION_RUN);
  const workflowId = runWorkflowId(request.tenantId, 'credential-rotation', asTheApiDoes ? rotationSubjectKey(c) : `${c.platform}/${c.ownerId}/${c.credentialId}`);
  try {
    const child = await startChild(credentialRotation, {
      workflowId,
      // Listed, cancelled and exported through the API like a rotation it started.
      ...(asTheApiDoes
        ? {
            typedSearchAttributes: [
              { key: TENANT_ID, value: request.tenantId },
              { key: RUNBOOK_KIND, value: 'credential-rotation' },
              { key: SUBJECT_ID, value: c.ownerId },
            ],
          }
        : {}),
      // Grace periods outlive the campaign run.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [{ tenantId: request.tenantId, requestedBy: request.requestedBy, credential: { platform: c.platform, ownerId: c.ownerId, credentialId: c.credentialId, kind: c.kind } }],
    });
    return { id: workflowId, result: child.result() };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw err;
  }
}
