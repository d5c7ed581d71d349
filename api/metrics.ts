import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunbookKind } from '../shared/runs';

/** The API's Prometheus metrics, one registry per app (tests build several apps in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route template and status',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route template and status',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'http_requests_in_flight',
    help: 'Requests being handled (a graceful shutdown waits for them)',
    registers: [registry],
  });
  const runsStarted = new Counter({
    name: 'runbook_runs_started_total',
    help: 'Runs started through the API by kind',
    labelNames: ['kind'],
    registers: [registry],
  });

  /** Labels use the route template (`/v1/tenants/:tenantId/runs`), never the raw URL, to keep cardinality bounded. */
  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    inFlight.inc();
    // Done when the response is handed to the OS ('finish'), or the client went away first ('close'): once.
    let done = false;
    const settle = () => {
      if (!done) inFlight.dec();
      done = true;
    };
    res.once('finish', settle);
    res.once('close', settle);
    res.on('finish', () => {
      const route = req.route ? `${req.baseUrl}${String((req.route as { path: string }).path)}` : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      requests.inc(labels);
      end(labels);
    });
    next();
  };
  return { registry, middleware, runStarted: (kind: RunbookKind) => runsStarted.inc({ kind }) };
}

export type Metrics = ReturnType<typeof createMetrics>;
