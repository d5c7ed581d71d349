/**
 * A rotation campaign at scale: CREDENTIALS non-human credentials on one tenant (OLD_SHARE of them older than the
 * tenant's 90-day maximum age, each owned by a service account of its own) on the in-process reference platform,
 * through this project's workers on the Temporal dev server and FerretDB. The campaign enumerates them tenant-wide
 * (pages into the store, not its history), rotates every old one in a child workflow, CONCURRENCY at a time, and
 * leaves the others alone. Measures wall time, rotations a second, the largest history of the campaign (each run
 * across continue-as-new) and of a rotation, and peak memory; checks every old credential was replaced on the
 * platform and no fresh one was touched.
 * Run: `npm run bench -- rotation-campaign` (CREDENTIALS=10000 OLD_SHARE=0.8 CONCURRENCY=50).
 * Writes bench/results/rotation-campaign-10k.json.
 */
import { rotationSubjectKey, runWorkflowId } from '../shared';
import { rotationCampaign } from '../workflows/rotation-campaign';
import { runHistoryLengths } from '../test/support/histories';
import { startLifecycleWorkers } from '../test/support/lifecycle-workers';
import { bundleWorkflows, testMongo, testTemporal } from '../test/support/servers';
import { withServers, writeResult } from './support/stack';

const CREDENTIALS = Number(process.env.CREDENTIALS ?? 10_000);
const OLD_SHARE = Number(process.env.OLD_SHARE ?? 0.8);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 50);
const DAY_MS = 86_400_000;

async function main(): Promise<void> {
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
  const result = await withServers(async () => {
    const [mongo, temporal, workflowBundle] = await Promise.all([
      testMongo('bench_rotation'),
      testTemporal(),
      bundleWorkflows(),
    ]);
    const lc = await startLifecycleWorkers({ connection: temporal.nativeConnection, db: mongo.db, workflowBundle });
    try {
      const tenantId = 'bench-rotation';
      const platform = await lc.createTenant(
        tenantId,
        { rotationMaxAgeDays: 90, blastRadius: { maxShare: 1, maxCount: 1_000_000 } },
        false,
      );
      const old = Math.round(CREDENTIALS * OLD_SHARE);
      const credentials = Array.from({ length: CREDENTIALS }, (_, i) => {
        const ownerId = `svc-${i}`;
        platform.seedAccount({ userName: ownerId, kind: 'service' });
        return platform.seedCredential({
          id: `key-${i}`,
          kind: 'access-key',
          ownerId,
          status: 'active',
          createdAt: new Date(Date.now() - (i < old ? 200 : 1) * DAY_MS).toISOString(),
        });
      });

      const started = Date.now();
      const handle = await temporal.client.workflow.start(rotationCampaign, {
        args: [{ tenantId, requestedBy: { id: 'bench', kind: 'schedule' }, concurrency: CONCURRENCY }],
        taskQueue: lc.queues.workflows,
        workflowId: `${tenantId}/rotation-campaign-bench`,
      });
      const counts = await handle.result();
      const wallSeconds = (Date.now() - started) / 1000;

      const campaignRuns = await runHistoryLengths(temporal.client, handle.workflowId, handle.firstExecutionRunId);
      // A sample of the rotations (their active phase is done; the old key's grace period is still running).
      const sample = credentials.slice(0, old).filter((_, i) => i % Math.max(1, Math.floor(old / 50)) === 0);
      const rotationHistories = await Promise.all(
        sample.map(async (c) => {
          const id = runWorkflowId(tenantId, 'credential-rotation', rotationSubjectKey({ ...c, credentialId: c.id }));
          return ((await temporal.client.workflow.getHandle(id).fetchHistory()).events ?? []).length;
        }),
      );
      const replaced = credentials
        .slice(0, old)
        .filter((c) => platform.credentialsOf(c.ownerId).some((k) => k.id !== c.id && k.status === 'active')).length;
      const freshUntouched = credentials
        .slice(old)
        .filter(
          (c) => platform.credentialsOf(c.ownerId).length === 1 && platform.credentials.get(c.id)?.status === 'active',
        ).length;
      return {
        credentials: CREDENTIALS,
        olderThanMaxAge: old,
        concurrency: CONCURRENCY,
        counts,
        oldReplacedOnPlatform: replaced,
        freshUntouched,
        wallSeconds,
        rotationsPerSecond: Number((counts.rotated / wallSeconds).toFixed(2)),
        campaignHistory: { runs: campaignRuns.length, largest: Math.max(...campaignRuns) },
        rotationHistoryLargest: Math.max(...rotationHistories),
        peakRssMiB: Math.round(peakRss / 2 ** 20),
        machine:
          '2 cores, 24 GiB; Temporal dev server (SQLite), FerretDB (SQLite); workers, client and the platform in this process',
      };
    } finally {
      clearInterval(sampler);
      await lc.stop();
      await mongo.drop();
      await temporal.close();
    }
  });
  console.log(JSON.stringify(result, null, 2));
  console.log(`written to ${writeResult('rotation-campaign-10k', result)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
