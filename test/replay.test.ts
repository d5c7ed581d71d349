/**
 * Every history under test/histories/ (real runs, kept by the workflow tests the
 * first time they run; `UPDATE_HISTORIES=1` rewrites them) is replayed against
 * today's workflow code: a change that would break runs in flight fails here.
 * Such a change needs `patched()`, not a re-recording.
 */
import { readdirSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { HISTORIES_DIR, loadHistory } from './support/histories';
import { bundleWorkflows } from './support/servers';

const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

it('has recorded histories of every lifecycle to replay', () => {
  for (const kind of [
    'offboarding-',
    'onboarding-',
    'credential-rotation-',
    'rotation-campaign',
    'access-review-campaign-',
    'access-review-reviewer-',
    'privileged-access-',
  ]) {
    expect(files.some((f) => f.startsWith(kind))).toBe(true);
  }
});

it('replays every recorded history without nondeterminism', async () => {
  const histories = files.map((file) => ({ workflowId: file, history: loadHistory(file) }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: await bundleWorkflows() }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
  }
  expect(failures).toEqual([]);
});

it('fails on a history the code no longer matches: an activity renamed in a recorded offboarding', async () => {
  const history = loadHistory('offboarding-catch-up.json');
  const scheduled = history.events!.find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'loadRunbook',
  )!;
  scheduled.activityTaskScheduledEventAttributes!.activityType!.name = 'loadSomethingElse';
  await expect(Worker.runReplayHistory({ workflowBundle: await bundleWorkflows() }, history)).rejects.toThrow(
    DeterminismViolationError,
  );
});
