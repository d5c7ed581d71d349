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
/** The longest a task waits for its snapshot (far below Temporal's 10 s task timeout): the store is slow or away. */
const SETTLE_WAIT_MS = 2_000;
/** A write the store has not answered in this time counts as failed (it may still land: writes are ordered). */
const WRITE_TIMEOUT_MS = 10_000;
/** A snapshot the store rejects this many times (not for being old) is dropped. */
const REJECTIONS = 3;

/**
 * Writes the runs' progress snapshots the workflows publish (workflows/support/progress-publisher.ts), the latest
 * per run, in one bulk write per BATCH_WINDOW_MS. A snapshot that must settle (the task answers an update, ends the
 * run or leaves no step running) is written at the next turn of the event loop and its task waits for it, at most
 * SETTLE_WAIT_MS (the worker sends a task's completion after its sinks); the others do not hold up their task
 * (awaiting every write cost a quarter of the offboardings' throughput on the embedded store). A write the store
 * refuses is tried again; after that the run's latest snapshot stays due and goes with the next write, tried every
 * few seconds, so the read model catches up once the store is back. The store keeps the newest snapshot of a run
 * whatever order writes land in.
 */
export class ProgressWriter {
  private static readonly open = new Set<ProgressWriter>();
  /** Latest snapshot per run, not yet handed to a write. */
  private batch = new Map<string, ProgressSnapshot>();
  /** Snapshots whose write failed, by run, until a later write stores them. */
  private readonly due = new Map<string, ProgressSnapshot>();
  private readonly rejections = new Map<string, number>();
  /** The next write, when one is planned: its time, its timer and who waits for it. */
  private planned?: { at: number; timer: NodeJS.Timeout; waiting: (() => void)[] };
  /** Writes run one after another. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: RunProgressStore,
    private readonly log: Pick<Logger, 'warn'>,
  ) {
    ProgressWriter.open.add(this);
  }

  /** Writes what every writer of this process still holds (a worker process calls it before closing the store). */
  static async flushAll(): Promise<void> {
    await Promise.all([...ProgressWriter.open].map((w) => w.plan(0)));
  }

  publish(snapshot: ProgressSnapshot, settle: boolean): Promise<void> | undefined {
    const key = keyOf(snapshot);
    this.batch.set(key, snapshot);
    this.due.delete(key);
    const written = this.plan(settle ? 0 : BATCH_WINDOW_MS);
    if (!settle) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, SETTLE_WAIT_MS)));
    return Promise.race([written, gaveUp]).finally(() => clearTimeout(timer));
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
        this.writing = this.writing.then(() => this.write(batch)).catch(() => undefined);
        void this.writing.then(() => waiting.forEach((w) => w()));
      }, delayMs);
      this.planned = { at, timer, waiting };
    });
  }

  private async write(batch: Map<string, ProgressSnapshot>): Promise<void> {
    const snapshots = [...new Map([...this.due, ...batch]).values()];
    if (snapshots.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        const rejected = await withTimeout(this.store.save(snapshots), WRITE_TIMEOUT_MS);
        for (const s of snapshots) this.due.delete(keyOf(s));
        this.keepRejected(rejected.map((i) => snapshots[i]!));
        return;
      } catch (err) {
        if (attempt >= ATTEMPTS) {
          for (const s of snapshots) if (!this.batch.has(keyOf(s))) this.due.set(keyOf(s), s);
          this.log.warn('run progress not stored; it goes with the next write', {
            runs: snapshots.length,
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

  /** A snapshot the store rejected goes with the next write, up to REJECTIONS times; the rest of its write stood. */
  private keepRejected(rejected: ProgressSnapshot[]): void {
    for (const s of rejected) {
      const key = keyOf(s);
      const count = (this.rejections.get(key) ?? 0) + 1;
      if (count >= REJECTIONS) {
        this.rejections.delete(key);
        this.log.warn('run progress rejected by the store; dropped', { workflowId: s.workflowId });
      } else {
        this.rejections.set(key, count);
        if (!this.batch.has(key)) this.due.set(key, s);
      }
    }
  }

  /** The sink the workflow worker registers. */
  sinks(): InjectedSinks<RunProgressSinks> {
    return {
      runProgress: {
        publish: {
          fn: (info, progress, settle, final) =>
            this.publish(
              {
                workflowId: info.workflowId,
                firstRunId: info.firstExecutionRunId,
                runId: info.runId,
                runStartedAt: info.runStartTime,
                historyLength: info.historyLength,
                final,
                progress,
              },
              settle || final,
            ),
          // Replayed activations publish nothing (the publisher checks too).
          callDuringReplay: false,
        },
      },
    };
  }
}

const keyOf = (s: ProgressSnapshot) => `${s.workflowId}/${s.firstRunId}`;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the store in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
