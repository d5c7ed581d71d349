/**
 * The engine's own cost, for bench/engine-overhead.ts: a workflow that schedules the same number of activities
 * as an offboarding, in the same number of phases, each activity doing nothing. No runbook, store or evidence.
 */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1 minute' });

export async function baseline(phases: number[]): Promise<void> {
  for (const activities of phases) await Promise.all(Array.from({ length: activities }, () => noop()));
}
