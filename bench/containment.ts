/**
 * Time to containment, the figure a security team buys: from the API's 202 for an offboarding to the moment
 * every platform's disable and revoke-sessions steps have finished (their finishedAt in the run the API
 * reports). The standard leaver runbook on six platforms, each answering after 50–200 ms
 * (bench/support/api-stack.ts), through the real API, workers, Temporal dev server and FerretDB on this machine.
 * Two scenarios one after the other: a steady arrival (RATE leavers a second for SECONDS) and a burst (BURST
 * at once). Goal: p99 under 5 s for the burst.
 * Run: `npm run bench -- containment` (RATE=5 SECONDS=60 BURST=200 PLATFORM_RATE=100). Writes
 * bench/results/containment.json and containment.svg (containment-default-limits.* with PLATFORM_RATE=defaults).
 */
import type { Subject } from '../shared';
import { runWorkflowId } from '../shared/workflow-ids';
import { apiStack, LEAVER_PLATFORMS, offboardingBody, type ApiStack } from './support/api-stack';
import { cdfChart, writeChart } from './support/chart';
import { percentile } from './support/percentile';
import { withServers, writeResult } from './support/stack';

const RATE = Number(process.env.RATE ?? 5);
const SECONDS = Number(process.env.SECONDS ?? 60);
const BURST = Number(process.env.BURST ?? 200);
/**
 * Activities per second each platform's queue allows: 100 by default (the platforms' own limits set aside, so
 * the figure is this service's), `defaults` for the product's shipped limits (GitHub 5/s, Entra, AWS, Okta and
 * Google 10/s, Keycloak 20/s), which cap containment at 2.5 leavers a second on GitHub.
 */
const PLATFORM_RATE = process.env.PLATFORM_RATE ?? '100';
const GOAL_MS = 5000;
const RESULT = PLATFORM_RATE === 'defaults' ? 'containment-default-limits' : 'containment';

interface Accepted {
  subject: Subject;
  location: string;
  acceptedAt: number;
}

async function start(stack: ApiStack, subject: Subject): Promise<Accepted> {
  const res = await fetch(`${stack.url}/v1/tenants/${stack.tenantId}/offboardings`, {
    method: 'POST',
    headers: { ...stack.desk, 'Content-Type': 'application/json' },
    body: JSON.stringify(offboardingBody(subject)),
  });
  const acceptedAt = Date.now();
  if (res.status !== 202) throw new Error(`start answered ${res.status}: ${await res.text()}`);
  return { subject, location: res.headers.get('location')!, acceptedAt };
}

interface Measured {
  status: string;
  containMs: number;
  runMs: number;
}

/** Waits for the run's end (a long poll on Temporal, no load on the API), then reads it once through the API. */
async function measure(stack: ApiStack, run: Accepted): Promise<Measured> {
  const workflowId = runWorkflowId(stack.tenantId, 'offboarding', run.subject.subjectId);
  await stack.client.workflow.getHandle(workflowId).result();
  const finishedAt = Date.now();
  const res = await fetch(`${stack.url}${run.location}`, { headers: stack.desk });
  const view = (await res.json()) as { status: string; steps: { stepId: string; finishedAt?: string }[] };
  const containment = view.steps.filter((s) => /^(disable|revoke-sessions)-/.test(s.stepId));
  if (containment.length !== 2 * LEAVER_PLATFORMS.length || containment.some((s) => !s.finishedAt))
    throw new Error(`run ${run.location} has no finished containment on every platform: ${JSON.stringify(view)}`);
  const contained = Math.max(...containment.map((s) => Date.parse(s.finishedAt!)));
  return { status: view.status, containMs: contained - run.acceptedAt, runMs: finishedAt - run.acceptedAt };
}

function summary(runs: Measured[], wallMs: number) {
  const contain = runs.map((r) => r.containMs).sort((a, b) => a - b);
  const total = runs.map((r) => r.runMs).sort((a, b) => a - b);
  return {
    runs: runs.length,
    completed: runs.filter((r) => r.status === 'completed').length,
    containMs: { p50: percentile(contain, 50), p99: percentile(contain, 99), max: contain.at(-1) },
    runMs: { p50: percentile(total, 50), p99: percentile(total, 99), max: total.at(-1) },
    wallSeconds: wallMs / 1000,
  };
}

async function main(): Promise<void> {
  let steadyContain: number[] = [];
  let burstContain: number[] = [];
  const result = await withServers(async () => {
    const stack = await apiStack('bench_containment', {
      platformActivitiesPerSecond: PLATFORM_RATE === 'defaults' ? undefined : Number(PLATFORM_RATE),
    });
    try {
      let next = 0;
      const leaver = () => stack.seedLeaver(next++);

      const steadyStarted = Date.now();
      const steadyRuns: Promise<Measured>[] = [];
      for (let i = 0; i < RATE * SECONDS; i++) {
        const due = steadyStarted + (i * 1000) / RATE;
        await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
        steadyRuns.push(start(stack, leaver()).then((run) => measure(stack, run)));
      }
      const steady = await Promise.all(steadyRuns);
      const steadyWall = Date.now() - steadyStarted;

      const subjects = Array.from({ length: BURST }, leaver);
      const burstStarted = Date.now();
      const burst = await Promise.all(subjects.map((s) => start(stack, s).then((run) => measure(stack, run))));
      const burstWall = Date.now() - burstStarted;

      const stillEnabled = LEAVER_PLATFORMS.flatMap((p) =>
        [...stack.platforms[p].accounts.values()].filter((a) => a.userName.match(/^leaver-\d+$/) && a.enabled),
      ).length;
      steadyContain = steady.map((r) => r.containMs / 1000);
      burstContain = burst.map((r) => r.containMs / 1000);
      return {
        platforms: LEAVER_PLATFORMS,
        platformLatencyMs: [50, 200],
        platformActivitiesPerSecond: PLATFORM_RATE,
        steady: { ratePerSecond: RATE, seconds: SECONDS, ...summary(steady, steadyWall) },
        burst: { leavers: BURST, ...summary(burst, burstWall) },
        accountsStillEnabled: stillEnabled,
        goal: { burstContainP99Ms: GOAL_MS },
        processRssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
        machine:
          '2 cores, 24 GiB; Temporal dev server (SQLite), FerretDB (SQLite); API, workers and the load in this process',
      };
    } finally {
      await stack.close();
    }
  });
  console.log(JSON.stringify(result, null, 2));
  console.log(`written to ${writeResult(RESULT, result)}`);
  const chart = cdfChart(
    'Time to containment (202 to every platform disabled and sessions revoked)',
    'seconds',
    [
      { label: `steady: ${RATE} leavers/s for ${SECONDS} s`, values: steadyContain },
      { label: `burst: ${BURST} at once`, values: burstContain },
    ],
    { value: GOAL_MS / 1000, label: 'goal: burst p99 5 s' },
  );
  console.log(`chart written to ${writeChart(RESULT, chart)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
