import { ActivityFailure, ApplicationFailure, setHandler, workflowInfo } from '@temporalio/workflow';
import type { EvidenceActivities } from '../../activities/evidence';
import type {
  Actor,
  EvidenceRecord,
  Platform,
  RunbookKind,
  RunProgress,
  RunStatus,
  StepAction,
  StepProgress,
} from '../../shared';
import { progressQuery } from '../../shared/messages';
import { CONTAINMENT_PRIORITY, controlActivities } from './activity-proxies';
import { publishProgress } from './progress-publisher';

export type EvidenceFields = Pick<EvidenceRecord, 'platform' | 'action' | 'outcome' | 'detail'> & { actor?: Actor };

/** How an evidence record is written: under a key of its own (else the run's counter), ahead of other work. */
export interface EvidenceOptions {
  /** A stable name within the run (e.g. `<step>/succeeded`): a replayed or retried write is stored once. */
  key?: string;
  /** What a leaver's containment waits for goes first on the control queue. */
  urgent?: boolean;
}

/**
 * The one place a run tracks its progress (answered by progressQuery), the follow-ups a human must finish and
 * its evidence trail, for every workflow: the runbook runs (Run) and the campaigns, rotations, reviews and
 * elevations. Evidence keys are derived from the run and a counter or a stable name, so a retried write is a no-op.
 */
export class RunRecorder {
  readonly progress: RunProgress;
  private sequence = 0;
  private readonly evidenceActivities = controlActivities<EvidenceActivities>();
  private readonly urgentEvidence = controlActivities<EvidenceActivities>({
    priority: { priorityKey: CONTAINMENT_PRIORITY },
  });

  /** `view`: what the progress query answers, when the run derives more than it stores (status, pending approvals). */
  constructor(
    private readonly run: { tenantId: string; kind: RunbookKind; subjectId: string; requestedBy: Actor },
    initial?: RunProgress,
    view?: (progress: RunProgress) => RunProgress,
  ) {
    this.progress = initial ?? {
      tenantId: run.tenantId,
      kind: run.kind,
      subjectId: run.subjectId,
      status: 'running',
      steps: [],
      needsHuman: [],
    };
    const answer = view ? () => view(this.progress) : () => this.progress;
    setHandler(progressQuery, answer);
    // The same answer goes to the store's read model at the end of each workflow task that changed it.
    publishProgress(answer);
  }

  setStatus(status: RunStatus): void {
    this.progress.status = status;
  }

  needsHuman(task: string): void {
    if (!this.progress.needsHuman.includes(task)) this.progress.needsHuman.push(task);
  }

  resolved(task: string): void {
    this.progress.needsHuman = this.progress.needsHuman.filter((t) => t !== task);
  }

  /** Appends an evidence record; the actor is the requester unless the event names someone else. */
  async evidence(event: string, fields: EvidenceFields = {}, options: EvidenceOptions = {}): Promise<void> {
    const { workflowId, runId, firstExecutionRunId } = workflowInfo();
    const key = options.key
      ? `${workflowId}/${firstExecutionRunId}/${options.key}`
      : `${workflowId}/${runId}/${(this.sequence += 1)}`;
    const { actor = this.run.requestedBy, ...rest } = fields;
    const record: EvidenceRecord = {
      tenantId: this.run.tenantId,
      runId: workflowId,
      kind: this.run.kind,
      subjectId: this.run.subjectId,
      at: new Date().toISOString(),
      actor: { id: actor.id, kind: actor.kind, ...(actor.displayName ? { displayName: actor.displayName } : {}) },
      event,
      ...rest,
    };
    await (options.urgent ? this.urgentEvidence : this.evidenceActivities).recordEvidence({ key, record });
  }

  /** Runs one step, tracking its status for progressQuery and recording its outcome as evidence. */
  async step<T>(
    stepId: string,
    platform: Platform,
    action: StepAction,
    run: () => Promise<T>,
    detail?: Record<string, unknown>,
  ): Promise<T> {
    const step = this.startStep(stepId, platform, action);
    try {
      const result = await run();
      const outcome = (result as { outcome?: string } | undefined)?.outcome;
      step.status = outcome === 'already-done' ? 'already-done' : 'succeeded';
      step.finishedAt = new Date().toISOString();
      await this.evidence(stepId, { platform, action, outcome: step.status, detail });
      return result;
    } catch (err) {
      step.status = 'failed';
      step.lastError = failureMessage(err);
      step.finishedAt = new Date().toISOString();
      await this.evidence(stepId, {
        platform,
        action,
        outcome: 'failed',
        detail: { ...detail, error: step.lastError },
      });
      throw err;
    }
  }

  /** Marks a step that waits for a person (manual rotation, approval). */
  waiting(stepId: string, platform: Platform, action: StepAction): StepProgress {
    const step = this.startStep(stepId, platform, action);
    step.status = 'waiting';
    return step;
  }

  finish(step: StepProgress, status: StepProgress['status']): void {
    step.status = status;
    step.finishedAt = new Date().toISOString();
  }

  /** A step of the plan, pending until it starts, so the progress query shows the whole plan from the start. */
  plan(stepId: string, platform: Platform, action: StepAction): StepProgress {
    let step = this.progress.steps.find((s) => s.stepId === stepId);
    if (!step) {
      step = { stepId, platform, action, status: 'pending', attempts: 0 };
      this.progress.steps.push(step);
    }
    return step;
  }

  private startStep(stepId: string, platform: Platform, action: StepAction): StepProgress {
    const step = this.plan(stepId, platform, action);
    step.status = 'running';
    step.attempts += 1;
    step.startedAt = new Date().toISOString();
    return step;
  }
}

/** The one failure text of every run's progress and follow-ups: the root cause's message (an activity failure wraps the application failure that explains it), not the SDK wrapper's. */
export function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** The stable failure type of an activity's failure, for branching. */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
