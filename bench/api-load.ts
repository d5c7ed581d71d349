/**
 * The API under load: for SECONDS, a load generator in a process of its own (autocannon,
 * bench/support/load-generator.ts) starts offboardings at START_RATE a second (a new leaver each) and reads
 * runs' status at READ_RATE a second (round-robin over runs started before the load), at the same time.
 * The service is the real API (api/server.ts in a process of its own, as deployed; API_IN_PROCESS=1 runs it
 * beside the workers), workers, Temporal dev server and FerretDB (bench/support/api-stack.ts: six platforms
 * answering after 50–200 ms). Status reads carry Server-Timing: the result splits their time into the run's
 * description (Temporal) and its progress (the worker's answer). Afterwards every accepted offboarding must complete: accepted requests
 * lost = 0. Goals: 0 errors, status reads p99 under 100 ms.
 * Run: `npm run bench -- api-load`. Writes bench/results/api-load.json and api-load.svg.
 */
import { spawn } from 'node:child_process';
import { decodeRunId } from '../api/runs';
import { apiStack, offboardingBody } from './support/api-stack';
import { leaverSubject } from './support/leavers';
import { barChart, writeChart } from './support/chart';
import type { LoadSpec } from './support/load-generator';
import { withServers, writeResult } from './support/stack';

const SECONDS = Number(process.env.SECONDS ?? 30);
const START_RATE = Number(process.env.START_RATE ?? 5);
const READ_RATE = Number(process.env.READ_RATE ?? 50);
const WARM_RUNS = 50;
/** Per credential a minute: above the default 600, so the load measures the service, not the limiter. */
const API_RATE_LIMIT_PER_MINUTE = 10_000;
const READ_GOAL_MS = 100;
/** The API in a process of its own, as deployed (default); `API_IN_PROCESS=1` runs it beside the workers. */
const API_PROCESS = process.env.API_IN_PROCESS !== '1';

interface LoadResult {
  starts: { latencyMs: Record<string, number>; non2xx: number; errors: number; requests: number };
  reads: { latencyMs: Record<string, number>; non2xx: number; errors: number; requests: number };
  accepted: string[];
}

function generate(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', require.resolve('./support/load-generator'), JSON.stringify(spec)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the load generator exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult);
    });
  });
}

async function main(): Promise<void> {
  let chartBars: { label: string; value: number }[] = [];
  const result = await withServers(async () => {
    const stack = await apiStack('bench_api_load', {
      rateLimitPerMinute: API_RATE_LIMIT_PER_MINUTE,
      platformActivitiesPerSecond: 100,
      apiProcess: API_PROCESS,
    });
    try {
      const leavers = WARM_RUNS + Math.ceil(START_RATE * SECONDS * 1.2);
      for (let i = 0; i < leavers; i++) stack.seedLeaver(i);
      const startPath = `/v1/tenants/${stack.tenantId}/offboardings`;
      const warm = await Promise.all(
        Array.from({ length: WARM_RUNS }, async (_, i) => {
          const res = await fetch(`${stack.url}${startPath}`, {
            method: 'POST',
            headers: { ...stack.desk, 'Content-Type': 'application/json' },
            body: JSON.stringify(offboardingBody(leaverSubject(i))),
          });
          if (res.status !== 202) throw new Error(`warm-up start answered ${res.status}`);
          return res.headers.get('location')!;
        }),
      );
      const load = await generate({
        url: stack.url,
        seconds: SECONDS,
        connections: 10,
        starts: {
          ratePerSecond: START_RATE,
          path: startPath,
          authorization: stack.desk.Authorization,
          firstLeaver: WARM_RUNS,
        },
        reads: { ratePerSecond: READ_RATE, paths: warm, authorization: stack.desk.Authorization },
      });

      // No accepted request lost: every run the API answered 202 for (warm-up and load) completes.
      const runIds = [...warm.map((location) => location.split('/').at(-1)!), ...load.accepted];
      const drainStarted = Date.now();
      const settled = await Promise.allSettled(
        runIds.map(async (runId) => {
          const ref = decodeRunId(runId)!;
          const handle = stack.client.workflow.getHandle(`${stack.tenantId}/${ref.idInTenant}`);
          return ((await handle.result()) as { status: string }).status;
        }),
      );
      const statuses = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      chartBars = [
        { label: 'start p50', value: load.starts.latencyMs.p50! },
        { label: 'start p99', value: load.starts.latencyMs.p99! },
        { label: 'status p50', value: load.reads.latencyMs.p50! },
        { label: 'status p99', value: load.reads.latencyMs.p99! },
      ];
      return {
        seconds: SECONDS,
        startOffboarding: { targetPerSecond: START_RATE, ...load.starts },
        runStatus: { targetPerSecond: READ_RATE, ...load.reads },
        accepted: runIds.length,
        completed: statuses.filter((s) => s === 'completed').length,
        // Accepted (202) but never found or never ended as a run.
        acceptedLost: settled.length - statuses.length,
        drainSeconds: (Date.now() - drainStarted) / 1000,
        goals: { errors: 0, runStatusP99Ms: READ_GOAL_MS },
        apiRateLimitPerMinute: API_RATE_LIMIT_PER_MINUTE,
        platforms: '6, each answering after 50–200 ms, 100 activities/s per platform queue',
        machine: `2 cores, 24 GiB; Temporal dev server (SQLite), FerretDB (SQLite); ${
          API_PROCESS
            ? 'API (api/server.ts), workers and autocannon in a process each'
            : 'API and workers in one process, autocannon in another'
        }`,
      };
    } finally {
      await stack.close();
    }
  });
  console.log(JSON.stringify(result, null, 2));
  console.log(`written to ${writeResult('api-load', result)}`);
  const chart = barChart(
    `API under load: ${START_RATE} starts/s and ${READ_RATE} status reads/s for ${SECONDS} s`,
    'milliseconds',
    chartBars,
    { value: READ_GOAL_MS, label: 'goal: status p99 100 ms' },
  );
  console.log(`chart written to ${writeChart('api-load', chart)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
