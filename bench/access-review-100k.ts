/**
 * Access review at scale: 100,000 items over 2,000 reviewers on a real Temporal
 * dev server and FerretDB (started here on free ports), half of the reviewers
 * deciding through updates and the rest defaulting at the deadline, with the
 * blast-radius brake tripping and an automatic go-ahead. Proves that no workflow
 * history grows past a few thousand events.
 *
 *   npm run bench -- access-review        (or: npx tsx bench/access-review-100k.ts)
 *   BENCH_ITEMS=20000 BENCH_REVIEWERS=400 npx tsx bench/access-review-100k.ts   (smaller run)
 *
 * Writes bench/results/access-review-100k.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { connectMongo } from '../infra/mongo';
import { freePort, startProcess, waitForPort } from '../scripts/processes';
import { reviewerWorkflowId, type ReviewDecision } from '../shared';
import { blastRadiusGoAheadSignal, progressQuery, reviewDecisionsUpdate, reviewItemsQuery } from '../shared/messages';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes';
import { accessReviewCampaign } from '../workflows/access-review';
import { runHistoryLengths } from '../test/support/histories';
import { startLifecycleWorkers } from '../test/support/lifecycle-workers';
import { seedReviewPopulation } from '../test/support/review-population';
import { TOOLS_BIN } from '../test/support/tools';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
const REVIEWERS = Number(process.env.BENCH_REVIEWERS ?? 2_000);
const PER_SUBJECT = 5;
const DEADLINE_SECONDS = Number(process.env.BENCH_DEADLINE_SECONDS ?? 300);
const RESULTS = join(__dirname, 'results', 'access-review-100k.json');

async function main(): Promise<void> {
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
  const temporal = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: join(TOOLS_BIN, 'temporal') }, searchAttributes: [...SEARCH_ATTRIBUTES], extraArgs: ['--log-level', 'error'] },
  });
  const port = await freePort();
  const ferretdb = startProcess('ferretdb', join(TOOLS_BIN, 'ferretdb'), ['-listen-addr', `127.0.0.1:${port}`, '-data-dir', mkdtempSync(join(tmpdir(), 'irb-bench-'))]);
  await waitForPort(port, 'FerretDB');
  const mongo = await connectMongo({ MONGODB_URI: `mongodb://127.0.0.1:${port}/`, MONGODB_DB: 'bench' });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  const lc = await startLifecycleWorkers({ connection: temporal.nativeConnection, db: mongo.db, workflowBundle });
  try {
    const tenantId = 'bench';
    const platform = await lc.createTenant(tenantId, { reviewDefaultDecision: 'revoke', reviewReminderEveryDays: 1, blastRadius: { maxShare: 0.5, maxCount: 1_000_000 } }, false);
    const managers = seedReviewPopulation(platform, { prefix: 'b', managers: REVIEWERS, subjects: ITEMS / PER_SUBJECT, perSubject: PER_SUBJECT });
    const reviewId = '2026-Q4';
    const started = Date.now();
    const handle = await temporal.client.workflow.start(accessReviewCampaign, {
      args: [{ tenantId, requestedBy: { id: 'bench', kind: 'schedule' }, reviewId, deadline: new Date(started + DEADLINE_SECONDS * 1000).toISOString() }],
      taskQueue: lc.queues.workflows,
      workflowId: `${tenantId}/access-review/${reviewId}`,
    });

    // Every other reviewer decides their whole share (revoking idle groups, with a comment) as soon as it is assigned.
    const deciders = managers.filter((_, i) => i % 2 === 0);
    let decidedReviewers = 0;
    const decide = async (reviewerId: string) => {
      const reviewer = temporal.client.workflow.getHandle(reviewerWorkflowId(tenantId, reviewId, reviewerId));
      for (;;) {
        const items = await reviewer.query(reviewItemsQuery).catch(() => undefined);
        if (items && items.length > 0) {
          const decisions: ReviewDecision[] = items.map((i) => (i.recommendation === 'revoke' ? { itemId: i.itemId, decision: 'revoke', comment: 'idle 60 days' } : { itemId: i.itemId, decision: 'approve' }));
          await reviewer.executeUpdate(reviewDecisionsUpdate, { args: [{ reviewer: { id: reviewerId, kind: 'user' }, decisions }] });
          decidedReviewers += 1;
          return;
        }
        if (Date.now() > started + DEADLINE_SECONDS * 1000) return;
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    const deciding = (async () => {
      for (let i = 0; i < deciders.length; i += 20) await Promise.all(deciders.slice(i, i + 20).map(decide));
    })();

    // The brake trips (more than half revoked); a human (here: the bench) sends the go-ahead.
    let brakeAt: number | undefined;
    const goAhead = (async () => {
      for (;;) {
        const progress = await handle.query(progressQuery).catch(() => undefined);
        if (progress?.status === 'paused') {
          brakeAt = Date.now();
          await handle.signal(blastRadiusGoAheadSignal, { approvedBy: { id: 'bench', kind: 'user' } });
          return;
        }
        if (progress && ['completed', 'completed-with-failures', 'failed'].includes(progress.status)) return;
        await new Promise((r) => setTimeout(r, 2000));
      }
    })();
    const tally = await handle.result();
    const finished = Date.now();
    await Promise.all([deciding, goAhead]);

    const campaignRuns = await runHistoryLengths(temporal.client, handle.workflowId, handle.firstExecutionRunId);
    const reviewerLengths: number[] = [];
    for (let i = 0; i < managers.length; i += 50) {
      const batch = managers.slice(i, i + 50).map(async (m) => (await temporal.client.workflow.getHandle(reviewerWorkflowId(tenantId, reviewId, m)).describe()).historyLength);
      reviewerLengths.push(...(await Promise.all(batch)));
    }
    const results = {
      items: tally.items,
      reviewers: tally.reviewers,
      reviewersDecidingByUpdate: decidedReviewers,
      tally,
      wallTimeSeconds: { total: (finished - started) / 1000, deadlineAfter: DEADLINE_SECONDS, brakeTrippedAt: brakeAt && (brakeAt - started) / 1000 },
      maxHistoryEvents: { anyWorkflow: Math.max(...campaignRuns, ...reviewerLengths), campaignRun: Math.max(...campaignRuns), reviewer: Math.max(...reviewerLengths) },
      campaignRuns: campaignRuns.length,
      campaignRunEvents: campaignRuns,
      memory: { peakRssMB: Math.round(peakRss / 2 ** 20), note: 'one process: workers, in-process reference platform with all accounts, client' },
      machine: { cpus: cpus().length, node: process.version },
      at: new Date().toISOString(),
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  } finally {
    clearInterval(sampler);
    await lc.stop();
    await mongo.client.close();
    await temporal.teardown();
    await ferretdb.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
