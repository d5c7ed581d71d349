/**
 * The notification adapter's real client code against CONTRACT FAKES of a Slack
 * incoming webhook and a Teams Workflows webhook (test/fakes/webhooks.ts), with the
 * delivery log on the real FerretDB.
 */
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { createNotificationAdapterFactory } from '../activities/platforms/notification';
import type { AdapterFactory } from '../activities/platforms/adapter';
import { CAPABILITIES, type PlatformConnection } from '../shared';
import { NotificationLog } from '../store/notifications';
import { SlackWebhookFake, TeamsWebhookFake } from './fakes/webhooks';
import { activityFailure, implementedActions, platformHarness } from './support/platform-harness';
import { testMongo } from './support/servers';

const SLACK_SECRET = 'XXslackSECRETxx0123456789';
const TEAMS_SIG = 'teamsSIGsecret987654321';
const slack = new SlackWebhookFake(SLACK_SECRET);
const teams = new TeamsWebhookFake(TEAMS_SIG);
const env: NodeJS.ProcessEnv = {};
let mongo: Awaited<ReturnType<typeof testMongo>>;
let factory: AdapterFactory;
const connection = (kind: 'slack' | 'teams', variable: string): PlatformConnection => ({
  platform: 'notification',
  settings: { kind },
  credentials: { webhookUrl: `env:${variable}` },
});

beforeAll(async () => {
  [mongo] = await Promise.all([testMongo('notification'), slack.http.start(), teams.http.start()]);
  const log = new NotificationLog(mongo.db);
  await log.ensureIndexes();
  factory = createNotificationAdapterFactory(log);
  Object.assign(env, {
    SLACK_URL: slack.webhookUrl,
    TEAMS_URL: teams.webhookUrl,
    DEAD_URL: `http://127.0.0.1:9/services/T/B/${SLACK_SECRET}`,
  });
});
afterAll(() => Promise.all([mongo.drop(), slack.http.stop(), teams.http.stop()]));

const notice = {
  runId: 'offboarding-acme-e1001',
  status: 'completed-with-failures',
  summary: 'Ada <Lovelace> offboarded on 5 of 6 platforms',
  needsHuman: ['okta: disableAccount failed (PlatformForbidden)'],
};

it('implements exactly its catalogue actions', () => {
  expect(implementedActions(factory(connection('teams', 'TEAMS_URL'), () => '')).sort()).toEqual(
    [...CAPABILITIES.notification].sort(),
  );
});

it('posts a Slack message naming the run, its status and what needs a human, once', async () => {
  const { run } = platformHarness('notification', factory, () => connection('slack', 'SLACK_URL'), env);
  expect(await run('notify', { ...notice })).toEqual({ outcome: 'done' });
  expect(await run('notify', { ...notice })).toEqual({ outcome: 'already-done' });
  expect(slack.messages).toHaveLength(1);
  const text = JSON.stringify(slack.messages[0]);
  expect(slack.messages[0]!.text).toBe('Identity runbook offboarding-acme-e1001: completed-with-failures');
  expect(text).toContain('*Needs a human*\\n• okta: disableAccount failed (PlatformForbidden)');
  expect(text).toContain('Ada &lt;Lovelace&gt;');
  expect(await run('notify', { ...notice, status: 'completed', needsHuman: [] })).toEqual({ outcome: 'done' });
  expect(JSON.stringify(slack.messages[1])).toContain('Nothing: every step finished.');
});

it('cuts a long to-do list to what a chat message can hold, saying how much more there is', async () => {
  const { run } = platformHarness('notification', factory, () => connection('slack', 'SLACK_URL'), env);
  const needsHuman = Array.from(
    { length: 200 },
    (_, i) => `github: deleteCredential deploy-key:repo-${i}/${i} failed <PlatformForbidden> ${'x'.repeat(150)}`,
  );
  expect(await run('notify', { ...notice, runId: 'campaign-1', needsHuman })).toEqual({ outcome: 'done' });
  const todo = slack.messages.at(-1)!.blocks!.at(-1)!.text!.text;
  expect(todo.length).toBeLessThanOrEqual(3000);
  expect(todo).toContain('…and 180 more');
});

it('posts a Teams Adaptive Card with the run and status as facts, once', async () => {
  const { run } = platformHarness('notification', factory, () => connection('teams', 'TEAMS_URL'), env);
  expect(await run('notify', { ...notice })).toEqual({ outcome: 'done' });
  expect(await run('notify', { ...notice })).toEqual({ outcome: 'already-done' });
  expect(teams.cards).toHaveLength(1);
  expect(teams.cards[0]!.body.find((b) => b.type === 'FactSet')!.facts).toEqual([
    { title: 'Run', value: notice.runId },
    { title: 'Status', value: notice.status },
  ]);
  expect(teams.cards[0]!.body.map((b) => b.text)).toContain('- okta: disableAccount failed (PlatformForbidden)');
});

describe('a notice links to the console screen where the person acts on it', () => {
  const consoleUrl = 'https://irb.example.test/console/';
  let linked: AdapterFactory;
  beforeAll(() => {
    linked = createNotificationAdapterFactory(new NotificationLog(mongo.db), { consoleUrl });
  });

  it("opens My reviews for a reviewer's share, on Slack as a button", async () => {
    const { run } = platformHarness('notification', linked, () => connection('slack', 'SLACK_URL'), env);
    const share = {
      runId: 'tenant-a/access-review/q1/reviewer/mgr-1',
      status: 'reminder',
      summary: 'access review q1: 3 items of mgr-1 await a decision',
      needsHuman: ['mgr-1'],
    };
    expect(await run('notify', share)).toEqual({ outcome: 'done' });
    const message = slack.messages.at(-1)!;
    expect(JSON.stringify(message)).toContain(`"url":"${consoleUrl}#/reviews?tenant=tenant-a"`);
  });

  it('opens Approvals for a request that waits for one, on Teams as an OpenUrl action', async () => {
    const { run } = platformHarness('notification', linked, () => connection('teams', 'TEAMS_URL'), env);
    const waiting = { ...notice, runId: 'tenant-a/privileged-access/e7', status: 'waiting-for-approval' };
    expect(await run('notify', waiting)).toEqual({ outcome: 'done' });
    expect(JSON.stringify(teams.cards.at(-1))).toContain(
      `{"type":"Action.OpenUrl","title":"Open in the console","url":"${consoleUrl}#/approvals?tenant=tenant-a"}`,
    );
  });

  it('opens the runs otherwise, and links nowhere when no console URL is configured', async () => {
    const { run } = platformHarness('notification', linked, () => connection('slack', 'SLACK_URL'), env);
    expect(await run('notify', { ...notice, runId: 'offboarding-link-1' })).toEqual({ outcome: 'done' });
    expect(JSON.stringify(slack.messages.at(-1))).toContain(`${consoleUrl}#/runs?tenant=tenant-a`);
    const plain = platformHarness('notification', factory, () => connection('slack', 'SLACK_URL'), env);
    expect(await plain.run('notify', { ...notice, runId: 'offboarding-link-2' })).toEqual({ outcome: 'done' });
    expect(JSON.stringify(slack.messages.at(-1))).not.toContain('console');
  });
});

describe('failures never reveal the webhook URL', () => {
  const logged: LogEntry[] = [];
  const logger = new DefaultLogger('TRACE', (entry) => logged.push(entry));
  const notify = (variable: string, runId: string) =>
    platformHarness('notification', factory, () => connection('slack', variable), env, logger).run('notify', {
      ...notice,
      runId,
    });
  afterAll(() => {
    const everything = JSON.stringify(
      logged.map((e) => [e.message, e.meta]),
      (_k, v: unknown) => (v instanceof Error ? `${v.message} ${v.stack}` : v),
    );
    expect(logged.length).toBeGreaterThan(0);
    expect(everything).not.toContain(SLACK_SECRET);
  });

  it('reports a removed webhook or archived channel as non-retryable', async () => {
    slack.gone = 404;
    const removed = await activityFailure(notify('SLACK_URL', 'r-404'));
    slack.gone = 410;
    const archived = await activityFailure(notify('SLACK_URL', 'r-410'));
    slack.gone = undefined;
    expect(removed).toMatchObject({
      type: 'PlatformNotFound',
      nonRetryable: true,
      message: 'slack webhook failed with 404',
    });
    expect(archived).toMatchObject({ type: 'PlatformNotFound', nonRetryable: true });
    expect(await notify('SLACK_URL', 'r-404')).toEqual({ outcome: 'done' });
  });

  it('retries a rate-limited or unreachable webhook, after Retry-After when given', async () => {
    slack.http.failNext(1, 429, { 'Retry-After': '30' });
    expect(await activityFailure(notify('SLACK_URL', 'r-429'))).toMatchObject({
      type: 'PlatformThrottled',
      nonRetryable: false,
      nextRetryDelay: 30_000,
    });
    const dead = await activityFailure(notify('DEAD_URL', 'r-dead'));
    expect(dead).toMatchObject({
      type: 'PlatformUnreachable',
      nonRetryable: false,
      message: 'slack webhook unreachable',
    });
  });

  it('treats a wrong webhook secret as forbidden', async () => {
    env.WRONG_URL = slack.webhookUrl.replace(SLACK_SECRET, 'not-the-secret');
    expect(await activityFailure(notify('WRONG_URL', 'r-403'))).toMatchObject({
      type: 'PlatformForbidden',
      nonRetryable: true,
    });
  });
});

it('refuses a connection without a kind or a webhook reference', () => {
  expect(() =>
    factory({ platform: 'notification', settings: { kind: 'email' }, credentials: { webhookUrl: 'env:X' } }, () => ''),
  ).toThrow(/settings.kind/);
  expect(() => factory({ platform: 'notification', settings: { kind: 'slack' } }, () => '')).toThrow(/webhookUrl/);
});
