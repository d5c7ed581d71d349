import { ApplicationFailure } from '@temporalio/workflow';
import type { CredentialKind, OnboardingRequest, RunProgress } from '../shared';
import { Run } from './support/run';
import { runSteps, type StepContext, type StepOutcome } from './support/steps';

/**
 * The joiner runbook (seed: runbooks/onboarding.ts). Role profiles live in the
 * runbook: a step with `roleProfiles` runs only for those profiles. On the start
 * date (durable timer; a past date runs at once) accounts are created and
 * entitlements assigned; privileged ones wait for an approver (no answer by the
 * deadline = denied). A failing `halt` step undoes what the run created, newest
 * first (saga), so a half-provisioned joiner never stays behind.
 */
export async function onboarding(request: OnboardingRequest): Promise<RunProgress> {
  const run = await Run.start('onboarding', request);
  const steps = run.runbook.steps.filter((s) => !s.roleProfiles || s.roleProfiles.includes(request.roleProfile));
  const knownProfiles = new Set(run.runbook.steps.flatMap((s) => s.roleProfiles ?? []));
  if (knownProfiles.size > 0 && !knownProfiles.has(request.roleProfile)) {
    throw ApplicationFailure.create({
      type: 'UnknownRoleProfile',
      message: `runbook ${run.runbook.runbookId} v${run.runbook.version} has no role profile "${request.roleProfile}" (known: ${[...knownProfiles].join(', ')})`,
      nonRetryable: true,
    });
  }
  await run.stepsRunOn(request.startDate, 'start date');
  const { halted } = await runSteps(run, steps, {
    onHalt: 'compensate',
    handlers: { createCredential: (ctx) => joinerCredential(run, ctx) },
  });
  return run.finish(halted);
}

/**
 * A credential for the joiner's first sign-in (an Entra Temporary Access Pass): the platform activity puts
 * its value straight into the tenant's secret store; the run keeps only the reference and tells whoever
 * welcomes the joiner where to find it. Undone (deleted) if the run compensates.
 */
async function joinerCredential(run: Run, { step, call }: StepContext): Promise<StepOutcome> {
  const kind = step.params?.kind as CredentialKind;
  const ownerId = run.subject.accounts?.[step.platform] ?? run.subject.userName;
  const result = await call('createCredential', {
    ownerId,
    kind,
    description: `first sign-in of ${run.subject.subjectId}`,
    secretName: `onboarding/${run.subject.subjectId}/${step.platform}-${kind}`,
    idempotencyKey: `${run.workflowId}/${step.id}`,
  });
  const { credential, secretRef } = result.data ?? {};
  if (secretRef)
    run.needsHuman(
      `${step.platform}: give ${run.subject.subjectId} the ${kind} from secret ${secretRef.store}/${secretRef.name} (version ${secretRef.versionId ?? 'latest'}) on day one`,
    );
  return {
    status: result.outcome === 'done' ? 'succeeded' : 'already-done',
    detail: secretRef && `${kind} stored as ${secretRef.name}`,
    undo:
      credential && result.outcome === 'done'
        ? { step, action: 'deleteCredential', input: { ownerId, credentialId: credential.id } }
        : undefined,
  };
}
