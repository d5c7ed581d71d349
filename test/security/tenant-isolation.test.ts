/**
 * Tenant isolation, played by an attacker who holds only one tenant's admin key,
 * against the real stack: the API over the Temporal dev server and FerretDB, this
 * project's workers (createWorkers with the real Okta and AWS IAM adapters and the
 * embedded secret store), and a local listener standing for the attacker's host.
 * Each test checks the effect: what reached the listener, what the run did.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from '@temporalio/worker';
import request from 'supertest';
import { awsIamAdapterFactory } from '../../activities/platforms/aws-iam';
import { oktaAdapterFactory } from '../../activities/platforms/okta';
import { referenceAdapterFactory, referencePlatformsPerTenant } from '../../activities/platforms/reference';
import { taskQueues } from '../../shared/task-queues';
import { createWorkers } from '../../workers/create-workers';
import { admin, ADMIN_KEY, testApi, type TestApi } from '../support/api';
import { bundleWorkflows, uniqueQueue } from '../support/servers';
import { eventually } from '../support/poll';

let api: TestApi;
let app: TestApi['app'];
let workers: Worker[];
let running: Promise<unknown>;
let listener: Server;
let attackerUrl: string;
const received: { url: string; headers: IncomingHttpHeaders }[] = [];
const suffix = uniqueQueue('s').slice(-6);
const victim = `victim-${suffix}`;
const evil = `evil-${suffix}`;
let evilAdmin: { Authorization: string };
let victimAdmin: { Authorization: string };
const VICTIM_OKTA_TOKEN = 'victim-okta-token-do-not-leak';
/** A tenant whose id begins with the attacker's (`evil-x` and `evil-x-2`), and its operator-held token. */
const twin = `${evil}-2`;
const TWIN_OKTA_TOKEN = 'twin-okta-token-do-not-leak';
const envPrefix = (tenantId: string) => `TENANT_${tenantId.toUpperCase().replaceAll('-', '_')}__`;

const platformOf = referencePlatformsPerTenant();

beforeAll(async () => {
  listener = createServer((req, res) => {
    received.push({ url: req.url ?? '', headers: req.headers });
    res
      .writeHead(404, { 'Content-Type': 'application/json' })
      .end('{"errorCode":"E0000007","errorSummary":"Not found"}');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;

  api = await testApi('security');
  const prefix = `${uniqueQueue('sec')}-`;
  // The worker's own configuration an attacker would like to read through a connection.
  process.env.ADMIN_API_KEY = ADMIN_KEY;
  process.env[`${envPrefix(victim)}OKTA`] = VICTIM_OKTA_TOKEN;
  process.env[`${envPrefix(twin)}OKTA`] = TWIN_OKTA_TOKEN;
  workers = await createWorkers(
    {
      connection: api.temporal.nativeConnection,
      namespace: 'default',
      mongo: api.mongo,
      secretCipher: api.secretCipher,
      adapters: {
        okta: oktaAdapterFactory,
        'aws-iam': awsIamAdapterFactory,
        reference: referenceAdapterFactory(platformOf),
      },
    },
    { taskQueuePrefix: prefix, workflowBundle: await bundleWorkflows() },
  );
  running = Promise.all(workers.map((w) => w.run()));
  app = api.appWith({ queues: taskQueues(prefix) });
  for (const tenantId of [victim, evil, twin])
    await request(app).post('/v1/tenants').set(admin).send({ tenantId, name: tenantId }).expect(201);
  evilAdmin = await api.keyFor([{ role: 'admin', tenantId: evil }], 'mallory');
  victimAdmin = await api.keyFor([{ role: 'admin', tenantId: victim }], 'victor');
  for (const tenantId of [victim, evil]) {
    await api.stores.runbooks.create(
      tenantId,
      'leaver',
      {
        kind: 'offboarding',
        name: 'Leaver',
        steps: [
          { id: 'disable-okta', platform: 'okta', action: 'disableAccount', phase: 1, onFailure: 'continue' },
          { id: 'disable-aws-iam', platform: 'aws-iam', action: 'disableAccount', phase: 1, onFailure: 'continue' },
        ],
      },
      'test',
    );
  }
});

afterAll(async () => {
  workers?.forEach((w) => w.shutdown());
  await running;
  await api.close();
  listener?.close();
});

type Step = { stepId: string; status: string; attempts: number; lastError?: string };
async function offboard(tenantId: string, auth: { Authorization: string }, userName: string): Promise<Step[]> {
  const started = await request(app)
    .post(`/v1/tenants/${tenantId}/offboardings`)
    .set(auth)
    .send({ runbookId: 'leaver', subject: { subjectId: `e-${userName}`, userName }, mode: 'immediate' })
    .expect(202);
  const run = await eventually(
    async () => {
      const res = await request(app).get(started.headers.location!).set(auth).expect(200);
      return ['completed', 'completed-with-failures', 'failed'].includes(res.body.status as string)
        ? (res.body as { steps: Step[] })
        : undefined;
    },
    'the offboarding',
    60_000,
  );
  return run.steps;
}

const leaked = (value: string) => received.filter((r) => JSON.stringify(r.headers).includes(value));

it("refuses a connection that names the worker's own variables or another tenant's, and no run sends them anywhere", async () => {
  for (const ref of ['env:ADMIN_API_KEY', 'env:PAYLOAD_ENCRYPTION_KEYS', `env:${envPrefix(victim)}OKTA`]) {
    const res = await request(app)
      .patch(`/v1/tenants/${evil}`)
      .set(evilAdmin)
      .send({ connections: [{ platform: 'okta', baseUrl: attackerUrl, credentials: { apiToken: ref } }] })
      .expect(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.errors).toEqual([
      {
        path: 'body.connections.0.credentials.apiToken',
        message: expect.stringContaining(envPrefix(evil)),
      },
    ]);
  }
  // Written past the API (an old record, a restore): the worker still resolves nothing outside the tenant.
  await api.stores.tenants.update(evil, {
    connections: [{ platform: 'okta', baseUrl: attackerUrl, credentials: { apiToken: 'env:ADMIN_API_KEY' } }],
  });
  const steps = await offboard(evil, evilAdmin, 'bob');
  expect(steps.find((s) => s.stepId === 'disable-okta')).toMatchObject({
    status: 'failed',
    lastError: expect.stringMatching(/outside tenant/),
  });
  expect(received).toEqual([]);
  expect(leaked(ADMIN_KEY)).toEqual([]);
});

it('an id that begins another tenant’s names none of its variables (evil-x cannot read evil-x-2’s), not even by a connection test', async () => {
  const twinsVariable = `env:${envPrefix(twin)}OKTA`;
  // With one `_` after the id, TENANT_EVIL_X_2_OKTA began with evil-x's prefix TENANT_EVIL_X_: the API and the worker let it through.
  expect(twinsVariable.slice(4).startsWith(envPrefix(evil))).toBe(false);
  await request(app)
    .patch(`/v1/tenants/${evil}`)
    .set(evilAdmin)
    .send({ connections: [{ platform: 'okta', baseUrl: attackerUrl, credentials: { apiToken: twinsVariable } }] })
    .expect(400);
  // Planted past the API: the worker refuses it, and the connection test (which calls out at once) sends nothing.
  await api.stores.tenants.update(evil, {
    connections: [{ platform: 'okta', baseUrl: attackerUrl, credentials: { apiToken: twinsVariable } }],
  });
  const check = await request(app).post(`/v1/tenants/${evil}/connections/okta/test`).set(evilAdmin).expect(200);
  expect(check.body).toMatchObject({ status: 'failed', failure: 'SecretOutsideTenant' });
  expect(JSON.stringify(check.body)).not.toContain(TWIN_OKTA_TOKEN);
  expect(leaked(TWIN_OKTA_TOKEN)).toEqual([]);
  // Ids whose prefix could begin another's are refused at creation.
  for (const tenantId of [`${evil}--2`, `${evil}-`])
    await request(app).post('/v1/tenants').set(admin).send({ tenantId, name: tenantId }).expect(400);
});

it('resolves secret: references in the tenant’s own store only: its own value reaches its own host, never another tenant’s', async () => {
  const put = await request(app)
    .put(`/v1/tenants/${victim}/secrets/okta-token`)
    .set(victimAdmin)
    .send({ value: VICTIM_OKTA_TOKEN })
    .expect(200);
  expect(put.body).toMatchObject({ name: 'okta-token', ref: 'secret:okta-token' });
  expect(JSON.stringify(put.body)).not.toContain(VICTIM_OKTA_TOKEN);
  const listed = await request(app).get(`/v1/tenants/${victim}/secrets`).set(victimAdmin).expect(200);
  expect(listed.body.items).toEqual([expect.objectContaining({ name: 'okta-token', ref: 'secret:okta-token' })]);
  expect(JSON.stringify(listed.body)).not.toContain(VICTIM_OKTA_TOKEN);
  // The attacker cannot read, list or overwrite the victim's secrets.
  await request(app).get(`/v1/tenants/${victim}/secrets`).set(evilAdmin).expect(404);
  await request(app).put(`/v1/tenants/${victim}/secrets/okta-token`).set(evilAdmin).send({ value: 'mine' }).expect(404);

  // The attacker names the same secret in its own tenant: it resolves in its own (empty) namespace.
  await request(app)
    .patch(`/v1/tenants/${evil}`)
    .set(evilAdmin)
    .send({ connections: [{ platform: 'okta', baseUrl: attackerUrl, credentials: { apiToken: 'secret:okta-token' } }] })
    .expect(200);
  const evilSteps = await offboard(evil, evilAdmin, 'carol');
  expect(evilSteps.find((s) => s.stepId === 'disable-okta')).toMatchObject({
    status: 'failed',
    lastError: expect.stringMatching(/has no secret okta-token/),
  });
  expect(leaked(VICTIM_OKTA_TOKEN)).toEqual([]);

  // The victim's own connection gets its own value (its Okta here is the same listener).
  await request(app)
    .patch(`/v1/tenants/${victim}`)
    .set(victimAdmin)
    .send({ connections: [{ platform: 'okta', baseUrl: attackerUrl, credentials: { apiToken: 'secret:okta-token' } }] })
    .expect(200);
  await offboard(victim, victimAdmin, 'dave');
  expect(received.map((r) => r.headers.authorization)).toContain(`SSWS ${VICTIM_OKTA_TOKEN}`);
  expect(
    (await request(app).get(`/v1/tenants/${victim}/secrets`).set(victimAdmin).expect(200)).body.items[0].lastUsedAt,
  ).toBeDefined();
});

it("never acts on a platform with the worker's own identity: an unconnected platform fails at once, NotConnected", async () => {
  const steps = await offboard(evil, evilAdmin, 'erin');
  expect(steps.find((s) => s.stepId === 'disable-aws-iam')).toMatchObject({
    status: 'failed',
    attempts: 1,
    lastError: expect.stringMatching(/has no aws-iam connection/),
  });
});

it('refuses URLs into the provider’s network: metadata and link-local always, plain http and loopback outside development', async () => {
  const strict = api.appWith({ allowInsecurePlatformUrls: false });
  const patch = (target: typeof app, baseUrl: string) =>
    request(target)
      .patch(`/v1/tenants/${evil}`)
      .set(evilAdmin)
      .send({ connections: [{ platform: 'scim', baseUrl }] });
  for (const url of [
    'http://169.254.169.254/latest/meta-data/',
    'https://[fd00:ec2::254]/',
    'https://metadata.google.internal/',
    'http://[::ffff:169.254.169.254]/',
    // A trailing dot names the same host.
    'http://metadata./computeMetadata/v1/',
    'https://metadata.google.internal./',
  ]) {
    expect((await patch(app, url).expect(400)).body.errors[0]).toMatchObject({
      path: 'body.connections.0.baseUrl',
      message: expect.stringMatching(/link-local or cloud metadata/),
    });
  }
  for (const url of [
    'http://scim.example.com/',
    'https://127.0.0.1:8443/',
    'https://10.0.0.5/',
    'https://localhost/',
    'https://localhost./',
    'https://10.0.0.5./',
    'https://kubernetes.default.svc/',
    'https://vault.vault.svc.cluster.local/',
  ]) {
    expect((await patch(strict, url).expect(400)).body.errors[0].path).toBe('body.connections.0.baseUrl');
  }
  await patch(strict, 'https://scim.example.com/v2').expect(200);
});

it('issues keys only as their creator: a tenant admin cannot mint a key that acts as someone else', async () => {
  for (const ownerId of ['bootstrap-admin', 'victor', 'approver-1']) {
    const res = await request(app)
      .post('/v1/api-keys')
      .set(evilAdmin)
      .send({ name: 'x', ownerId, grants: [{ role: 'approver', tenantId: evil }] })
      .expect(400);
    expect(res.body.errors).toEqual([
      { path: 'body.ownerId', message: expect.stringMatching(/only an admin on every tenant/) },
    ]);
  }
  const own = await request(app)
    .post('/v1/api-keys')
    .set(evilAdmin)
    .send({ name: 'mine', grants: [{ role: 'approver', tenantId: evil }] })
    .expect(201);
  expect(own.body.ownerId).toBe('mallory');
});

it('gives a rotated secret to its consumer only: a key the provider issued for that credential; no admin, other credential or other tenant reads it', async () => {
  await request(app)
    .patch(`/v1/tenants/${victim}`)
    .set(victimAdmin)
    .send({ connections: [{ platform: 'reference' }], policy: { rotationGracePeriodHours: 0 } })
    .expect(200);
  const platform = platformOf(victim);
  platform.seedAccount({ userName: 'svc-app', kind: 'service' });
  const old = platform.seedCredential({
    id: 'svc-app-old',
    kind: 'access-key',
    ownerId: 'svc-app',
    status: 'active',
    createdAt: '2026-01-01T00:00:00Z',
  });
  const started = await request(app)
    .post(`/v1/tenants/${victim}/rotations`)
    .set(victimAdmin)
    .send({ credential: { platform: 'reference', ownerId: 'svc-app', credentialId: old.id, kind: 'access-key' } })
    .expect(202);
  await eventually(
    async () => {
      const res = await request(app).get(started.headers.location!).set(victimAdmin).expect(200);
      return res.body.status === 'completed' ? true : undefined;
    },
    'the rotation',
    60_000,
  );
  const [active] = [...platform.credentials.values()].filter((c) => c.ownerId === 'svc-app' && c.status === 'active');
  expect(active!.id).not.toBe(old.id);

  const credential = { platform: 'reference', ownerId: 'svc-app', kind: 'access-key' };
  const grant = (ownerId: string, platform = 'reference') => [
    { role: 'consumer', tenantId: victim, credentials: [{ platform, ownerId }] },
  ];
  // Only the provider's admins issue consumer keys: the tenant's own admin could otherwise read the new secret of the identity behind its connection.
  const refused = await request(app)
    .post('/v1/api-keys')
    .set(victimAdmin)
    .send({ name: 'mine', grants: grant('svc-app') })
    .expect(403);
  expect(refused.body.detail).toMatch(/only an admin on every tenant may issue a consumer key/);
  const minted = await request(app)
    .post('/v1/api-keys')
    .set(admin)
    .send({ name: 'svc-app deploys', ownerId: 'svc-app-pipeline', grants: grant('svc-app') })
    .expect(201);
  const consumer = { Authorization: `Bearer ${minted.body.key as string}` };
  const read = await request(app)
    .post(`/v1/tenants/${victim}/rotated-secrets/current`)
    .set(consumer)
    .send(credential)
    .expect(200);
  expect(read.body.value).toBe(active!.secret);
  expect(read.headers['cache-control']).toBe('no-store');

  // Everyone else: another owner's secret, the tenant's own admin, the attacker, the attacker minting a consumer key.
  for (const other of [grant('svc-other'), grant('svc-app', 'okta')]) {
    const key = await request(app).post('/v1/api-keys').set(admin).send({ name: 'other', grants: other }).expect(201);
    await request(app)
      .post(`/v1/tenants/${victim}/rotated-secrets/current`)
      .set({ Authorization: `Bearer ${key.body.key as string}` })
      .send(credential)
      .expect(403);
  }
  await request(app)
    .post(`/v1/tenants/${victim}/rotated-secrets/current`)
    .set(victimAdmin)
    .send(credential)
    .expect(403);
  await request(app).post(`/v1/tenants/${victim}/rotated-secrets/current`).set(evilAdmin).send(credential).expect(404);
  await request(app)
    .post('/v1/api-keys')
    .set(evilAdmin)
    .send({ name: 'steal', grants: grant('svc-app') })
    .expect(403);
  const unscoped = await request(app)
    .post('/v1/api-keys')
    .set(admin)
    .send({ name: 'all', grants: [{ role: 'consumer', tenantId: victim }] })
    .expect(400);
  expect(unscoped.body.errors).toEqual([
    { path: 'body.grants.0.credentials', message: expect.stringMatching(/names the credentials/) },
  ]);

  // Every read is in the evidence log, by whom and which version; the value is nowhere in it.
  const trail = await eventually(async () => {
    const records = await api.stores.evidence.forRun(victim, `request:${String(read.headers['x-request-id'])}`);
    return records.length > 0 ? records : undefined;
  }, 'the audit record');
  expect(trail).toEqual([
    expect.objectContaining({
      event: expect.stringMatching(/^POST .*rotated-secrets\/current$/),
      outcome: '200',
      actor: expect.objectContaining({ id: 'svc-app-pipeline' }),
      detail: expect.objectContaining({ versionId: read.body.versionId }),
    }),
  ]);
  expect(JSON.stringify(trail)).not.toContain(active!.secret);
});
