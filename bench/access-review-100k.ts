/**
 * Access review at scale: 100,000 items over 2,000 reviewers on a real Temporal
 * dev server and FerretDB (started here on free ports), half of the reviewers
 * deciding through updates and the rest defaulting at the deadline, with the
 * blast-radius brake tripping and an automatic go-ahead. Proves that no workflow
 * history grows past a few thousand events.
 *
 * The items come through a real adapter's paging: the SCIM adapter (activities/platforms/scim.ts)
 * against the SCIM contract fake on loopback (test/fakes/scim.ts, pages capped at 100
 * users as providers do), which holds 20,000 people and their 2,000 managers (the
 * enterprise extension's `manager`); every revocation is a SCIM PATCH the fake applies.
 * BENCH_SOURCE=reference collects from the in-process reference platform instead.
 *
 *   npm run bench -- access-review        (or: npx tsx bench/access-review-100k.ts)
 *   BENCH_ITEMS=20000 BENCH_REVIEWERS=400 npx tsx bench/access-review-100k.ts   (smaller run)
 *
 * Writes bench/results/access-review-100k.json (access-review-100k-reference.json for the reference platform).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../workers/progress-writer';
import { scimAdapterFactory } from '../activities/platforms/scim';
import { connectMongo } from '../infra/mongo';
import { ferretDbArgs, freePort, startProcess, waitForPort } from '../scripts/processes';
import { reviewerWorkflowId, type ReviewDecision } from '../shared';
import { blastRadiusGoAheadSignal, progressQuery, reviewDecisionsUpdate, reviewItemsQuery } from '../shared/messages';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes';
import { accessReviewCampaign } from '../workflows/access-review';
import { runHistoryLengths } from '../test/support/histories';
import { FakeScim } from '../test/fakes/scim';
import { startLifecycleWorkers } from '../test/support/lifecycle-workers';
import { seedReviewPopulation } from '../test/support/review-population';
import { TOOLS_BIN } from '../test/support/tools';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
const REVIEWERS = Number(process.env.BENCH_REVIEWERS ?? 2_000);
const PER_SUBJECT = 5;
const DEADLINE_SECONDS = Number(process.env.BENCH_DEADLINE_SECONDS ?? 300);
const SOURCE = process.env.BENCH_SOURCE === 'reference' ? 'reference' : 'scim';
const RESULTS = join(
  __dirname,
  'results',
  SOURCE === 'scim' ? 'access-review-100k.json' : 'access-review-100k-reference.json',
);
const GROUP_NAMES = Array.from({ length: PER_SUBJECT }, (_, g) => `Group ${g}`);

/**
 * The SCIM directory: `subjects` people over `managers` managers (all users of the fake),
 * each person in every one of PER_SUBJECT groups. Returns the managers' SCIM ids (the reviewers).
 */
function seedScimDirectory(scim: FakeScim, managers: number, subjects: number): string[] {
  const managerIds = Array.from(
    { length: managers },
    (_, m) => scim.addUser(`mgr-${String(m).padStart(5, '0')}@bench.example`, { displayName: `Manager ${m}` }).id,
  );
  const groups = GROUP_NAMES.map((name) => scim.addGroup(name));
  for (let s = 0; s < subjects; s += 1) {
    const userName = `user-${String(s).padStart(6, '0')}@bench.example`;
    const user = scim.addUser(userName, {
      emails: [{ value: userName, primary: true }],
      enterprise: { employeeNumber: `E${s}`, manager: managerIds[s % managers] },
    });
    for (const group of groups) group.members.add(user.id);
  }
  return managerIds;
}

async function main(): Promise<void> {
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
  const temporal = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: join(TOOLS_BIN, 'temporal') },
      searchAttributes: [...SEARCH_ATTRIBUTES],
      extraArgs: ['--log-level', 'error'],
    },
  });
  const port = await freePort();
  const ferretdb = startProcess(
    'ferretdb',
    join(TOOLS_BIN, 'ferretdb'),
    ferretDbArgs({ port, dataDir: mkdtempSync(join(tmpdir(), 'irb-bench-')) }),
  );
  await waitForPort(port, 'FerretDB');
  const mongo = await connectMongo({ MONGODB_URI: `mongodb://127.0.0.1:${port}/`, MONGODB_DB: 'bench' });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  const tenantId = 'bench';
  const token = randomUUID();
  process.env.TENANT_BENCH__SCIM_TOKEN = token;
  process.env.ALLOW_INSECURE_PLATFORM_URLS = 'true';
  const scim = await new FakeScim(token).start();
  scim.maxPageSize = 100;
  const lc = await startLifecycleWorkers({
    connection: temporal.nativeConnection,
    db: mongo.db,
    workflowBundle,
    adapters: SOURCE === 'scim' ? { scim: scimAdapterFactory } : {},
  });
  try {
    const policy = {
      reviewDefaultDecision: 'revoke',
      reviewReminderEveryDays: 1,
      blastRadius: { maxShare: 0.5, maxCount: 1_000_000 },
    } as const;
    let managers: string[];
    if (SOURCE === 'scim') {
      await lc.tenants.create({
        tenantId,
        name: tenantId,
        policy,
        connections: [
          { platform: 'scim', baseUrl: scim.baseUrl, credentials: { token: 'env:TENANT_BENCH__SCIM_TOKEN' } },
        ],
      });
      managers = seedScimDirectory(scim, REVIEWERS, ITEMS / PER_SUBJECT);
    } else {
      const platform = await lc.createTenant(tenantId, policy, false);
      managers = seedReviewPopulation(platform, {
        prefix: 'b',
        managers: REVIEWERS,
        subjects: ITEMS / PER_SUBJECT,
        perSubject: PER_SUBJECT,
      });
    }
    const reviewId = '2026-Q4';
    const started = Date.now();
    const handle = await temporal.client.workflow.start(accessReviewCampaign, {
      args: [
        {
          tenantId,
          requestedBy: { id: 'bench', kind: 'schedule' },
          reviewId,
          deadline: new Date(started + DEADLINE_SECONDS * 1000).toISOString(),
        },
      ],
      taskQueue: lc.queues.workflows,
      workflowId: `${tenantId}/access-review/${reviewId}`,
    });

    // Every other reviewer decides their whole share as soon as it is assigned: revoking idle groups (the reference
    // platform reports use) or, where the platform reports none (SCIM), the even-numbered groups, with a comment.
    const deciders = managers.filter((_, i) => i % 2 === 0);
    let decidedReviewers = 0;
    const decide = async (reviewerId: string) => {
      const reviewer = temporal.client.workflow.getHandle(reviewerWorkflowId(tenantId, reviewId, reviewerId));
      for (;;) {
        const items = await reviewer.query(reviewItemsQuery).catch(() => undefined);
        if (items && items.length > 0) {
          const revoke = (i: (typeof items)[number]) =>
            SOURCE === 'scim' ? GROUP_NAMES.indexOf(i.entitlementName ?? '') % 2 === 0 : i.recommendation === 'revoke';
          const decisions: ReviewDecision[] = items.map((i) =>
            revoke(i)
              ? { itemId: i.itemId, decision: 'revoke', comment: 'not needed' }
              : { itemId: i.itemId, decision: 'approve' },
          );
          await reviewer.executeUpdate(reviewDecisionsUpdate, {
            args: [{ reviewer: { id: reviewerId, kind: 'user' }, decisions }],
          });
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
      const batch = managers
        .slice(i, i + 50)
        .map(
          async (m) =>
            (await temporal.client.workflow.getHandle(reviewerWorkflowId(tenantId, reviewId, m)).describe())
              .historyLength,
        );
      reviewerLengths.push(...(await Promise.all(batch)));
    }
    const stillMember = [...scim.groups.values()].reduce((n, g) => n + g.members.size, 0);
    const results = {
      source:
        SOURCE === 'scim'
          ? 'SCIM adapter paging the SCIM contract fake over loopback (100 users a page)'
          : 'in-process reference platform',
      items: tally.items,
      reviewers: tally.reviewers,
      reviewersDecidingByUpdate: decidedReviewers,
      tally,
      wallTimeSeconds: {
        total: (finished - started) / 1000,
        deadlineAfter: DEADLINE_SECONDS,
        brakeTrippedAt: brakeAt && (brakeAt - started) / 1000,
      },
      maxHistoryEvents: {
        anyWorkflow: Math.max(...campaignRuns, ...reviewerLengths),
        campaignRun: Math.max(...campaignRuns),
        reviewer: Math.max(...reviewerLengths),
      },
      campaignRuns: campaignRuns.length,
      campaignRunEvents: campaignRuns,
      ...(SOURCE === 'scim' ? { scim: { memberships: ITEMS, revokedOnPlatform: ITEMS - stillMember } } : {}),
      memory: {
        peakRssMB: Math.round(peakRss / 2 ** 20),
        note: `one process: workers, ${SOURCE === 'scim' ? 'the SCIM contract fake' : 'the in-process reference platform'} with all accounts, client`,
      },
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
    await scim.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
