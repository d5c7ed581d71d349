/**
 * Credential rotation driven through the API on the real credentialRotation
 * workflow (lifecycles), the Temporal dev server and FerretDB, against the
 * stateful reference platform and the in-memory secret store.
 */
import request from 'supertest';
import { rotationSecretName, rotationSubjectKey } from '../shared/rotation';
import { runWorkflowId } from '../shared/workflow-ids';
import { admin, testApi, type TestApi } from './support/api';
import { startLifecycleWorkers, type LifecycleWorkers } from './support/lifecycle-workers';
import { bundleWorkflows } from './support/servers';
import { eventually } from './support/poll';

let api: TestApi;
let lc: LifecycleWorkers;
let app: TestApi['app'];
let desk: { Authorization: string };

beforeAll(async () => {
  api = await testApi('api_rotation');
  lc = await startLifecycleWorkers({
    connection: api.temporal.nativeConnection,
    db: api.mongo.db,
    workflowBundle: await bundleWorkflows(),
  });
  app = api.appWith({ queues: lc.queues });
  // No grace period, so a dual-phase rotation finishes on the real-time dev server.
  await lc.createTenant('rot-acme', { rotationGracePeriodHours: 0, manualRotationReminderHours: 12 });
  desk = await api.keyFor([{ role: 'service-desk', tenantId: 'rot-acme' }], 'desk-dana');
});

afterAll(async () => {
  await lc?.stop();
  await api.close();
});

async function seedCredential(ownerId: string, kind: 'access-key' | 'personal-access-token') {
  lc.platformOf('rot-acme').seedAccount({ userName: ownerId, kind: 'service' });
  const old = lc.platformOf('rot-acme').seedCredential({
    id: `${ownerId}-old`,
    kind,
    ownerId,
    status: 'active',
    createdAt: '2026-01-01T00:00:00Z',
    secret: `old-secret-${ownerId}`,
  });
  await lc.secrets.promote(
    await lc.secrets.putPending(
      rotationSecretName('rot-acme', 'reference', ownerId, kind),
      `old-secret-${ownerId}`,
      'seed',
    ),
  );
  return old;
}

const rotate = (ownerId: string, credentialId: string, kind: string) =>
  request(app)
    .post('/v1/tenants/rot-acme/rotations')
    .set(desk)
    .send({ credential: { platform: 'reference', ownerId, credentialId, kind } })
    .expect(202);

it('rotates an access key to completion: the old key is gone, the new one is current, no secret in any answer', async () => {
  const old = await seedCredential('svc-ci', 'access-key');
  const started = await rotate('svc-ci', old.id, 'access-key');
  const done = await eventually(
    async () => {
      const res = await request(app).get(started.headers.location!).set(desk).expect(200);
      return res.body.status === 'completed' ? res : undefined;
    },
    'the rotation',
    30_000,
  );
  expect(JSON.stringify(done.body)).not.toContain('secret-svc-ci');
  const credentials = [...lc.platformOf('rot-acme').credentials.values()].filter((c) => c.ownerId === 'svc-ci');
  expect(credentials.map((c) => c.id)).not.toContain(old.id);
  expect(credentials).toHaveLength(1);
  const evidence = await request(app).get(`${started.headers.location!}/evidence`).set(admin).expect(200);
  expect(JSON.stringify(evidence.body)).not.toContain('old-secret-svc-ci');
});

it('waits for the owner of a credential with no rotation API, who confirms through the API', async () => {
  const old = await seedCredential('svc-pat', 'personal-access-token');
  const started = await rotate('svc-pat', old.id, 'personal-access-token');
  const waiting = await eventually(async () => {
    const res = await request(app).get(started.headers.location!).set(desk).expect(200);
    return res.body.status === 'waiting' ? (res.body as { needsHuman: string[] }) : undefined;
  }, 'the manual task');
  expect(waiting.needsHuman[0]).toMatch(/^rotate personal-access-token .* by hand/);
  await request(app).post(`${started.headers.location!}/manual-rotation-confirmed`).set(desk).send({}).expect(202);
  const handle = api.temporal.client.workflow.getHandle(
    runWorkflowId(
      'rot-acme',
      'credential-rotation',
      rotationSubjectKey({ platform: 'reference', ownerId: 'svc-pat', credentialId: old.id }),
    ),
  );
  await expect(handle.result()).resolves.toMatchObject({ outcome: 'rotated', mode: 'manual' });
});
