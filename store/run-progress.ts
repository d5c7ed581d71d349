import { MongoBulkWriteError, type Collection, type Db, type WriteError } from 'mongodb';
import type { RunProgress } from '../shared/runs';

/** One run's progress as its workflow last reported it, by the run (workflow id and the chain's first run id). */
export interface RunProgressRecord {
  _id: string;
  /** The execution of the chain that wrote it (a campaign continues as new). */
  runId: string;
  /** Orders a run's snapshots: the execution's start, then the task's history length. */
  version: string;
  /** Written by the task that ended the execution: what it ended with. */
  final: boolean;
  progress: RunProgress;
  updatedAt: Date;
}

export interface ProgressSnapshot {
  workflowId: string;
  firstRunId: string;
  runId: string;
  /** When this execution of the chain started. */
  runStartedAt: Date;
  /** The task the snapshot comes from (its history length then). */
  historyLength: number;
  final: boolean;
  progress: RunProgress;
}

const DUPLICATE_KEY = 11000;
const keyOf = (workflowId: string, firstRunId: string) => `${workflowId}/${firstRunId}`;
const versionOf = (s: ProgressSnapshot) =>
  `${s.runStartedAt.toISOString()}#${String(s.historyLength).padStart(10, '0')}`;

/**
 * The read model of runs' progress: what the progress query answers, written by the worker at the end of workflow
 * tasks that changed it (workers/progress-writer.ts). The API reads a run's progress here by `_id` instead of asking
 * the busy worker that runs it. A snapshot replaces only an older one of the same run, so writes may land in any
 * order (two workers, a retried write) without the record going back in time.
 */
export class RunProgressStore {
  private readonly records: Collection<RunProgressRecord>;

  constructor(db: Db) {
    this.records = db.collection('run_progress');
  }

  /** Lookups are by `_id` only. */
  async ensureIndexes(): Promise<void> {}

  /**
   * Writes snapshots in one round trip; answers the ones the store rejected (by position), which are not
   * superseded ones: a snapshot older than the record is simply not written. Throws when the store did not answer.
   */
  async save(snapshots: ProgressSnapshot[], at = new Date()): Promise<number[]> {
    if (snapshots.length === 0) return [];
    try {
      await this.records.bulkWrite(
        snapshots.map((s) => ({
          replaceOne: {
            // No match when the record is as new or newer: the upsert then collides on _id, which means "superseded".
            filter: { _id: keyOf(s.workflowId, s.firstRunId), version: { $lt: versionOf(s) } },
            replacement: { runId: s.runId, version: versionOf(s), final: s.final, progress: s.progress, updatedAt: at },
            upsert: true,
          },
        })),
        { ordered: false },
      );
      return [];
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError) || err.writeErrors === undefined) throw err;
      const errors: WriteError[] = ([] as WriteError[]).concat(err.writeErrors);
      return errors.filter((e) => e.code !== DUPLICATE_KEY).map((e) => e.index);
    }
  }

  async get(workflowId: string, firstRunId: string): Promise<RunProgressRecord | undefined> {
    return (await this.records.findOne({ _id: keyOf(workflowId, firstRunId) })) ?? undefined;
  }

  /**
   * The progress of the chain's execution `runId`, when that execution has written it (and, for an execution that
   * has ended, written how it ended); undefined otherwise, also when the store does not answer: the caller asks
   * the workflow instead.
   */
  async current(
    workflowId: string,
    firstRunId: string,
    runId: string,
    ended: boolean,
  ): Promise<RunProgress | undefined> {
    try {
      const record = await this.get(workflowId, firstRunId);
      return record?.runId === runId && (record.final || !ended) ? record.progress : undefined;
    } catch {
      return undefined;
    }
  }
}
