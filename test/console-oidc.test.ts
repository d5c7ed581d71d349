/**
 * A reviewer signs in to the console through Keycloak (authorization code with PKCE, a public
 * client, the real Keycloak login page in Debian's Chromium), revokes two items and approves
 * one, and the reviewer's workflow holds exactly those decisions. The API accepts the access
 * token as it accepts any token of its issuer: the reviewer id is the token's user name and
 * the grants come from the token's irb_roles claim.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { ReviewItem } from '../shared/runs';
import { screenshot, seriousAccessibilityViolations } from './support/browser';
import { startConsoleStack, type ConsoleStack } from './support/console-stack';
import { startKeycloak, type KeycloakServer } from './support/keycloak';
import { adminApi } from './support/keycloak-fixtures';
import { seedReviewPopulation } from './support/review-population';
import { eventually } from './support/poll';

const TENANT = 'console-sso';
const REALM = 'irb-console';
let keycloak: KeycloakServer;
let stack: ConsoleStack;

beforeAll(async () => {
  keycloak = await startKeycloak();
  stack = await startConsoleStack('console_oidc', {
    tenantId: TENANT,
    app: () => ({
      oidc: {
        issuer: `${keycloak.url}/realms/${REALM}`,
        audience: 'identity-runbooks',
        rolesClaim: 'irb_roles',
        subjectClaim: 'preferred_username',
      },
      console: { oidcClientId: 'irb-console' },
    }),
  });
  const kc = adminApi(keycloak, REALM);
  await adminApi(keycloak, '')('POST', '', { realm: REALM, enabled: true });
  await kc('POST', '/clients', {
    clientId: 'irb-console',
    publicClient: true,
    standardFlowEnabled: true,
    directAccessGrantsEnabled: false,
    redirectUris: [`${stack.base}/console/*`],
    webOrigins: [stack.base],
    attributes: { 'pkce.code.challenge.method': 'S256' },
    protocolMappers: [
      {
        name: 'api audience',
        protocol: 'openid-connect',
        protocolMapper: 'oidc-audience-mapper',
        config: { 'included.custom.audience': 'identity-runbooks', 'access.token.claim': 'true' },
      },
      {
        name: 'irb roles',
        protocol: 'openid-connect',
        protocolMapper: 'oidc-usermodel-realm-role-mapper',
        config: {
          'claim.name': 'irb_roles',
          multivalued: 'true',
          'jsonType.label': 'String',
          'access.token.claim': 'true',
        },
      },
    ],
  });
}, 600_000);

afterAll(async () => {
  await stack?.stop();
  await keycloak?.stop();
});

/** A person in the realm with a `reviewer:<tenant>` realm role, which the client's mapper puts in irb_roles. */
async function seedReviewer(userName: string): Promise<string> {
  const kc = adminApi(keycloak, REALM);
  const password = randomBytes(9).toString('base64url');
  const role = `reviewer:${TENANT}`;
  await kc('POST', '/roles', { name: role });
  const user = await kc('POST', '/users', {
    username: userName,
    enabled: true,
    email: `${userName}@example.com`,
    emailVerified: true,
    firstName: 'Maria',
    lastName: 'Manager',
    credentials: [{ type: 'password', value: password, temporary: false }],
  });
  const userId = user.location!.split('/').at(-1)!;
  const roleRep = (await kc('GET', `/roles/${encodeURIComponent(role)}`)).body;
  await kc('POST', `/users/${userId}/role-mappings/realm`, [roleRep]);
  return password;
}

it('a reviewer signs in through Keycloak, revokes two items and approves one; the workflow holds exactly those', async () => {
  const [manager] = seedReviewPopulation(stack.lc.platformOf(TENANT), {
    prefix: 'sso',
    managers: 1,
    subjects: 2,
    perSubject: 2,
  });
  const password = await seedReviewer(manager!);
  const desk = { Authorization: `Bearer ${await stack.keyFor('desk-dana', 'service-desk', TENANT)}` };
  await request(stack.app)
    .post(`/v1/tenants/${TENANT}/access-reviews`)
    .set(desk)
    .send({ reviewId: 'q4-2026', deadline: new Date(Date.now() + 3_600_000).toISOString() })
    .expect(202);
  const reviewerKey = { Authorization: `Bearer ${await stack.keyFor(manager!, 'reviewer', TENANT)}` };
  const itemsPath = `/v1/tenants/${TENANT}/reviews/q4-2026/items?reviewer=me`;
  const items = await eventually(
    async () => {
      const res = await request(stack.app).get(itemsPath).set(reviewerKey);
      return res.status === 200 && (res.body.items as ReviewItem[]).length === 4
        ? (res.body.items as ReviewItem[])
        : undefined;
    },
    'the reviewer’s items',
    60_000,
  );

  const page = await (await stack.browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
  await page.goto(`${stack.base}/console/#/reviews`);
  await page.getByRole('button', { name: 'Sign in with your organisation' }).click();
  // Keycloak's own login page.
  await page.locator('#username').fill(manager!);
  await page.locator('#password').fill(password);
  await page.locator('#kc-login').click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  expect(await page.getByText(`Signed in as ${manager!}`).count()).toBe(1);
  // A reviewer sees only their screen: no approvals, no service desk.
  expect(await page.getByRole('navigation', { name: 'Screens' }).getByRole('link').allTextContents()).toEqual([
    'My reviews',
  ]);
  await page.getByRole('heading', { name: 'Review q4-2026' }).waitFor();
  await page.locator('tr[data-item]').nth(3).waitFor();
  expect(await seriousAccessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'my-reviews');

  const idle = items.filter((i) => i.entitlementId === 'g0');
  const kept = items.find((i) => i.entitlementId === 'g1')!;
  for (const item of idle) await page.locator(`tr[data-item="${item.itemId}"] input[type=checkbox]`).check();
  // A revocation without a comment is refused before anything is sent.
  await page.getByRole('button', { name: 'Revoke selected (2)' }).click();
  await page.getByRole('alert').filter({ hasText: 'needs a comment' }).waitFor();
  await page.getByLabel('Comment (required to revoke)').fill('no sign-in for 60 days');
  await page.getByRole('button', { name: 'Revoke selected (2)' }).click();
  await page.getByRole('status').filter({ hasText: 'Accepted: 2 recorded' }).waitFor();
  await page
    .locator(`tr[data-item="${kept.itemId}"]`)
    .getByRole('button', { name: /^Approve/ })
    .click();
  await page.getByRole('status').filter({ hasText: 'Accepted: 1 recorded' }).waitFor();
  await screenshot(page, 'my-reviews-decided');

  const after = (await request(stack.app).get(itemsPath).set(reviewerKey).expect(200)).body.items as ReviewItem[];
  const decided = Object.fromEntries(after.filter((i) => i.decision).map((i) => [i.itemId, [i.decision, i.comment]]));
  expect(decided).toEqual({
    [idle[0]!.itemId]: ['revoke', 'no sign-in for 60 days'],
    [idle[1]!.itemId]: ['revoke', 'no sign-in for 60 days'],
    [kept.itemId]: ['approve', undefined],
  });
  // The decisions were made as the signed-in person: the evidence names them.
  const actors = await eventually(async () => {
    const records = await stack.lc.evidence.forRun(TENANT, `${TENANT}/access-review/q4-2026/reviewer/${manager!}`);
    const decisions = records.filter((r) => r.event === 'review-decisions');
    return decisions.length === 2 ? decisions.map((r) => r.actor.id) : undefined;
  }, 'the decisions’ evidence');
  expect(actors).toEqual([manager, manager]);
  await page.context().close();
});
