/**
 * Engine overhead: N offboardings at once (the reference runbook on the in-process reference platform,
 * answering at once) against N runs of a baseline workflow that schedules the same number of activities in
 * the same phases and does nothing else (bench/support/baseline-workflow.ts), on the same Temporal dev server
 * in the same process. The ratio of their throughputs is what this project's runbook loading, evidence,
 * progress and platform layers cost on top of the engine. Goal: at least 0.8.
 * Run: `npm run bench -- engine-overhead` (RUNS=200 REPEATS=3: the median round's ratio). Writes
 * bench/results/engine-overhead.json.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import type { OffboardingRequest, Subject } from '../shared';
import { runWorkflowId } from '../shared/workflow-ids';
import type { offboarding } from '../workflows/offboarding';
import { workflowEnv } from '../test/support/workflow-env';
import { uniqueQueue } from '../test/support/servers';
import { withServers, writeResult } from './support/stack';

const RUNS = Number(process.env.RUNS ?? 200);
const REPEATS = Number(process.env.REPEATS ?? 3);

async function main(): Promise<void> {
  const result = await withServers(async () => {
    const w = await workflowEnv('bench_overhead', { devServer: true });
    const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS });
    const baselineQueue = uniqueQueue('baseline');
    const baselineWorker = await Worker.create({
      connection,
      taskQueue: baselineQueue,
      workflowsPath: require.resolve('./support/baseline-workflow'),
      activities: { noop: () => Promise.resolve() },
    });
    const baselineRunning = baselineWorker.run();
    try {
      const tenantId = await w.tenant({ retentionDays: 0 });
      const subjects: Subject[] = Array.from({ length: RUNS * REPEATS + 1 }, (_, i) => {
        const userName = `leaver-${i}`;
        w.reference.seedAccount({ userName: `${userName}-manager` });
        w.reference.seedAccount({
          userName,
          sessions: 2,
          entitlements: [{ kind: 'group', id: 'engineering' }],
          owned: [`${userName}.doc`],
        });
        w.reference.seedCredential({ id: `${userName}-key`, kind: 'access-key', ownerId: userName, status: 'active' });
        return { subjectId: `e-${i}`, userName, managerId: `${userName}-manager` };
      });
      const offboard = async (subject: Subject) => {
        const request: OffboardingRequest = {
          tenantId,
          requestedBy: { id: 'bench', kind: 'system' },
          runbookId: 'reference-offboarding',
          subject,
          mode: 'immediate',
          leaveDate: new Date().toISOString(),
        };
        const handle = await w.client.workflow.start<typeof offboarding>('offboarding', {
          args: [request],
          taskQueue: w.queues.workflows,
          workflowId: runWorkflowId(tenantId, 'offboarding', subject.subjectId),
        });
        return { handle, progress: await handle.result() };
      };

      // One run first: how many activities an offboarding schedules, in the bursts its history shows (scheduled
      // together before the next completes); the baseline copies that shape.
      const probe = await offboard(subjects[RUNS * REPEATS]!);
      const events = (await probe.handle.fetchHistory()).events ?? [];
      const phases: number[] = [];
      let open = 0;
      for (const e of events) {
        if (e.activityTaskScheduledEventAttributes) open += 1;
        else if (e.activityTaskCompletedEventAttributes && open > 0) {
          phases.push(open);
          open = 0;
        }
      }
      const activities = phases.reduce((a, b) => a + b, 0);

      const timed = async (work: () => Promise<unknown>[]) => {
        const started = Date.now();
        await Promise.all(work());
        return (Date.now() - started) / 1000;
      };
      // REPEATS rounds, the two sides alternating, each round on leavers of its own: this machine's throughput
      // varies between runs, so the ratio reported is the median of the rounds'.
      const rounds: { offboardingSeconds: number; baselineSeconds: number; ratio: number }[] = [];
      for (let round = 0; round < REPEATS; round++) {
        const offboardingSeconds = await timed(() => subjects.slice(round * RUNS, (round + 1) * RUNS).map(offboard));
        const baselineSeconds = await timed(() =>
          Array.from({ length: RUNS }, (_, i) =>
            w.client.workflow.execute('baseline', {
              args: [phases],
              taskQueue: baselineQueue,
              workflowId: `${baselineQueue}-${round}-${i}`,
            }),
          ),
        );
        rounds.push({
          offboardingSeconds,
          baselineSeconds,
          ratio: Number((baselineSeconds / offboardingSeconds).toFixed(2)),
        });
      }
      const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]!;
      const { offboardingSeconds, baselineSeconds } = median;
      const offboardingsPerSecond = RUNS / offboardingSeconds;
      const baselinePerSecond = RUNS / baselineSeconds;
      return {
        runs: RUNS,
        activitiesPerRun: activities,
        phases,
        offboarding: {
          wallSeconds: offboardingSeconds,
          runsPerSecond: Number(offboardingsPerSecond.toFixed(2)),
          status: probe.progress.status,
        },
        baseline: { wallSeconds: baselineSeconds, runsPerSecond: Number(baselinePerSecond.toFixed(2)) },
        ratio: Number((offboardingsPerSecond / baselinePerSecond).toFixed(2)),
        rounds,
        goal: 0.8,
        machine: '2 cores, 24 GiB; Temporal dev server (SQLite), FerretDB (SQLite), workers and client in this process',
      };
    } finally {
      baselineWorker.shutdown();
      await baselineRunning;
      await connection.close();
      await w.teardown();
    }
  });
  console.log(JSON.stringify(result, null, 2));
  console.log(`written to ${writeResult('engine-overhead', result)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
