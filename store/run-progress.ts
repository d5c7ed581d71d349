import type { Collection, Db } from 'mongodb';
import type { RunProgress } from '../shared/runs';

/** One run's progress as its workflow last reported it, by the run (workflow id and the chain's first run id). */
export interface RunProgressRecord {
  _id: string;
  /** The execution of the chain that wrote it (a campaign continues as new). */
  runId: string;
  /** The workflow task the snapshot comes from (its history length then). */
  historyLength: number;
  progress: RunProgress;
  updatedAt: Date;
}

export interface ProgressSnapshot {
  workflowId: string;
  firstRunId: string;
  runId: string;
  historyLength: number;
  progress: RunProgress;
}

const keyOf = (workflowId: string, firstRunId: string) => `${workflowId}/${firstRunId}`;

/**
 * The read model of runs' progress: what the progress query answers, written by the worker at the end of every
 * workflow task that changed it (workers/progress-writer.ts), before the task's completion reaches Temporal. The API
 * reads a run's progress here by `_id` instead of asking the busy worker that runs it.
 */
export class RunProgressStore {
  private readonly records: Collection<RunProgressRecord>;

  constructor(db: Db) {
    this.records = db.collection('run_progress');
  }

  /** Lookups are by `_id` only. */
  async ensureIndexes(): Promise<void> {}

  /** Writes the latest snapshot of each run in one round trip. */
  async save(snapshots: ProgressSnapshot[], at = new Date()): Promise<void> {
    if (snapshots.length === 0) return;
    await this.records.bulkWrite(
      snapshots.map((s) => ({
        replaceOne: {
          filter: { _id: keyOf(s.workflowId, s.firstRunId) },
          replacement: { runId: s.runId, historyLength: s.historyLength, progress: s.progress, updatedAt: at },
          upsert: true,
        },
      })),
      { ordered: false },
    );
  }

  async get(workflowId: string, firstRunId: string): Promise<RunProgressRecord | undefined> {
    return (await this.records.findOne({ _id: keyOf(workflowId, firstRunId) })) ?? undefined;
  }

  /**
   * The progress of the chain's execution `runId`, when that execution has written it; undefined otherwise, also
   * when the store does not answer (the caller asks the workflow instead).
   */
  async current(workflowId: string, firstRunId: string, runId: string): Promise<RunProgress | undefined> {
    try {
      const record = await this.get(workflowId, firstRunId);
      return record?.runId === runId ? record.progress : undefined;
    } catch {
      return undefined;
    }
  }
}
