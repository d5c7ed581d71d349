import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import {
  DAY_MS,
  type CredentialInfo,
  type LegalHold,
  type OffboardingRequest,
  type RunProgress,
  type Subject,
} from '../shared';
import { legalHoldSignal } from '../shared/messages';
import { Run } from './support/run';
import { runSteps, type StepContext, type StepOutcome } from './support/steps';

/**
 * The leaver runbook. Phases as the runbook lists them (seed: runbooks/offboarding.ts):
 *   1 contain      disable sign-in and revoke sessions on every platform, in parallel
 *   2 non-human    credentials and federation links the leaver owns: revoked, or handed over (tenant policy)
 *   3 entitlements groups, roles, licenses
 *   4 hand-over    owned data to the new owner (else the manager)
 *   5 retention    accounts deleted retentionDays after the leave date, unless a legal hold arrived
 * `standard` waits for the leave date (a past one runs at once: catch-up); `immediate`
 * (hostile termination) contains now. A failing platform never stops the others: it is
 * retried, then reported, and the run ends `completed-with-failures` with what a human must finish.
 */
export async function offboarding(request: OffboardingRequest): Promise<RunProgress> {
  let legalHold: LegalHold | undefined;
  setHandler(legalHoldSignal, (hold) => void (legalHold ??= hold));

  const run = await Run.start('offboarding', request);
  await run.stepsRunOn(request.mode === 'standard' ? request.leaveDate : undefined, 'leave date');
  // Retention counts from the leave date (from now when none was given); every platform's deletion shares one timer.
  const deleteAfter = (Date.parse(request.leaveDate ?? '') || Date.now()) + run.policy.retentionDays * DAY_MS;
  let retention: Promise<LegalHold | undefined> | undefined;
  const retentionOver = () => (retention ??= untilRetentionOver(deleteAfter, () => legalHold));

  const { halted } = await runSteps(run, run.runbook.steps, {
    onHalt: 'stop',
    handlers: {
      listCredentials: (ctx) => leaverCredentials(run, ctx),
      listFederationLinks: (ctx) => federationLinks(run, ctx),
      transferOwnership: (ctx) => handOverData(run, ctx),
      deleteAccount: (ctx) => deleteAfterRetention(run, ctx, retentionOver),
    },
  });
  return run.finish(halted);
}

/** Resolves when the retention period is over (no hold), or as soon as a legal hold arrives (the hold). */
async function untilRetentionOver(
  deleteAfter: number,
  hold: () => LegalHold | undefined,
): Promise<LegalHold | undefined> {
  const remaining = deleteAfter - Date.now();
  if (remaining > 0) await condition(() => hold() !== undefined, remaining);
  return hold();
}

/** Phase 2: every active credential the leaver owns is revoked, or handed over per tenant policy. */
async function leaverCredentials(run: Run, { step, call }: StepContext): Promise<StepOutcome> {
  const listed = await call('listCredentials', { subject: run.subject });
  const active = (listed.data ?? []).filter((c) => c.status === 'active');
  if (run.policy.leaverCredentials === 'transfer') {
    // A credential cannot change owner on most platforms: the new owner takes it over and rotates it.
    active.forEach((c) =>
      run.needsHuman(
        `${step.platform}: hand ${describe(c)} of ${run.subject.subjectId} to its new owner and rotate it`,
      ),
    );
    return {
      status: active.length ? 'succeeded' : 'already-done',
      detail: `${active.length} credential(s) for hand-over`,
    };
  }
  await settleAll(
    active.map((c) => call('deactivateCredential', { ownerId: c.ownerId, credentialId: c.id })),
    active.map(describe),
    'CredentialsNotRevoked',
  );
  return { status: active.length ? 'succeeded' : 'already-done', detail: `revoked ${active.length} credential(s)` };
}

async function federationLinks(run: Run, { call }: StepContext): Promise<StepOutcome> {
  const links = (await call('listFederationLinks', { subject: run.subject })).data ?? [];
  await settleAll(
    links.map((l) => call('removeFederationLink', { subject: run.subject, providerId: l.providerId })),
    links.map((l) => `link to ${l.providerId}`),
    'FederationLinksNotRemoved',
  );
  return { status: links.length ? 'succeeded' : 'already-done', detail: `removed ${links.length} federation link(s)` };
}

async function handOverData(run: Run<OffboardingRequest>, { call }: StepContext): Promise<StepOutcome> {
  const ownerId = run.request.newOwnerId ?? run.subject.managerId;
  if (!ownerId)
    throw ApplicationFailure.create({
      type: 'NoNewOwner',
      message: 'no newOwnerId and no manager to receive the data',
      nonRetryable: true,
    });
  const newOwner: Subject = { subjectId: ownerId, userName: ownerId };
  const result = await call('transferOwnership', { subject: run.subject, newOwner });
  return { status: result.outcome === 'done' ? 'succeeded' : 'already-done', detail: `data handed to ${ownerId}` };
}

async function deleteAfterRetention(
  run: Run,
  { call, waiting }: StepContext,
  retention: () => Promise<LegalHold | undefined>,
): Promise<StepOutcome> {
  const hold = await waiting(retention());
  if (hold) {
    await run.evidence('legal-hold', 'legal-hold', {
      actor: hold.placedBy,
      action: 'legal-hold',
      outcome: 'deletion-stopped',
      detail: { reason: hold.reason },
    });
    return { status: 'skipped', detail: `legal hold by ${hold.placedBy.id}: ${hold.reason}` };
  }
  const result = await call('deleteAccount', { subject: run.subject });
  return { status: result.outcome === 'done' ? 'succeeded' : 'already-done' };
}

/** Tries every item; if any failed, fails the step naming them (the others stay done). */
async function settleAll(calls: Promise<unknown>[], names: string[], type: string): Promise<void> {
  const failed = (await Promise.allSettled(calls)).flatMap((r, i) => (r.status === 'rejected' ? [names[i]] : []));
  if (failed.length)
    throw ApplicationFailure.create({ type, message: `not done: ${failed.join(', ')}`, nonRetryable: true });
}

function describe(c: CredentialInfo): string {
  return `${c.kind} ${c.id}`;
}
