import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

type History = temporal.api.history.v1.IHistory;

/**
 * History files are protobufjs JSON of temporal.api.history.v1.History (load with
 * History.fromObject). Not historyToJSON: with this lockfile @temporalio/common and
 * @temporalio/proto each carry their own protobufjs copy and its protojson rejects the type.
 */
export function historyFileText(history: History): string {
  return JSON.stringify(temporal.api.history.v1.History.fromObject(history).toJSON(), null, 1) + '\n';
}

/**
 * Keeps the history of a real run for the replay test. Written once (or again with
 * UPDATE_HISTORIES=1), so a code change is replayed against histories of the old code.
 */
export async function keepHistory(name: string, handle: WorkflowHandle): Promise<void> {
  const file = join(HISTORIES_DIR, `${name}.json`);
  if (existsSync(file) && process.env.UPDATE_HISTORIES !== '1') return;
  writeFileSync(file, historyFileText(await handle.fetchHistory()));
}

/** Every event of a history as text with payload bytes decoded, for "no secret in history" scans. */
export async function historyText(handle: WorkflowHandle): Promise<string> {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('utf8'));
    else if (typeof value === 'string') parts.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(await handle.fetchHistory());
  return parts.join('\n');
}

/** The durations (seconds) of the timers a run started. */
export async function timerSeconds(handle: WorkflowHandle): Promise<number[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((e) =>
    e.timerStartedEventAttributes ? [Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0)] : [],
  );
}

/** Event counts of every run of a workflow, following its continue-as-new chain from the first run. */
export async function runHistoryLengths(
  client: { workflow: { getHandle(id: string, runId?: string): WorkflowHandle } },
  workflowId: string,
  firstRunId: string,
): Promise<number[]> {
  const lengths: number[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    lengths.push(events.length);
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return lengths;
}

/** A kept history, as written by keepHistory. */
export function loadHistory(file: string): History {
  return temporal.api.history.v1.History.fromObject(
    JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')) as Record<string, unknown>,
  );
}
