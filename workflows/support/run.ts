import {
  ApplicationFailure,
  condition,
  patched,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  approvalRefusal,
  DAY_MS,
  type ActionInputs,
  type Actor,
  type ApprovalDecision,
  type PendingApproval,
  type RunbookKind,
  type RunbookStep,
  type RunProgress,
  type RunStatus,
  type StepProgress,
  type Subject,
  type TenantPolicy,
} from '../../shared';
import type { Runbook } from '../../shared/runbooks';
import { approvalUpdate } from '../../shared/messages';
import { RUNBOOK_KIND, SUBJECT_ID, TENANT_ID } from '../../shared/search-attributes';
import { controlActivities } from './activities';
import { CONTAINMENT_PRIORITY } from './activity-proxies';
import { approverRecipients, besideTheWait, notifyIfConnected } from './notices';
import { RunRecorder, type EvidenceFields } from './run-recorder';

/** patched() id: steps wait for the leave or start date themselves, moved by offsetDays. */
const DATE_RELATIVE_STEPS = 'date-relative-steps';
/** patched() id: a gated step tells its approvers on Slack or Teams when it starts waiting. */
const NOTIFY_APPROVERS = 'notify-approvers';

export interface RunRequest {
  tenantId: string;
  requestedBy: Actor;
  runbookId?: string;
  subject: Subject;
}

/**
 * A runbook run (offboarding, onboarding), typed by its request: its pinned runbook and tenant policy, approval
 * gates (the `approval` update), the step dates. Progress, follow-ups and evidence are kept by the RunRecorder every
 * workflow uses; the progress query adds the status and pending approvals this run derives. Handlers are
 * registered before the first await, so queries and updates work from the first workflow task.
 */
export class Run<R extends RunRequest = RunRequest> {
  private readonly recorder: RunRecorder;
  runbook!: Runbook;
  policy!: TenantPolicy;
  private readonly control = controlActivities();
  /** The control calls a leaver's containment waits for: its runbook, policy and containment evidence. */
  private readonly urgentControl = controlActivities(CONTAINMENT_PRIORITY);
  private readonly gates = new Map<string, RunbookStep>();
  private readonly decisions = new Map<string, ApprovalDecision>();
  private waitingFor?: string;
  private finalStatus?: RunStatus;
  /** The leave or start date steps count from (offsetDays), once the workflow set it. */
  private stepsDate?: number;
  /** One timer per distinct step time, shared by the steps due then. */
  private readonly stepTimers = new Map<number, Promise<void>>();

  private constructor(
    readonly kind: RunbookKind,
    readonly request: R,
  ) {
    this.recorder = new RunRecorder(
      { tenantId: request.tenantId, kind, subjectId: request.subject.subjectId, requestedBy: request.requestedBy },
      undefined,
      (progress) => ({
        ...progress,
        status: this.status(),
        pendingApprovals: [...this.gates.values()].map((step) => this.pendingApproval(step)),
      }),
    );
    setHandler(approvalUpdate, (decision) => this.decide(decision), {
      validator: (decision: ApprovalDecision) => void this.gateFor(decision),
    });
  }

  /** Registers handlers and search attributes, then loads the runbook (pinned from here on) and the tenant policy. */
  static async start<R extends RunRequest>(kind: RunbookKind, request: R): Promise<Run<R>> {
    const run = new Run(kind, request);
    run.upsertMissingSearchAttributes();
    // An offboarding's containment waits for these: they go ahead of other runs' later phases.
    const control = kind === 'offboarding' ? run.urgentControl : run.control;
    const [runbook, tenantPolicy] = await Promise.all([
      control.loadRunbook(request.tenantId, kind, request.runbookId),
      control.loadTenantPolicy(request.tenantId),
    ]);
    run.runbook = runbook;
    // A runbook's policy values win over the tenant's (e.g. shorter retention for contractors); approvers stay the tenant's.
    run.policy = { ...tenantPolicy, ...runbook.policy, approvers: tenantPolicy.approvers };
    run.progress.runbook = { id: run.runbook.runbookId, version: run.runbook.version };
    await run.evidence(
      'requested',
      'run-requested',
      { detail: { runbook: run.progress.runbook, ...reasonOf(request) } },
      kind === 'offboarding',
    );
    return run;
  }

  get subject(): Subject {
    return this.request.subject;
  }

  /** What the progress query shows (the steps, the follow-ups), kept by the recorder. */
  get progress(): RunProgress {
    return this.recorder.progress;
  }

  get workflowId(): string {
    return workflowInfo().workflowId;
  }

  /** Registers a step in progress (pending) so the query shows the whole plan from the start. */
  track(step: RunbookStep): StepProgress {
    return this.recorder.plan(step.id, step.platform, step.action);
  }

  /** The input of a `notify` step: where the run stands and what a human must finish. */
  notification(step: RunbookStep): ActionInputs['notify'] {
    const done = this.progress.steps.filter((s) => s.status === 'succeeded' || s.status === 'already-done').length;
    return {
      runId: this.workflowId,
      status: this.status(),
      summary: `${this.kind} of ${this.subject.subjectId}: ${done} of ${this.progress.steps.length} steps done`,
      needsHuman: [...this.progress.needsHuman],
      ...step.params,
    };
  }

  needsHuman(task: string): void {
    this.recorder.needsHuman(task);
  }

  /**
   * Steps run on the leave or start date (now when there is none; at once when it is past: catch-up), each
   * moved by its offsetDays and waiting for its own time. Runs recorded before dated steps waited here, on
   * one timer, for the date itself; progress showed what they waited for.
   */
  async stepsRunOn(isoTime: string | undefined, waitingFor: string): Promise<void> {
    if (patched(DATE_RELATIVE_STEPS)) {
      this.stepsDate = Date.parse(isoTime ?? '') || Date.now();
      return;
    }
    const ms = isoTime ? Date.parse(isoTime) - Date.now() : 0;
    if (!(ms > 0)) return;
    this.waitingFor = waitingFor;
    await sleep(ms);
    this.waitingFor = undefined;
  }

  /** A durable timer until the step is due, or undefined when it is due now (or the run has no step date). */
  untilStepDue(step: RunbookStep): Promise<void> | undefined {
    if (this.stepsDate === undefined) return undefined;
    const due = this.stepsDate + (step.offsetDays ?? 0) * DAY_MS;
    if (due <= Date.now()) return undefined;
    if (!this.stepTimers.has(due)) this.stepTimers.set(due, sleep(due - Date.now()));
    return this.stepTimers.get(due);
  }

  /** Waits for an approver's decision on a gated step; no decision by the timeout = denied. */
  async approval(
    step: RunbookStep & { approval: NonNullable<RunbookStep['approval']> },
  ): Promise<ApprovalDecision | undefined> {
    this.gates.set(step.id, step);
    if (patched(NOTIFY_APPROVERS)) besideTheWait(() => this.notifyApprovers(step));
    await condition(() => this.decisions.has(step.id), step.approval.timeout);
    this.gates.delete(step.id);
    return this.decisions.get(step.id);
  }

  /**
   * Append-only evidence through the recorder, under a key named by the event (`key`), so a retried or replayed
   * write is stored once. `urgent`: containment waits for it.
   */
  evidence(event: string, key: string, fields: EvidenceFields = {}, urgent = false): Promise<void> {
    return this.recorder.evidence(event, fields, { key, urgent });
  }

  /** Final status: failed when halted, completed-with-failures when a human must finish something. */
  async finish(halted: boolean): Promise<RunProgress> {
    const failed = this.progress.steps.some((s) => s.status === 'failed');
    this.finalStatus = halted ? 'failed' : failed ? 'completed-with-failures' : 'completed';
    await this.evidence('finished', 'run-finished', {
      outcome: this.finalStatus,
      detail: { needsHuman: this.progress.needsHuman },
    });
    return { ...this.progress, status: this.finalStatus };
  }

  status(): RunStatus {
    if (this.finalStatus) return this.finalStatus;
    if (this.progress.steps.some((s) => s.status === 'running')) return 'running';
    if (this.gates.size > 0) return 'waiting-for-approval';
    if (this.waitingFor || this.progress.steps.some((s) => s.status === 'waiting')) return 'waiting';
    return 'running';
  }

  /** The step's approvers hear of it (the tenant's approvers, or the subject's manager), where the tenant has a notification connection. */
  private async notifyApprovers(step: RunbookStep): Promise<void> {
    const what = this.pendingApproval(step);
    const recipients = approverRecipients(this.policy, what.approverRole, this.subject);
    await notifyIfConnected(
      this.recorder,
      {
        tenantId: this.request.tenantId,
        runId: this.workflowId,
        status: 'waiting-for-approval',
        summary: `${this.request.requestedBy.id} asks for ${what.entitlementId ?? step.action} on ${step.platform} for ${this.subject.subjectId} (${this.kind} step ${step.id}); no answer within ${step.approval?.timeout ?? 'the timeout'} means denied`,
        needsHuman: recipients,
      },
      { event: 'approvers-notified', key: `${step.id}/approvers-notified`, detail: { stepId: step.id, recipients } },
    );
  }

  private pendingApproval(step: RunbookStep): PendingApproval {
    const entitlement = step.params?.entitlement as { id?: unknown } | undefined;
    return {
      stepId: step.id,
      platform: step.platform,
      action: step.action,
      entitlementId: typeof entitlement?.id === 'string' ? entitlement.id : undefined,
      requestedBy: this.request.requestedBy,
      approverRole: step.approval?.approverRole ?? 'approver',
    };
  }

  private decide(decision: ApprovalDecision): { accepted: true } {
    this.decisions.set(this.gateFor(decision).id, decision);
    return { accepted: true };
  }

  /** Validates an approval: a waiting step, an allowed approver, never the requester (four eyes). */
  private gateFor(decision: ApprovalDecision): RunbookStep {
    const reject = (message: string) =>
      ApplicationFailure.create({ type: 'ApprovalRejected', message, nonRetryable: true });
    const gate = decision.stepId
      ? this.gates.get(decision.stepId)
      : this.gates.size === 1
        ? [...this.gates.values()][0]
        : undefined;
    if (!gate)
      throw reject(
        this.gates.size > 1
          ? 'several steps wait for approval: name the stepId'
          : `no step ${decision.stepId ?? 'of this run'} is waiting for approval`,
      );
    const refusal = approvalRefusal({
      approverId: decision.approver.id,
      requesterId: this.request.requestedBy.id,
      subject: this.subject,
      platform: gate.platform,
      approverRole: gate.approval?.approverRole,
      tenantApprovers: this.policy.approvers,
    });
    if (refusal) throw reject(refusal);
    return gate;
  }

  /** The starter (the API) sets them; a run started another way still becomes findable. */
  private upsertMissingSearchAttributes(): void {
    const current = workflowInfo().typedSearchAttributes;
    const wanted: SearchAttributeUpdatePair[] = [
      { key: TENANT_ID, value: this.request.tenantId },
      { key: RUNBOOK_KIND, value: this.kind },
      { key: SUBJECT_ID, value: this.subject.subjectId },
    ];
    const missing = wanted.filter((pair) => current.get(pair.key) === undefined);
    if (missing.length > 0) upsertSearchAttributes(missing);
  }
}

/** An offboarding's reason, when the service desk gave one. */
function reasonOf(request: RunRequest): { reason?: string } {
  return 'reason' in request && typeof request.reason === 'string' ? { reason: request.reason } : {};
}
