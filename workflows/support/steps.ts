import { CancellationScope, CancelledFailure, isCancellation, patched, sleep } from '@temporalio/workflow';
import type { ActionInputs, ActionResult, PlatformAction, RunbookStep, StepProgress } from '../../shared';
import { platformCaller, type PlatformCall } from './activities';
import { CONTAINMENT_PRIORITY } from './activity-proxies';
import { failureMessage } from './run-recorder';
import type { Run } from './run';

/** What a step did when it did not fail. */
export interface StepOutcome {
  status: 'succeeded' | 'already-done' | 'skipped';
  detail?: string;
  /** How to undo it if the run compensates (saga). */
  undo?: Compensation;
}

export interface Compensation {
  step: RunbookStep;
  action: PlatformAction;
  input: ActionInputs[PlatformAction];
}

export interface StepContext {
  step: RunbookStep;
  call: PlatformCall;
  /** Marks the step waiting (a timer, a hold) while `promise` runs. */
  waiting: <T>(promise: Promise<T>) => Promise<T>;
}

/** Replaces a step's single activity call: actions that expand (list → revoke each) or need run state. */
export type StepHandler = (ctx: StepContext) => Promise<StepOutcome>;

export interface StepHooks {
  handlers?: Partial<Record<PlatformAction, StepHandler>>;
  /** What a `halt` does to the work already done: offboarding keeps it (a leaver is never re-enabled), onboarding undoes it. */
  onHalt: 'stop' | 'compensate';
}

/**
 * patched() id: a step whose action can be undone, in flight when the run is cancelled, finishes (its result
 * and evidence kept) before the run undoes what it did; runs recorded before it cancelled the activity and
 * never learned whether it had created anything.
 */
const UNDOABLE_STEPS_SETTLE = 'undoable-steps-settle';

/**
 * Containment (sign-in off, sessions killed) and its evidence go ahead of every other task waiting on a
 * platform's or the control queue (CONTAINMENT_PRIORITY): a burst of leavers is contained everywhere before
 * the later phases of earlier runs (credential listings, entitlements, deletion) take the platform's rate limit
 * or the store. Only the order of waiting tasks changes, not the history's shape.
 */
const CONTAINMENT: ReadonlySet<PlatformAction> = new Set(['disableAccount', 'revokeSessions']);

/**
 * Runs a runbook's steps: phases in order, steps of a phase in parallel, `after`
 * dependencies honoured; per step an optional delay (durable timer) and approval
 * gate, then the platform action. A failure is recorded and, per the step's
 * `onFailure`, the run goes on (`continue`: steps after it still run; revoking
 * sessions is worth trying even where disabling failed), stops (`halt`) or stops and undoes
 * what it did in reverse order (`compensate`). Returns whether the run halted;
 * a cancelled run compensates as a halt would, then ends cancelled. A cancel waits for an undoable step
 * in flight (create, grant, enable) to settle, so what it did is undone too: an account created at the
 * moment of the cancel never stays behind.
 */
export async function runSteps(
  run: Run,
  steps: readonly RunbookStep[],
  hooks: StepHooks,
): Promise<{ halted: boolean }> {
  const settle = patched(UNDOABLE_STEPS_SETTLE);
  const progress = new Map(steps.map((s) => [s.id, run.track(s)]));
  const started = new Map<string, Promise<void>>();
  const undo: Compensation[] = [];
  let halt: 'stop' | 'compensate' | undefined;
  let cancelled: Error | undefined;

  const prerequisites = (step: RunbookStep) =>
    steps.filter((other) => (other.phase ?? 1) < (step.phase ?? 1) || step.after?.includes(other.id));

  const execute = async (step: RunbookStep): Promise<void> => {
    await Promise.all(prerequisites(step).map(start));
    const p = progress.get(step.id)!;
    if (halt) return finish(p, 'skipped', 'run halted before this step');
    try {
      const outcome = await runStep(run, step, p, hooks.handlers?.[step.action], settle);
      if (outcome.undo) undo.push(outcome.undo);
    } catch (err) {
      if (isCancellation(err)) {
        // Cancelling the run (API) ends it like a halt: onboarding undoes its work, offboarding keeps containment.
        cancelled ??= err as Error;
        halt ??= hooks.onHalt;
        return finish(p, 'skipped', 'run cancelled');
      }
      await stepFailed(run, step, p, err);
      if (step.onFailure !== 'continue') halt = step.onFailure === 'compensate' ? 'compensate' : hooks.onHalt;
    }
  };
  const start = (step: RunbookStep): Promise<void> => {
    if (!started.has(step.id)) started.set(step.id, execute(step));
    return started.get(step.id)!;
  };

  await Promise.all(steps.map(start));
  if (settle && !cancelled && CancellationScope.current().consideredCancelled) {
    // Cancelled while the last steps settled: nothing else noticed.
    cancelled = new CancelledFailure('run cancelled');
    halt ??= hooks.onHalt;
  }
  if (halt === 'compensate') await CancellationScope.nonCancellable(() => compensate(run, undo.reverse(), progress));
  if (cancelled) throw cancelled;
  return { halted: halt !== undefined };
}

async function runStep(
  run: Run,
  step: RunbookStep,
  p: StepProgress,
  handler: StepHandler | undefined,
  settle: boolean,
): Promise<StepOutcome> {
  const waiting = async <T>(promise: Promise<T>): Promise<T> => {
    p.status = 'waiting';
    const value = await promise;
    p.status = 'running';
    return value;
  };
  const due = run.untilStepDue(step);
  if (due) await waiting(due);
  if (step.delay) await waiting(sleep(step.delay));
  if (step.approval) {
    p.status = 'waiting';
    const decision = await run.approval({ ...step, approval: step.approval });
    await run.evidence(decision?.approved ? 'approved' : 'denied', `${step.id}/approval`, {
      actor: decision?.approver ?? { id: 'timer', kind: 'system' },
      action: 'approval',
      platform: step.platform,
      outcome: decision ? (decision.approved ? 'approved' : 'denied') : 'expired',
      detail: { stepId: step.id, comment: decision?.comment },
    });
    if (!decision?.approved) {
      const detail = decision
        ? `denied by ${decision.approver.id}`
        : `no approval within ${step.approval.timeout}: denied`;
      finish(p, 'skipped', detail);
      return { status: 'skipped', detail };
    }
  }
  if (!(settle && UNDOABLE.has(step.action))) return act(run, step, p, handler, waiting);
  if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('run cancelled before this step');
  return CancellationScope.nonCancellable(() => act(run, step, p, handler, waiting));
}

/** The step's platform action (or its handler), its progress and its evidence. */
async function act(
  run: Run,
  step: RunbookStep,
  p: StepProgress,
  handler: StepHandler | undefined,
  waiting: StepContext['waiting'],
): Promise<StepOutcome> {
  p.status = 'running';
  p.startedAt = new Date().toISOString();
  const attempts = { count: 0 };
  const call = platformCaller(
    step.platform,
    { tenantId: run.request.tenantId, runId: run.workflowId, stepId: step.id },
    step.retry,
    attempts,
    CONTAINMENT.has(step.action) ? CONTAINMENT_PRIORITY : undefined,
  );
  try {
    const outcome = handler ? await handler({ step, call, waiting }) : await callAction(run, step, call);
    p.attempts = attempts.count;
    finish(p, outcome.status, outcome.detail);
    await run.evidence(
      `step-${outcome.status}`,
      `${step.id}/${outcome.status}`,
      {
        platform: step.platform,
        action: step.action,
        outcome: outcome.status,
        detail: { stepId: step.id, detail: outcome.detail, attempts: p.attempts },
      },
      CONTAINMENT.has(step.action),
    );
    return outcome;
  } finally {
    p.attempts = attempts.count;
  }
}

/** The default step: one action with the subject and the step's params; undoable actions carry their undo. */
async function callAction(run: Run, step: RunbookStep, call: PlatformCall): Promise<StepOutcome> {
  const input = (
    step.action === 'notify' ? run.notification(step) : { subject: run.subject, ...step.params }
  ) as ActionInputs[PlatformAction];
  const result: ActionResult<unknown> = await call(step.action, input);
  const status =
    result.outcome === 'done' ? 'succeeded' : result.outcome === 'already-done' ? 'already-done' : 'skipped';
  // Only what this run did is undone: an account that already existed stays.
  const inverse = result.outcome === 'done' ? INVERSE[step.action] : undefined;
  return { status, detail: result.detail, undo: inverse && { step, action: inverse, input } };
}

const INVERSE: Partial<Record<PlatformAction, PlatformAction>> = {
  createAccount: 'deleteAccount',
  addEntitlement: 'removeEntitlement',
  enableAccount: 'disableAccount',
};

/** Actions whose effect a run undoes when it compensates: a cancel lets them settle first. */
const UNDOABLE = new Set<PlatformAction>([...(Object.keys(INVERSE) as PlatformAction[]), 'createCredential']);

async function stepFailed(run: Run, step: RunbookStep, p: StepProgress, err: unknown): Promise<void> {
  const reason = failureMessage(err);
  p.lastError = reason;
  finish(p, 'failed');
  run.needsHuman(
    `${step.platform}: ${step.action} for ${run.subject.subjectId} failed after ${p.attempts} attempt(s) (${reason}); finish it by hand`,
  );
  await run.evidence('step-failed', `${step.id}/failed`, {
    platform: step.platform,
    action: step.action,
    outcome: 'failed',
    detail: { stepId: step.id, error: reason, attempts: p.attempts },
  });
}

/** Saga: undo in reverse order; an undo that fails is left to a human, the others still run. */
async function compensate(run: Run, undo: Compensation[], progress: Map<string, StepProgress>): Promise<void> {
  for (const { step, action, input } of undo) {
    const p = progress.get(step.id)!;
    const call = platformCaller(
      step.platform,
      { tenantId: run.request.tenantId, runId: run.workflowId, stepId: `${step.id}-undo` },
      step.retry,
      { count: 0 },
    );
    try {
      await call(action, input);
      finish(p, 'compensated', `undone by ${action}`);
      await run.evidence('step-compensated', `${step.id}/compensated`, {
        platform: step.platform,
        action,
        outcome: 'compensated',
        detail: { stepId: step.id },
      });
    } catch (err) {
      run.needsHuman(
        `${step.platform}: undo ${step.action} for ${run.subject.subjectId} with ${action} failed (${failureMessage(err)}); undo it by hand`,
      );
    }
  }
}

function finish(p: StepProgress, status: StepProgress['status'], detail?: string): void {
  p.status = status;
  p.finishedAt = new Date().toISOString();
  if (detail) p.detail = detail;
}
