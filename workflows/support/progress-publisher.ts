/**
 * Publishes a run's progress to the store's read model (store/run-progress.ts) at the end of every workflow task
 * that changed it, so the API reads progress without asking the worker (a query waits behind a busy worker's
 * workflow tasks: seconds under load). Registered as a workflow interceptor module (WORKFLOW_INTERCEPTOR_MODULES).
 *
 * It adds no command: the snapshot leaves through a sink, so histories are unchanged and recorded ones replay as
 * before. Some tasks wait for their snapshot to be stored (the worker sends a task's completion to Temporal after
 * its sinks): one that answers an update (an approval) or ends the run, so once the caller has the update's answer
 * or the run has ended the store shows it; and one after which no step is running, since the run may then wait
 * for days (an approver, a date) with no task to publish again. While a step is running its end brings another
 * task, so those snapshots are written shortly after, several runs' in one write, without holding up the task: a
 * worker crash may lose the last 100 ms of them, which the run's next task makes good. Replayed activations
 * publish nothing: the store already holds what they produced.
 */
import { proxySinks, workflowInfo, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { WorkflowInternalsInterceptor } from '@temporalio/workflow';
import type { RunProgress } from '../../shared/runs';

export interface RunProgressSinks extends Sinks {
  runProgress: {
    /**
     * The run's progress now, as the progress query would answer it; `settle`: the task waits until it is stored;
     * `final`: the task ends the execution (completes, fails or is cancelled).
     */
    publish(progress: RunProgress, settle: boolean, final: boolean): void;
  };
}

/**
 * Where the run's RunRecorder leaves the function answering its progress query. Each workflow has a global
 * object of its own in the sandbox (also with reuseV8Context, which swaps globals per workflow), unlike module state.
 */
const VIEW = Symbol.for('identity-runbooks.progress-view');
type WithView = { [VIEW]?: () => RunProgress };

/** Called by the RunRecorder: the run's progress view, for the publisher. */
export function publishProgress(view: () => RunProgress): void {
  Object.defineProperty(globalThis, VIEW, { value: view, configurable: true, enumerable: false, writable: true });
}

const { runProgress } = proxySinks<RunProgressSinks>();

class ProgressPublisher implements WorkflowInternalsInterceptor {
  private last?: string;
  /** Whether this instance has published: the first live task after a replay (a new worker) always does. */
  private published = false;

  concludeActivation: NonNullable<WorkflowInternalsInterceptor['concludeActivation']> = (input, next) => {
    const output = next(input);
    const view = (globalThis as WithView)[VIEW];
    if (!view) return output;
    // A copy: the sink call is handed over after the activation, when the run's own objects may have moved on.
    const json = JSON.stringify(view());
    const live = !workflowInfo().unsafe.isReplaying;
    if (json !== this.last || (live && !this.published)) {
      this.last = json;
      if (live) {
        this.published = true;
        const progress = JSON.parse(json) as RunProgress;
        const final = ends(output);
        const idle = !progress.steps.some((step) => step.status === 'running');
        runProgress.publish(progress, final || idle || answersUpdate(output), final);
      }
    }
    return output;
  };
}

/** Whether the task ends the execution: its final snapshot (a continued-as-new chain goes on). */
function ends({ commands }: { commands: ConcludedCommand[] }): boolean {
  return commands.some((c) => c.completeWorkflowExecution || c.failWorkflowExecution || c.cancelWorkflowExecution);
}

/** Whether the task answers an update or continues as new: what a caller or the next execution learns at once. */
function answersUpdate({ commands }: { commands: ConcludedCommand[] }): boolean {
  return commands.some((c) => c.updateResponse || c.continueAsNewWorkflowExecution);
}

type ConcludedCommand = ReturnType<NonNullable<WorkflowInternalsInterceptor['concludeActivation']>>['commands'][number];

export const interceptors: WorkflowInterceptorsFactory = () => ({ internals: [new ProgressPublisher()] });
