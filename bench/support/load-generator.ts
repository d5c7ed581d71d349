/**
 * The API benchmark's load generator, run as a process of its own (so it does not share the API's event loop
 * or CPU time slice accounting): two autocannon instances at fixed rates at once, one starting offboardings
 * (a new leaver each request, with an Idempotency-Key), one reading runs' status round-robin. Prints one JSON
 * line: each instance's latency percentiles, throughput, status codes and errors, and the run ids accepted.
 * Input: a LoadSpec as JSON in argv[2].
 */
import autocannon from 'autocannon';
import { percentile } from './percentile';
import { leaverSubject, offboardingBody } from './leavers';

export interface LoadSpec {
  url: string;
  seconds: number;
  connections: number;
  starts: { ratePerSecond: number; path: string; authorization: string; firstLeaver: number };
  reads: { ratePerSecond: number; paths: string[]; authorization: string };
}

/** The Server-Timing header (autocannon keeps the names as sent). */
function serverTiming(headers: Record<string, string | string[] | undefined> | undefined): string {
  const name = Object.keys(headers ?? {}).find((h) => h.toLowerCase() === 'server-timing');
  return name ? String(headers![name]) : '';
}

function summary(r: autocannon.Result) {
  return {
    requests: r.requests.total,
    ratePerSecond: Number(r.requests.average.toFixed(1)),
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    status: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0])),
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
  let leaver = spec.starts.firstLeaver;
  let read = 0;
  let refusals = 0;
  const accepted: string[] = [];
  /** Server-Timing of each status read: where the API spent the time. */
  const timings: Record<string, number[]> = {};
  const json = { 'content-type': 'application/json' };
  const [starts, reads] = await Promise.all([
    autocannon({
      url: spec.url,
      connections: spec.connections,
      duration: spec.seconds,
      overallRate: spec.starts.ratePerSecond,
      requests: [
        {
          method: 'POST',
          path: spec.starts.path,
          setupRequest: (req) => {
            const i = leaver++;
            return {
              ...req,
              headers: { ...json, authorization: spec.starts.authorization, 'idempotency-key': `bench-load-${i}` },
              body: JSON.stringify(offboardingBody(leaverSubject(i))),
            };
          },
          onResponse: (status, body) => {
            if (status === 202) accepted.push((JSON.parse(body) as { runId: string }).runId);
            else if (refusals++ < 3) process.stderr.write(`start answered ${status}: ${body.slice(0, 500)}\n`);
          },
        },
      ],
    }),
    autocannon({
      url: spec.url,
      connections: spec.connections,
      duration: spec.seconds,
      overallRate: spec.reads.ratePerSecond,
      requests: [
        {
          method: 'GET',
          setupRequest: (req) => ({
            ...req,
            path: spec.reads.paths[read++ % spec.reads.paths.length]!,
            headers: { authorization: spec.reads.authorization },
          }),
          onResponse: (_status, _body, _context, headers) => {
            for (const [, name, dur] of serverTiming(headers).matchAll(/(\w+);dur=([\d.]+)/g))
              (timings[name!] ??= []).push(Number(dur));
          },
        },
      ],
    }),
  ]);
  const timingSummary = Object.fromEntries(
    Object.entries(timings).map(([name, values]) => {
      const sorted = values.sort((a, b) => a - b);
      return [name, { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) }];
    }),
  );
  process.stdout.write(
    `${JSON.stringify({ starts: summary(starts), reads: { ...summary(reads), serverTimingMs: timingSummary }, accepted })}\n`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
