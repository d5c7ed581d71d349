/**
 * Campaigns over real platforms, through the API: the API and this project's workers
 * (createWorkers with the real AWS IAM and Keycloak adapters, the embedded secret store)
 * on the Temporal dev server and FerretDB, acting on moto and on Keycloak (dev mode),
 * both started for this file. A rotation campaign triggered from a tenant's Schedule
 * enumerates every IAM user's access keys; an access review collects IAM users and
 * Keycloak users with their managers, two managers decide with their own keys, and
 * the revocations are checked on the platforms themselves.
 */
import {
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateUserCommand,
  ListAccessKeysCommand,
  ListGroupsForUserCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Worker } from '@temporalio/worker';
import request from 'supertest';
import { awsIamAdapterFactory } from '../activities/platforms/aws-iam';
import { keycloakAdapterFactory } from '../activities/platforms/keycloak';
import type { ReviewItem } from '../shared/runs';
import { taskQueues } from '../shared/task-queues';
import { createWorkers } from '../workers/create-workers';
import { admin, testApi, type TestApi } from './support/api';
import { awsClients } from './support/aws-fixtures';
import type { Emulator } from './support/emulator';
import { startKeycloak, type KeycloakServer } from './support/keycloak';
import { provisionRealm, type KeycloakTestRealm } from './support/keycloak-fixtures';
import { motoConnection, startMoto } from './support/moto';
import { handedOver } from './support/secrets';
import { bundleWorkflows, uniqueQueue } from './support/servers';
import { eventually } from './support/poll';

let api: TestApi;
let app: TestApi['app'];
let moto: Emulator;
let keycloak: KeycloakServer;
let realm: KeycloakTestRealm;
let iam: IAMClient;
let workers: Worker[];
let running: Promise<unknown>;
type Auth = { Authorization: string };

beforeAll(async () => {
  let bundle;
  [api, moto, keycloak, bundle] = await Promise.all([
    testApi('campaigns_real'),
    startMoto(),
    startKeycloak(),
    bundleWorkflows(),
  ]);
  realm = await provisionRealm(keycloak);
  // Managers arrive as a user attribute (an HR sync writes it): the realm's user profile must keep such attributes.
  const profile = await realm.admin<Record<string, unknown>>('GET', '/users/profile');
  await realm.admin('PUT', '/users/profile', { ...profile.body, unmanagedAttributePolicy: 'ENABLED' });
  iam = awsClients(moto.url).iam;
  const prefix = `${uniqueQueue('campaigns-real')}-`;
  workers = await createWorkers(
    {
      connection: api.temporal.nativeConnection,
      namespace: 'default',
      mongo: api.mongo,
      secretCipher: api.secretCipher,
      adapters: { 'aws-iam': awsIamAdapterFactory, keycloak: keycloakAdapterFactory },
    },
    { taskQueuePrefix: prefix, workflowBundle: bundle },
  );
  running = Promise.all(workers.map((w) => w.run()));
  app = api.appWith({ queues: taskQueues(prefix) });
}, 360_000);

afterAll(async () => {
  workers?.forEach((w) => w.shutdown());
  await running;
  iam?.destroy();
  await Promise.all([api?.close(), moto?.stop(), keycloak?.stop()]);
});

/** A tenant made through the API, connected to moto (and Keycloak) with secrets handed over through the API's store. */
async function tenant(tenantId: string, policy: object, withKeycloak: boolean): Promise<Auth> {
  await request(app).post('/v1/tenants').set(admin).send({ tenantId, name: tenantId, policy }).expect(201);
  const connections = await Promise.all(
    [motoConnection('aws-iam', moto.url), ...(withKeycloak ? [realm.connection] : [])].map((c) =>
      handedOver(api.stores.secrets, tenantId, c),
    ),
  );
  await request(app).patch(`/v1/tenants/${tenantId}`).set(admin).send({ connections }).expect(200);
  return api.keyFor([{ role: 'admin', tenantId }], `${tenantId}-admin`);
}

const keysOf = async (userName: string) =>
  (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [];

it('rotates, from a Schedule, every IAM access key created before the cutoff; keys after it and inactive ones stay; the consumer reads the new key', async () => {
  const tenantId = 'rot-real';
  const owner = await tenant(
    tenantId,
    { rotationGracePeriodHours: 0, blastRadius: { maxShare: 1, maxCount: 100 } },
    false,
  );
  const [dueA, dueB, inactive, fresh] = ['svc-deploy', 'svc-backup', 'svc-retired', 'svc-new'].map(
    (n) => `${n}-${uniqueQueue('u').slice(-6)}`,
  ) as [string, string, string, string];
  const oldKeys = new Map<string, string>();
  for (const userName of [dueA, dueB, inactive]) {
    await iam.send(new CreateUserCommand({ UserName: userName }));
    oldKeys.set(userName, (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!.AccessKeyId!);
  }
  await iam.send(
    new UpdateAccessKeyCommand({ UserName: inactive, AccessKeyId: oldKeys.get(inactive), Status: 'Inactive' }),
  );
  // The cutoff: just after the last old key as IAM dates it; the fresh key is created once the clock is past it.
  const created = await Promise.all(
    [dueA, dueB, inactive].map(async (u) => (await keysOf(u))[0]!.CreateDate!.getTime()),
  );
  const cutoff = new Date(Math.max(...created) + 1);
  while (Date.now() < cutoff.getTime() + 1_100) await new Promise((r) => setTimeout(r, 200));
  await iam.send(new CreateUserCommand({ UserName: fresh }));
  const freshKey = (await iam.send(new CreateAccessKeyCommand({ UserName: fresh }))).AccessKey!;
  expect(freshKey.CreateDate!.getTime()).toBeGreaterThan(cutoff.getTime());

  const schedules = `/v1/tenants/${tenantId}/schedules`;
  await request(app)
    .post(schedules)
    .set(owner)
    .send({
      scheduleId: 'after-incident',
      kind: 'rotation-campaign',
      every: '90d',
      paused: true,
      campaign: { createdBefore: cutoff.toISOString() },
    })
    .expect(201);
  await request(app).post(`${schedules}/after-incident/trigger`).set(owner).expect(202);
  const campaignId = await eventually(
    async () => {
      const res = await request(app).get(`${schedules}/after-incident`).set(owner).expect(200);
      return (res.body.recentActions as { workflowId: string }[])[0]?.workflowId;
    },
    'the triggered campaign',
    30_000,
  );
  await expect(api.temporal.client.workflow.getHandle(campaignId).result()).resolves.toMatchObject({
    rotated: 2,
    failed: 0,
    'rolled-back': 0,
  });

  // The campaign's rotations are the tenant's runs, found through the API by owner.
  for (const userName of [dueA, dueB]) {
    await eventually(
      async () => {
        const res = await request(app)
          .get(`/v1/tenants/${tenantId}/runs?kind=credential-rotation&subject=${userName}`)
          .set(owner)
          .expect(200);
        return (res.body.items as { status: string }[]).some((r) => r.status === 'completed') ? true : undefined;
      },
      `the rotation of ${userName}`,
      60_000,
    );
    const keys = await keysOf(userName);
    expect(keys.map((k) => [k.AccessKeyId === oldKeys.get(userName), k.Status])).toEqual([[false, 'Active']]);
  }
  expect((await keysOf(inactive)).map((k) => [k.AccessKeyId, k.Status])).toEqual([[oldKeys.get(inactive), 'Inactive']]);
  expect((await keysOf(fresh)).map((k) => [k.AccessKeyId, k.Status])).toEqual([[freshKey.AccessKeyId, 'Active']]);

  // The deploy pipeline (a consumer key for its own service account) reads the new key, and it works on AWS.
  const minted = await request(app)
    .post('/v1/api-keys')
    .set(admin)
    .send({
      name: 'deploy pipeline',
      grants: [{ role: 'consumer', tenantId, credentials: [{ platform: 'aws-iam', ownerId: dueA }] }],
    })
    .expect(201);
  const secret = await request(app)
    .post(`/v1/tenants/${tenantId}/rotated-secrets/current`)
    .set({ Authorization: `Bearer ${minted.body.key as string}` })
    .send({ platform: 'aws-iam', ownerId: dueA, kind: 'access-key' })
    .expect(200);
  const newKey = (await keysOf(dueA))[0]!.AccessKeyId!;
  const sts = new STSClient({
    endpoint: moto.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: newKey, secretAccessKey: secret.body.value as string },
  });
  expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toMatch(new RegExp(`:user/${dueA}$`));
  sts.destroy();
});

it('reviews IAM and Keycloak users with their managers: each decides their own with their own key, the rest defaults, revocations land on the platforms', async () => {
  const tenantId = 'review-real';
  await tenant(tenantId, { reviewDefaultDecision: 'revoke', blastRadius: { maxShare: 1, maxCount: 100 } }, true);
  const tag = uniqueQueue('r').slice(-6);
  const [ann, bob] = [`mgr-ann-${tag}`, `mgr-bob-${tag}`];
  // AWS: a report of Ann's in two groups (manager from the user's tag).
  const awsUser = `dev-${tag}`;
  await iam.send(
    new CreateUserCommand({
      UserName: awsUser,
      Tags: [
        { Key: 'manager-id', Value: ann },
        { Key: 'email', Value: `${awsUser}@example.com` },
      ],
    }),
  );
  for (const group of [`developers-${tag}`, `admins-${tag}`]) {
    await iam.send(new CreateGroupCommand({ GroupName: group }));
    await iam.send(new AddUserToGroupCommand({ GroupName: group, UserName: awsUser }));
  }
  // Bob's report also has an IAM user with no manager tag: the same person by email, so Bob reviews it too.
  const opsGroup = `ops-admins-${tag}`;
  await iam.send(
    new CreateUserCommand({ UserName: `ops-${tag}`, Tags: [{ Key: 'email', Value: `OPS-${tag}@example.com` }] }),
  );
  await iam.send(new CreateGroupCommand({ GroupName: opsGroup }));
  await iam.send(new AddUserToGroupCommand({ GroupName: opsGroup, UserName: `ops-${tag}` }));
  // Keycloak: one report of Bob's (a group and a realm role), one of Ann's (a group); managers from the user attribute.
  const engineering = (await realm.admin<{ id: string }>('GET', '/group-by-path/engineering')).body;
  const auditor = (await realm.admin('GET', '/roles/auditor')).body;
  const kcUser = async (userName: string, manager: string) => {
    const created = await realm.admin('POST', '/users', {
      username: userName,
      email: `${userName}@example.com`,
      enabled: true,
      attributes: { manager: [manager] },
    });
    const id = created.location!.split('/').at(-1)!;
    await realm.admin('PUT', `/users/${id}/groups/${engineering.id}`);
    return id;
  };
  const bobsReport = await kcUser(`ops-${tag}`, bob);
  await realm.admin('POST', `/users/${bobsReport}/role-mappings/realm`, [auditor]);
  const annsReport = await kcUser(`qa-${tag}`, ann);

  const desk = await api.keyFor([{ role: 'service-desk', tenantId }], 'desk-dana');
  const [annKey, bobKey] = await Promise.all([
    api.keyFor([{ role: 'reviewer', tenantId }], ann),
    api.keyFor([{ role: 'reviewer', tenantId }], bob),
  ]);
  // Room for collection and both managers' decisions on a loaded machine; the open item defaults when it passes.
  const deadline = new Date(Date.now() + 90_000).toISOString();
  const started = await request(app)
    .post(`/v1/tenants/${tenantId}/access-reviews`)
    .set(desk)
    .send({ reviewId: 'q4', platforms: ['aws-iam', 'keycloak'], deadline })
    .expect(202);
  const itemsOf = (reviewer: Auth, count: number) =>
    eventually(
      async () => {
        const res = await request(app).get(`/v1/tenants/${tenantId}/reviews/q4/items?reviewer=me`).set(reviewer);
        return res.status === 200 && (res.body.items as ReviewItem[]).length === count
          ? (res.body.items as ReviewItem[])
          : undefined;
      },
      'the reviewer’s items',
      80_000,
    );
  const [annItems, bobItems] = await Promise.all([itemsOf(annKey, 3), itemsOf(bobKey, 3)]);
  const label = (i: ReviewItem) => `${i.platform} ${i.entitlementId}`;
  expect(annItems.map(label).sort()).toEqual([
    `aws-iam admins-${tag}`,
    `aws-iam developers-${tag}`,
    'keycloak /engineering',
  ]);
  expect(bobItems.map(label).sort()).toEqual([`aws-iam ${opsGroup}`, 'keycloak /engineering', 'keycloak auditor']);
  expect(bobItems.find((i) => i.platform === 'aws-iam')).toMatchObject({
    personId: `ops-${tag}@example.com`,
    reviewerReason: `manager on keycloak of the same person (ops-${tag}@example.com)`,
  });

  const decisions = `/v1/tenants/${tenantId}/reviews/q4/decisions`;
  const foreign = await request(app)
    .post(decisions)
    .set(annKey)
    .send({ decisions: [{ itemId: bobItems[0]!.itemId, decision: 'approve' }] })
    .expect(422);
  expect(foreign.body.detail).toMatch(/is not assigned to/);
  await request(app)
    .post(decisions)
    .set(annKey)
    .send({
      decisions: annItems.map((i) => ({
        itemId: i.itemId,
        decision: i.entitlementId === `admins-${tag}` ? 'revoke' : 'approve',
        comment: 'checked',
      })),
    })
    .expect(200, { recorded: 3, remaining: 0 });
  // Bob revokes the role, keeps the AWS group and leaves the Keycloak group to the tenant's default (revoke) at the deadline.
  const role = bobItems.find((i) => i.entitlementId === 'auditor')!;
  const opsItem = bobItems.find((i) => i.platform === 'aws-iam')!;
  await request(app)
    .post(decisions)
    .set(bobKey)
    .send({
      decisions: [
        { itemId: role.itemId, decision: 'revoke', comment: 'no longer audits' },
        { itemId: opsItem.itemId, decision: 'approve' },
      ],
    })
    .expect(200, { recorded: 2, remaining: 1 });

  await eventually(
    async () =>
      (await request(app).get(started.headers.location!).set(desk)).body.status === 'completed' ? true : undefined,
    'the applied revocations',
    180_000,
  );
  const groupsOf = async (userName: string) =>
    ((await iam.send(new ListGroupsForUserCommand({ UserName: userName }))).Groups ?? [])
      .map((g) => g.GroupName)
      .sort();
  expect(await groupsOf(awsUser)).toEqual([`developers-${tag}`]);
  expect(await groupsOf(`ops-${tag}`)).toEqual([opsGroup]);
  const kcGroups = async (id: string) =>
    (await realm.admin<{ path: string }[]>('GET', `/users/${id}/groups`)).body.map((g) => g.path);
  const kcRoles = async (id: string) =>
    (
      (await realm.admin<{ realmMappings?: { name: string }[] }>('GET', `/users/${id}/role-mappings`)).body
        .realmMappings ?? []
    ).map((r) => r.name);
  expect(await kcGroups(bobsReport)).toEqual([]);
  expect(await kcRoles(bobsReport)).not.toContain('auditor');
  expect(await kcGroups(annsReport)).toEqual(['/engineering']);
  // The connection's own service account is a client's, not a person's: never reviewed, so never revoked by default.
  const client = (await realm.admin<{ id: string }[]>('GET', '/clients?clientId=identity-runbooks')).body[0]!;
  const serviceUser = (await realm.admin<{ id: string }>('GET', `/clients/${client.id}/service-account-user`)).body;
  const mappings = (
    await realm.admin<{ clientMappings?: Record<string, { mappings: { name: string }[] }> }>(
      'GET',
      `/users/${serviceUser.id}/role-mappings`,
    )
  ).body;
  expect(mappings.clientMappings?.['realm-management']?.mappings.map((r) => r.name)).toContain('manage-users');
}, 300_000);
