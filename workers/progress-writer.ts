import type { InjectedSinks, Logger } from '@temporalio/worker';
import type { RunProgressSinks } from '../workflows/support/progress-publisher';
import type { ProgressSnapshot, RunProgressStore } from '../store/run-progress';

/** The workflow interceptor modules every workflow bundle of the product includes. */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/support/progress-publisher')];

const ATTEMPTS = 3;
const RETRY_DELAY_MS = 200;
/** How often snapshots a refused write left due are tried again while no new one comes. */
const DUE_RETRY_MS = 5_000;
/** How long snapshots that need not settle at once wait to share a write. */
const BATCH_WINDOW_MS = 100;

/**
 * Writes the runs' progress snapshots the workflows publish (workflows/support/progress-publisher.ts), the latest
 * per run, in one bulk write per BATCH_WINDOW_MS. A snapshot that must settle (the task answers an update or ends
 * the run) is written at the next turn of the event loop and its task waits for it (the worker sends a task's
 * completion after its sinks); the others do not hold up their task (awaiting every write cost a quarter of the
 * offboardings' throughput on the embedded store). A write the store refuses is tried again; after that the run's
 * latest snapshot stays due and goes with the next write, tried every few seconds, so the read model catches up
 * once the store is back.
 */
export class ProgressWriter {
  /** Latest snapshot per run, not yet handed to a write. */
  private batch = new Map<string, ProgressSnapshot>();
  /** Snapshots whose write failed, by run, until a later write stores them. */
  private readonly due = new Map<string, ProgressSnapshot>();
  /** The next write, when one is planned: its time, its timer and who waits for it. */
  private planned?: { at: number; timer: NodeJS.Timeout; waiting: (() => void)[] };
  /** Writes run one after another, so a run's older snapshot never lands after a newer one. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: RunProgressStore,
    private readonly log: Pick<Logger, 'warn'>,
  ) {}

  publish(snapshot: ProgressSnapshot, settle: boolean): Promise<void> | undefined {
    const key = `${snapshot.workflowId}/${snapshot.firstRunId}`;
    this.batch.set(key, snapshot);
    this.due.delete(key);
    const written = this.plan(settle ? 0 : BATCH_WINDOW_MS);
    return settle ? written : undefined;
  }

  /** Plans a write within delayMs (bringing a later one forward); resolves once that write has ended. */
  private plan(delayMs: number): Promise<void> {
    const at = Date.now() + delayMs;
    return new Promise<void>((resolve) => {
      if (this.planned && this.planned.at <= at) {
        this.planned.waiting.push(resolve);
        return;
      }
      const waiting = [resolve];
      if (this.planned) {
        clearTimeout(this.planned.timer);
        waiting.push(...this.planned.waiting);
      }
      const timer = setTimeout(() => {
        this.planned = undefined;
        const batch = this.batch;
        this.batch = new Map();
        this.writing = this.writing.then(() => this.write(batch));
        void this.writing.then(() => waiting.forEach((w) => w()));
      }, delayMs);
      this.planned = { at, timer, waiting };
    });
  }

  private async write(batch: Map<string, ProgressSnapshot>): Promise<void> {
    const snapshots = new Map([...this.due, ...batch]);
    if (snapshots.size === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.save([...snapshots.values()]);
        for (const key of snapshots.keys()) this.due.delete(key);
        return;
      } catch (err) {
        if (attempt >= ATTEMPTS) {
          for (const [key, snapshot] of snapshots) if (!this.batch.has(key)) this.due.set(key, snapshot);
          this.log.warn('run progress not stored; it goes with the next write', {
            runs: snapshots.size,
            error: (err as Error).message,
          });
          setTimeout(() => {
            if (this.due.size > 0) void this.plan(0);
          }, DUE_RETRY_MS).unref();
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * attempt));
      }
    }
  }

  /** The sink the workflow worker registers. */
  sinks(): InjectedSinks<RunProgressSinks> {
    return {
      runProgress: {
        publish: {
          fn: (info, progress, settle) =>
            this.publish(
              {
                workflowId: info.workflowId,
                firstRunId: info.firstExecutionRunId,
                runId: info.runId,
                historyLength: info.historyLength,
                progress,
              },
              settle,
            ),
          // Replayed activations publish nothing (the publisher checks too).
          callDuringReplay: false,
        },
      },
    };
  }
}
