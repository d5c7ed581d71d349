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
import { controlActivities } from './activity-proxies';

type EvidenceFields = Pick<EvidenceRecord, 'platform' | 'action' | 'outcome' | 'detail'> & { actor?: Actor };

/**
 * A lifecycle run's progress (answered by progressQuery) and its evidence trail.
 * Evidence keys are derived from the run and a counter, so a retried write is a no-op.
 */
export class RunRecorder {
  readonly progress: RunProgress;
  private sequence = 0;
  private readonly evidenceActivities = controlActivities<EvidenceActivities>();

  constructor(
    private readonly run: { tenantId: string; kind: RunbookKind; subjectId: string; requestedBy: Actor },
    initial?: RunProgress,
  ) {
    this.progress = initial ?? {
      tenantId: run.tenantId,
      kind: run.kind,
      subjectId: run.subjectId,
      status: 'running',
      steps: [],
      needsHuman: [],
    };
    setHandler(progressQuery, () => this.progress);
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
  async evidence(event: string, fields: EvidenceFields = {}): Promise<void> {
    const { workflowId, runId } = workflowInfo();
    this.sequence += 1;
    const { actor = this.run.requestedBy, ...rest } = fields;
    const record: EvidenceRecord = {
      tenantId: this.run.tenantId,
      runId: workflowId,
      kind: this.run.kind,
      subjectId: this.run.subjectId,
      at: new Date().toISOString(),
      actor: { id: actor.id, kind: actor.kind },
      event,
      ...rest,
    };
    await this.evidenceActivities.recordEvidence({ key: `${workflowId}/${runId}/${this.sequence}`, record });
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

  private startStep(stepId: string, platform: Platform, action: StepAction): StepProgress {
    let step = this.progress.steps.find((s) => s.stepId === stepId);
    if (!step) {
      step = { stepId, platform, action, status: 'pending', attempts: 0 };
      this.progress.steps.push(step);
    }
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
