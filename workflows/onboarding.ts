import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { OnboardingRequest, RunProgress } from '../shared';
import { Run } from './support/run';
import { DATE_RELATIVE_STEPS, runSteps } from './support/steps';

/**
 * The joiner runbook (seed: store/seeds/onboarding.ts). Role profiles live in the
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
  // Each step waits for its own time (offsetDays from the start date); runs started before that waited for the date here.
  if (patched(DATE_RELATIVE_STEPS)) run.countStepsFrom(request.startDate);
  else await run.waitUntil(request.startDate, 'start date');
  const { halted } = await runSteps(run, steps, { onHalt: 'compensate' });
  return run.finish(halted);
}
