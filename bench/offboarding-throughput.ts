/**
 * How fast the service desk's promise holds under load: N leavers offboarded at
 * once on the real Temporal dev server with this project's workers, FerretDB and
 * the reference platform. Measures time to containment (sign-in disabled and
 * sessions revoked: the moment a leaver can no longer get in), time to a finished
 * run, history size per run, and the worker process's memory.
 * Run: `npm run bench -- offboarding` (LEAVERS=200 by default).
 */
import { type Client } from '@temporalio/client';
import { runWorkflowId } from '../shared/workflow-ids';
import type { OffboardingRequest, Subject } from '../shared';
import type { offboarding } from '../workflows/offboarding';
import { workflowEnv } from '../test/support/workflow-env';
import { percentile, withServers, writeResult } from './support/stack';

const LEAVERS = Number(process.env.LEAVERS ?? 200);

async function main(): Promise<void> {
  const result = await withServers(async () => {
    const w = await workflowEnv('bench_offboarding', { devServer: true });
    try {
      const tenantId = await w.tenant({ retentionDays: 0 });
      const subjects: Subject[] = Array.from({ length: LEAVERS }, (_, i) => {
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
      const client: Client = w.client;
      const started = Date.now();
      const runs = await Promise.all(
        subjects.map(async (subject) => {
          const request: OffboardingRequest = {
            tenantId,
            requestedBy: { id: 'bench', kind: 'system' },
            runbookId: 'reference-offboarding',
            subject,
            mode: 'immediate',
            leaveDate: new Date().toISOString(),
          };
          const runStart = Date.now();
          const handle = await client.workflow.start<typeof offboarding>('offboarding', {
            args: [request],
            taskQueue: w.queues.workflows,
            workflowId: runWorkflowId(tenantId, 'offboarding', subject.subjectId),
          });
          const progress = await handle.result();
          const history = await handle.fetchHistory();
          const trail = await w.stores.evidence.forRun(tenantId, handle.workflowId);
          const contained = Math.max(
            ...trail
              .filter(
                (r) => r.event === 'step-succeeded' && /^(disable|revoke-sessions)-/.test(String(r.detail?.stepId)),
              )
              .map((r) => Date.parse(r.at)),
          );
          return {
            status: progress.status,
            containMs: contained - runStart,
            totalMs: Date.now() - runStart,
            events: history.events?.length ?? 0,
          };
        }),
      );
      const wallMs = Date.now() - started;
      const contain = runs.map((r) => r.containMs).sort((a, b) => a - b);
      const total = runs.map((r) => r.totalMs).sort((a, b) => a - b);
      const stillActive = subjects.filter((s) => w.reference.accounts.get(s.userName)?.enabled).length;
      return {
        leavers: LEAVERS,
        completed: runs.filter((r) => r.status === 'completed').length,
        accountsStillEnabled: stillActive,
        wallSeconds: wallMs / 1000,
        runsPerSecond: Number((LEAVERS / (wallMs / 1000)).toFixed(2)),
        containMs: { p50: percentile(contain, 50), p95: percentile(contain, 95), max: contain.at(-1) },
        runMs: { p50: percentile(total, 50), p95: percentile(total, 95), max: total.at(-1) },
        historyEventsMax: Math.max(...runs.map((r) => r.events)),
        workerRssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
        machine: '2 cores, 24 GiB; Temporal dev server (SQLite), FerretDB (SQLite), workers in this process',
      };
    } finally {
      await w.teardown();
    }
  });
  console.log(JSON.stringify(result, null, 2));
  console.log(`written to ${writeResult('offboarding-throughput', result)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
