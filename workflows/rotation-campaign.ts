import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  condition,
  continueAsNew,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { RotationCampaignActivities } from '../activities/rotation-campaign';
import type { TenantActivities } from '../activities/tenants';
import {
  DAY_MS,
  rotationSubjectKey,
  runWorkflowId,
  unencodedRotationSubjectKey,
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
import { myTaskQueues } from './support/queues';
import { RunRecorder } from './support/run-recorder';

export type CampaignCounts = Record<RotationOutcome | 'already-rotating', number>;

interface Candidate {
  platform: Platform;
  ownerId: string;
  credentialId: string;
  kind: CredentialInfo['kind'];
}

/** Where a campaign whose candidates stay in the store (store/rotation-candidates.ts) stands. */
interface StoredCandidates {
  campaignId: string;
  /** Platforms with stored chunks, in order. */
  sources: { platform: Platform; chunks: number }[];
  source: number;
  chunk: number;
  /** The chunk being worked through, and how far into it. */
  buffer: Candidate[];
  offset: number;
  due: number;
  /** Connected platforms that cannot list their credentials tenant-wide. */
  notEnumerable: Platform[];
}

/** What the campaign carries across continue-as-new. */
export interface RotationCampaignState {
  policy: TenantPolicy;
  /** Runs recorded before the candidates moved to the store carried them here; since then empty. */
  candidates: Candidate[];
  stored?: StoredCandidates;
  /** Active credentials found on the tenant's platforms (the brake's denominator). */
  activeCount: number;
  /** Index of the next candidate to start. */
  next: number;
  counts: CampaignCounts;
  goAhead?: { approvedBy: Actor; comment?: string };
  progress: RunProgress;
}

const DEFAULT_CONCURRENCY = 5;
/** patched() id: the inventory is taken on each platform's queue, page by page, and candidates stay in the store. */
const CANDIDATES_IN_STORE = 'candidates-in-store';
/** patched() id: children get the API's workflow id for the credential and the tenant's search attributes. */
const ONE_ROTATION_RUN = 'one-rotation-run';
/** patched() id: that id with its owner and credential parts encoded (shared/rotation.ts rotationSubjectKey). */
const ENCODED_ROTATION_IDS = 'encoded-rotation-ids';

/**
 * Finds every active credential older than the tenant's maximum age (or created
 * before the request's `createdBefore`) on the tenant's platforms and rotates each in its own child workflow, a bounded
 * number at a time. A child frees its slot when its active phase settles (it
 * signals), so grace periods do not hold the campaign. Too many rotations at once
 * trip the blast-radius brake.
 */
export async function rotationCampaign(
  request: RotationCampaignRequest,
  carried?: RotationCampaignState,
): Promise<CampaignCounts> {
  const state = carried ?? (await findCandidates(request));
  const recorder = new RunRecorder(
    {
      tenantId: request.tenantId,
      kind: 'credential-rotation',
      subjectId: 'rotation-campaign',
      requestedBy: request.requestedBy,
    },
    state.progress,
  );
  setHandler(blastRadiusGoAheadSignal, (goAhead) => void (state.goAhead ??= goAhead));
  if (!carried && state.stored?.notEnumerable.length) {
    const task = `${state.stored.notEnumerable.join(', ')}: no tenant-wide credential listing; rotate their credentials one by one (POST /rotations)`;
    recorder.needsHuman(task);
    await recorder.evidence('rotation-inventory-incomplete', {
      outcome: 'not-applicable',
      detail: { platforms: state.stored.notEnumerable },
    });
  }
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

  for (;;) {
    await condition(() => unsettled.size < concurrency);
    const candidate = await nextCandidate(request, state);
    if (!candidate) break;
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
  await recorder.evidence('rotation-campaign-finished', {
    outcome: recorder.progress.status,
    detail: { ...state.counts, candidates: dueCount(state) },
  });
  return state.counts;
}

/** The next candidate to rotate: from the state (runs before the store) or from the stored chunks, one chunk read at a time. */
async function nextCandidate(
  request: RotationCampaignRequest,
  state: RotationCampaignState,
): Promise<Candidate | undefined> {
  const s = state.stored;
  if (!s) return state.next < state.candidates.length ? state.candidates[state.next++] : undefined;
  while (s.offset >= s.buffer.length) {
    const source = s.sources[s.source];
    if (!source) return undefined;
    if (s.chunk >= source.chunks) {
      s.source += 1;
      s.chunk = 0;
      continue;
    }
    s.buffer = await controlActivities<RotationCampaignActivities>().rotationCandidates({
      tenantId: request.tenantId,
      campaignId: s.campaignId,
      platform: source.platform,
      chunk: s.chunk,
    });
    s.chunk += 1;
    s.offset = 0;
  }
  state.next += 1;
  return s.buffer[s.offset++];
}

function dueCount(state: RotationCampaignState): number {
  return state.stored ? state.stored.due : state.candidates.length;
}

async function findCandidates(request: RotationCampaignRequest): Promise<RotationCampaignState> {
  const tenants = controlActivities<TenantActivities>();
  const [policy, platforms] = await Promise.all([
    tenants.loadTenantPolicy(request.tenantId),
    tenants.loadTenantPlatforms(request.tenantId),
  ]);
  const cutoff = request.createdBefore
    ? Date.parse(request.createdBefore)
    : Date.now() - (request.maxAgeDays ?? policy.rotationMaxAgeDays) * DAY_MS;
  const counts: CampaignCounts = {
    rotated: 0,
    'rolled-back': 0,
    'manual-task-open': 0,
    failed: 0,
    'nothing-to-rotate': 0,
    'already-rotating': 0,
  };
  const progress: RunProgress = {
    tenantId: request.tenantId,
    kind: 'credential-rotation',
    subjectId: 'rotation-campaign',
    status: 'running',
    steps: [],
    needsHuman: [],
  };
  if (patched(CANDIDATES_IN_STORE)) {
    const { workflowId, firstExecutionRunId } = workflowInfo();
    const campaignId = `${workflowId}@${firstExecutionRunId}`;
    const inScope = platforms.filter((p) => supports(p, 'listCredentials'));
    const found = await Promise.all(
      inScope.map((platform) =>
        inventoryOn(platform).collectRotationCandidates({
          tenantId: request.tenantId,
          campaignId,
          platform,
          createdBefore: cutoff,
        }),
      ),
    );
    const stored: StoredCandidates = {
      campaignId,
      sources: inScope.map((platform, i) => ({ platform, chunks: found[i]!.chunks })).filter((s) => s.chunks > 0),
      source: 0,
      chunk: 0,
      buffer: [],
      offset: 0,
      due: found.reduce((sum, f) => sum + f.due, 0),
      notEnumerable: inScope.filter((_, i) => !found[i]!.enumerable),
    };
    return {
      policy,
      candidates: [],
      stored,
      activeCount: found.reduce((sum, f) => sum + f.active, 0),
      next: 0,
      counts,
      progress,
    };
  }
  const listed = await Promise.all(
    platforms
      .filter((p) => supports(p, 'listCredentials'))
      .map(async (p) => (await platformActivities(p).listCredentials({ tenantId: request.tenantId })).data ?? []),
  );
  const active = listed.flat().filter((c) => c.status === 'active');
  const candidates = active
    .filter((c) => c.createdAt !== undefined && Date.parse(c.createdAt) < cutoff)
    .map(({ platform, ownerId, id, kind }) => ({ platform, ownerId, credentialId: id, kind }));
  return { policy, candidates, activeCount: active.length, next: 0, counts, progress };
}

/** The inventory runs on the platform's own queue (its rate limit), resumable from its heartbeat. */
function inventoryOn(platform: Platform): Pick<RotationCampaignActivities, 'collectRotationCandidates'> {
  return proxyActivities<RotationCampaignActivities>({
    taskQueue: myTaskQueues().platform(platform),
    heartbeatTimeout: '1 minute',
    startToCloseTimeout: '30 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
  });
}

/** Rotating more than the tenant's share or count of its credentials at once waits for a human go-ahead. */
async function brakeIfTooMany(
  request: RotationCampaignRequest,
  state: RotationCampaignState,
  recorder: RunRecorder,
): Promise<void> {
  const active = state.activeCount;
  const { maxShare, maxCount } = state.policy.blastRadius;
  const due = dueCount(state);
  await recorder.evidence('rotation-candidates', { outcome: 'found', detail: { due, active } });
  if (due <= maxCount && (active === 0 || due / active <= maxShare)) return;
  const task = `blast-radius brake: ${due} of ${active} credentials are due for rotation (limit ${Math.round(maxShare * 100)}% or ${maxCount}); send go-ahead`;
  recorder.setStatus('paused');
  recorder.needsHuman(task);
  await recorder.evidence('blast-radius-brake', { outcome: 'paused', detail: { due, active, maxShare, maxCount } });
  await condition(() => state.goAhead !== undefined);
  recorder.resolved(task);
  recorder.setStatus('running');
  await recorder.evidence('blast-radius-go-ahead', {
    outcome: 'approved',
    actor: state.goAhead!.approvedBy,
    detail: { comment: state.goAhead!.comment },
  });
}

/** Starts one rotation; undefined when one for this credential is still running (e.g. in its grace period). */
async function startRotation(
  request: RotationCampaignRequest,
  c: Candidate,
): Promise<{ id: string; result: Promise<unknown> } | undefined> {
  const asTheApiDoes = patched(ONE_ROTATION_RUN);
  const subjectKey = !asTheApiDoes
    ? `${c.platform}/${c.ownerId}/${c.credentialId}`
    : patched(ENCODED_ROTATION_IDS)
      ? rotationSubjectKey(c)
      : unencodedRotationSubjectKey(c);
  const workflowId = runWorkflowId(request.tenantId, 'credential-rotation', subjectKey);
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
      args: [
        {
          tenantId: request.tenantId,
          requestedBy: request.requestedBy,
          credential: { platform: c.platform, ownerId: c.ownerId, credentialId: c.credentialId, kind: c.kind },
        },
      ],
    });
    return { id: workflowId, result: child.result() };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw err;
  }
}
