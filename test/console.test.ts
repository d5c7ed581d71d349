/**
 * The console in a real browser (Debian's Chromium, driven by playwright-core) against the
 * real API on a port, the lifecycle workflows on the Temporal dev server, FerretDB and the
 * stateful reference platform, signed in with API keys: an approver approves an elevation
 * and the grant happens on the platform; the service desk starts an offboarding, sees the
 * runbook before confirming, and watches it complete. (A reviewer signs in through Keycloak
 * in console-oidc.test.ts.) axe-core runs on every screen; screenshots go to test-results/console/.
 */
import type { Page } from 'playwright-core';
import request from 'supertest';
import { admin, ADMIN_KEY } from './support/api';
import { screenshot, seriousAccessibilityViolations, writeArtifact } from './support/browser';
import { startConsoleStack, type ConsoleStack } from './support/console-stack';
import { seedReviewPopulation } from './support/review-population';
import { eventually } from './support/poll';

const TENANT = 'console-acme';
let stack: ConsoleStack;
const keys: Record<string, string> = {};
const firstRenderMs: number[] = [];
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

beforeAll(async () => {
  // Retention 0: an offboarding's deletion phase is due at once, so it completes on a real-time server.
  stack = await startConsoleStack('console', {
    tenantId: TENANT,
    // Retention 0 as above; a review item nobody decided is revoked at the deadline (the brake test relies on it).
    policy: { retentionDays: 0, approvers: ['approver-1'], reviewDefaultDecision: 'revoke' },
  });
  keys['desk-dana'] = await stack.keyFor('desk-dana', 'service-desk', TENANT);
  keys['approver-1'] = await stack.keyFor('approver-1', 'approver', TENANT);
  keys['admin-ann'] = await stack.keyFor('admin-ann', 'admin', TENANT);
});

afterAll(async () => {
  writeArtifact('metrics.json', {
    bundleBytes: stack?.bundleBytes,
    firstRenderMs,
    note: 'first render: navigation to the sign-in form visible, headless Chromium on this machine, beside the suite',
  });
  await stack?.stop();
});

async function signIn(key: string): Promise<Page> {
  const context = await stack.browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const started = Date.now();
  await page.goto(`${stack.base}/console/`);
  await page.getByRole('textbox', { name: 'API key' }).waitFor();
  firstRenderMs.push(Date.now() - started);
  await page.getByRole('textbox', { name: 'API key' }).fill(key);
  await page.getByRole('button', { name: 'Sign in with the key' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}

async function checkScreen(page: Page, name: string): Promise<void> {
  expect(await seriousAccessibilityViolations(page)).toEqual([]);
  await screenshot(page, name);
}

it('shows the sign-in screen without accessibility violations, and renders no credential', async () => {
  const page = await (await stack.browser.newContext()).newPage();
  await page.goto(`${stack.base}/console/`);
  await page.getByRole('heading', { name: 'API key' }).waitFor();
  await checkScreen(page, 'sign-in');
  await page.getByRole('textbox', { name: 'API key' }).fill(ADMIN_KEY);
  await page.getByRole('button', { name: 'Sign in with the key' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  expect(await page.content()).not.toContain(ADMIN_KEY);
  // An admin sees the tenant screen: connections as references, never secret values.
  await page.getByRole('link', { name: 'Tenant' }).click();
  await page.getByRole('heading', { name: `Tenant ${TENANT}` }).waitFor();
  // Its health: a test call per platform, run by the worker on that platform's queue.
  await page.getByRole('button', { name: 'Test connection to reference' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /^OK at .*signed in and listed accounts/ })
    .waitFor();
  await checkScreen(page, 'tenant');
  await page.context().close();
});

it('an approver approves an elevation in the console and the grant happens on the platform', async () => {
  stack.lc.platformOf(TENANT).seedAccount({ userName: 'ada' });
  const hasAdmin = () =>
    stack.lc
      .platformOf(TENANT)
      .accounts.get('ada')!
      .entitlements.some((e) => e.id === 'global-admin');
  await request(stack.app)
    .post(`/v1/tenants/${TENANT}/privileged-access`)
    .set(bearer(keys['desk-dana']!))
    .send({
      subject: { subjectId: 'ada', userName: 'ada' },
      platform: 'reference',
      entitlementId: 'global-admin',
      durationMinutes: 30,
      justification: 'INC-4711 production outage',
    })
    .expect(202);
  const page = await signIn(keys['approver-1']!);
  await page.getByRole('link', { name: 'Approvals' }).click();
  const card = page.getByRole('article').filter({ hasText: 'Privileged access for ada' });
  await eventually(
    async () => {
      if (await card.count()) return true;
      await page.getByRole('link', { name: 'Runs and campaigns' }).click();
      await page.getByRole('link', { name: 'Approvals' }).click();
      await page.getByRole('heading', { name: 'Approvals' }).waitFor();
      return (await card.count()) > 0 || undefined;
    },
    'the pending request in the console',
    60_000,
  );
  expect(await card.textContent()).toContain('INC-4711 production outage');
  expect(await card.textContent()).toContain('desk-dana');
  expect(await card.textContent()).toContain('30 minutes');
  await checkScreen(page, 'approvals');
  expect(hasAdmin()).toBe(false);
  await card.getByLabel('Comment').fill('outage bridge confirmed');
  await card.getByRole('button', { name: 'Approve' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: 'Approved' })
    .waitFor()
    .catch(async (err: Error) => {
      throw new Error(`${err.message}\nthe page shows: ${await page.locator('main').innerText()}`);
    });
  await eventually(() => Promise.resolve(hasAdmin() || undefined), 'the grant on the platform', 60_000);
  await page.context().close();
});

it('the service desk starts an offboarding, sees the runbook before confirming, and watches it complete', async () => {
  const platform = stack.lc.platformOf(TENANT);
  platform.seedAccount({ userName: 'bob-manager' });
  platform.seedAccount({
    userName: 'bob',
    email: 'bob@example.com',
    sessions: 2,
    entitlements: [{ kind: 'group', id: 'staff' }],
    owned: ['bob-plans.doc'],
  });
  const page = await signIn(keys['desk-dana']!);
  await page.getByRole('link', { name: 'Service desk' }).click();
  await page.getByLabel('Person (subject id)').fill('bob');
  await page.getByLabel('E-mail').fill('bob@example.com');
  await page.getByLabel('Manager').fill('bob-manager');
  await page.getByLabel('Reason').fill('resigned');
  await page.getByLabel(/Immediately/).check();
  await page.getByLabel('Ticket reference').fill('HR-2001');
  await page.getByRole('combobox', { name: 'Runbook' }).selectOption('reference-offboarding');
  await checkScreen(page, 'service-desk');
  await page.getByRole('button', { name: 'Review and start' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText(/reference-offboarding version 1/).waitFor();
  await checkScreen(page, 'service-desk-confirm');
  await dialog.getByRole('button', { name: 'Confirm offboarding' }).click();
  await page
    .getByRole('heading', { name: 'offboarding of bob' })
    .waitFor()
    .catch(async (err: Error) => {
      throw new Error(`${err.message}\nthe page shows: ${await page.locator('main').innerText()}`);
    });
  await page
    .getByTestId('run-status')
    .filter({ hasText: /^completed$/ })
    .waitFor({ timeout: 90_000 })
    .catch(async (err: Error) => {
      throw new Error(`${err.message}\nthe page shows: ${await page.locator('main').innerText()}`);
    });
  await checkScreen(page, 'run');
  // Contained, handed over and, with retention 0, deleted on the platform.
  expect([...platform.accounts.values()].map((a) => a.userName)).not.toContain('bob');
  expect(platform.accounts.get('bob-manager')!.owned).toContain('bob-plans.doc');
  // The run's evidence carries the service desk's reason.
  const runs = await request(stack.app)
    .get(`/v1/tenants/${TENANT}/runs?kind=offboarding&subject=bob`)
    .set(bearer(keys['desk-dana']!))
    .expect(200);
  const evidence = await request(stack.app)
    .get(`/v1/tenants/${TENANT}/runs/${runs.body.items[0].runId as string}/evidence`)
    .set(admin)
    .expect(200);
  const records = evidence.body.records as { event: string; detail?: unknown }[];
  expect(records.find((r) => r.event === 'requested')?.detail).toEqual({
    runbook: { id: 'reference-offboarding', version: 1 },
    reason: 'resigned',
  });

  await page.getByRole('link', { name: 'Runs and campaigns' }).click();
  await page.getByRole('link', { name: 'bob' }).waitFor();
  await checkScreen(page, 'runs');
  await page.context().close();
});

it('an admin follows a campaign per reviewer: decided and pending per share, as bars with their numbers', async () => {
  const platform = stack.lc.platformOf(TENANT);
  const managers = seedReviewPopulation(platform, { prefix: 'camp', managers: 2, subjects: 4, perSubject: 1 });
  const started = await request(stack.app)
    .post(`/v1/tenants/${TENANT}/access-reviews`)
    .set(bearer(keys['desk-dana']!))
    .send({ reviewId: 'camp-q4', deadline: new Date(Date.now() + 3_600_000).toISOString() })
    .expect(202);
  const reviewerKey = await stack.keyFor(managers[0]!, 'reviewer', TENANT);
  type Item = { itemId: string; subjectId: string };
  const items = await eventually(
    async () => {
      const res = await request(stack.app)
        .get(`/v1/tenants/${TENANT}/reviews/camp-q4/items?reviewer=me`)
        .set(bearer(reviewerKey));
      return res.status === 200 && (res.body.items as Item[]).length === 2 ? (res.body.items as Item[]) : undefined;
    },
    'the first manager’s share',
    60_000,
  );
  await request(stack.app)
    .post(`/v1/tenants/${TENANT}/reviews/camp-q4/decisions`)
    .set(bearer(reviewerKey))
    .send({ decisions: items.map((i) => ({ itemId: i.itemId, decision: 'revoke', comment: 'left the team' })) })
    .expect(200);

  const page = await signIn(keys['admin-ann']!);
  await page.goto(`${stack.base}/console/#/run/${encodeURIComponent(started.body.runId as string)}?tenant=${TENANT}`);
  const bar = (manager: string) => page.getByRole('listitem').filter({ hasText: manager });
  await bar(managers[0]!).filter({ hasText: '2 decided, 0 defaulted, 0 pending of 2' }).waitFor({ timeout: 60_000 });
  expect(await bar(managers[1]!).textContent()).toContain('0 decided, 0 defaulted, 2 pending of 2');
  await checkScreen(page, 'campaign');
  // A reviewer's key does not read the others' progress.
  await request(stack.app).get(`/v1/tenants/${TENANT}/reviews/camp-q4/reviewers`).set(bearer(reviewerKey)).expect(403);
  await page.context().close();
});

it('an admin lets a campaign past the blast-radius brake in the console, and the revocations happen', async () => {
  const platform = stack.lc.platformOf(TENANT);
  const [manager] = seedReviewPopulation(platform, { prefix: 'brk', managers: 1, subjects: 2, perSubject: 1 });
  const held = () =>
    [...platform.accounts.values()].filter((a) => a.userName.startsWith('brk-user-') && a.entitlements.length > 0);
  // Nobody decides: at the deadline the tenant's default (revoke) applies to every item, more than the brake's 20 %.
  const started = await request(stack.app)
    .post(`/v1/tenants/${TENANT}/access-reviews`)
    .set(bearer(keys['desk-dana']!))
    .send({ reviewId: 'brk-q4', deadline: new Date(Date.now() + 3_000).toISOString() })
    .expect(202);
  const page = await signIn(keys['admin-ann']!);
  await page.goto(`${stack.base}/console/#/run/${encodeURIComponent(started.body.runId as string)}?tenant=${TENANT}`);
  const brake = page.locator('.card').filter({ has: page.getByRole('heading', { name: 'Blast-radius brake' }) });
  await brake.waitFor({ timeout: 90_000 }).catch(async (err: Error) => {
    throw new Error(`${err.message}\nthe page shows: ${await page.locator('main').innerText()}`);
  });
  // Closed shares count what the deadline defaulted.
  await page
    .getByRole('listitem')
    .filter({ hasText: manager! })
    .filter({ hasText: '0 decided, 2 defaulted, 0 pending of 2' })
    .waitFor();
  expect(held()).toHaveLength(2);
  await checkScreen(page, 'campaign-brake');
  await brake.getByLabel('Comment (optional)').fill('reorganisation: the whole team moved');
  await brake.getByRole('button', { name: 'Go ahead' }).click();
  await page.getByRole('status').filter({ hasText: 'Go-ahead sent' }).waitFor();
  await page
    .getByTestId('run-status')
    .filter({ hasText: /^completed$/ })
    .waitFor({ timeout: 90_000 });
  expect(held()).toEqual([]);
  const evidence = await request(stack.app)
    .get(`/v1/tenants/${TENANT}/runs/${started.body.runId as string}/evidence`)
    .set(admin)
    .expect(200);
  const goAhead = (evidence.body.records as { event: string; actor?: { id: string }; detail?: unknown }[]).find(
    (r) => r.event === 'blast-radius-go-ahead',
  );
  expect(goAhead).toMatchObject({
    actor: { id: 'admin-ann' },
    detail: { comment: 'reorganisation: the whole team moved' },
  });
  await page.context().close();
});
