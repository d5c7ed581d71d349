/**
 * Never lose a credential: the worker process (workers/main.ts, as production runs it)
 * is killed with SIGKILL at each step of an AWS access-key rotation on moto (create and
 * store, test, promote, retire) and started again. Whatever the moment, the run ends
 * with exactly one active key on the platform, the new one, whose secret is the current
 * version in the tenant's embedded store, and no orphaned extra key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand, type IAMClient } from '@aws-sdk/client-iam';
import { Client } from '@temporalio/client';
import { parseEncryptionKeys } from '../../infra/codec';
import { SecretCipher } from '../../infra/secret-cipher';
import { rotationSecretName, type CredentialRotationRequest } from '../../shared';
import { progressQuery } from '../../shared/messages';
import { taskQueues } from '../../shared/task-queues';
import { createStores, ensureIndexes, type Stores } from '../../store';
import type { credentialRotation } from '../../workflows/credential-rotation';
import { awsClients } from '../support/aws-fixtures';
import type { Emulator } from '../support/emulator';
import { motoConnection, startMoto } from '../support/moto';
import { handedOver } from '../support/secrets';
import { testMongo, testTemporal, uniqueQueue } from '../support/servers';
import { eventually } from '../support/poll';

const KEYS = `k1:${randomBytes(32).toString('base64')}`;
const TENANT = 'kill-acme';
let moto: Emulator;
let iam: IAMClient;
let mongo: Awaited<ReturnType<typeof testMongo>>;
let temporal: Awaited<ReturnType<typeof testTemporal>>;
let stores: Stores;
let prefix: string;
let worker: ChildProcess | undefined;

function startWorker(): ChildProcess {
  // node itself with tsx's loader, not the tsx launcher: SIGKILL must reach the worker, not a parent that leaves it running.
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
      MONGODB_URI: process.env.TEST_MONGODB_URI,
      MONGODB_DB: mongo.db.databaseName,
      TASK_QUEUE_PREFIX: prefix,
      WORKER_PLATFORMS: 'aws-iam',
      SECRET_STORE_KEYS: KEYS,
      ALLOW_INSECURE_PLATFORM_URLS: 'true',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

beforeAll(async () => {
  [moto, mongo, temporal] = await Promise.all([startMoto(), testMongo('rotation_kill'), testTemporal()]);
  iam = awsClients(moto.url).iam;
  stores = createStores(mongo.db, { secretCipher: new SecretCipher(parseEncryptionKeys(KEYS)) });
  await ensureIndexes(stores);
  const connection = await handedOver(stores.secrets, TENANT, motoConnection('aws-iam', moto.url));
  await stores.tenants.create({
    tenantId: TENANT,
    name: 'Acme',
    policy: { rotationGracePeriodHours: 0 },
    connections: [connection],
  });
  prefix = `${uniqueQueue('kill')}-`;
}, 120_000);

afterAll(async () => {
  await kill(worker);
  iam?.destroy();
  await Promise.all([mongo?.drop(), temporal?.close(), moto?.stop()]);
});

const STEPS = ['create-credential', 'test-credential', 'promote-secret', 'delete-old-credential'] as const;

it.each(STEPS)(
  'keeps exactly one working key when the worker is killed at %s',
  async (killAt) => {
    const userName = uniqueQueue('svc');
    await iam.send(new CreateUserCommand({ UserName: userName }));
    const old = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!;
    const secretName = rotationSecretName(TENANT, 'aws-iam', userName, 'access-key');
    await stores.secrets.promote(
      TENANT,
      secretName,
      await stores.secrets.putPending(TENANT, secretName, old.SecretAccessKey!, 'seed'),
    );

    worker = startWorker();
    const client = new Client({ connection: temporal.client.connection });
    const request: CredentialRotationRequest = {
      tenantId: TENANT,
      requestedBy: { id: 'rotation-schedule', kind: 'schedule' },
      credential: { platform: 'aws-iam', ownerId: userName, credentialId: old.AccessKeyId, kind: 'access-key' },
    };
    const handle = await client.workflow.start<typeof credentialRotation>('credentialRotation', {
      args: [request],
      taskQueue: taskQueues(prefix).workflows,
      workflowId: uniqueQueue(`rotate-${killAt}`),
    });

    // Kill the worker as soon as the step has begun (or, if it was quicker, just after it).
    await eventually(
      async () => {
        const progress = await handle.query(progressQuery).catch(() => undefined);
        return progress?.steps.some((s) => s.stepId === killAt && s.status !== 'pending') ? true : undefined;
      },
      `step ${killAt} begun`,
      120_000,
      25,
    );
    await kill(worker);
    worker = startWorker();
    const result = await handle.result();
    await kill(worker);

    expect(result).toMatchObject({ outcome: 'rotated', oldCredentialId: old.AccessKeyId });
    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [];
    expect(keys.map((k) => [k.AccessKeyId, k.Status])).toEqual([[result.newCredentialId, 'Active']]);
    const current = await stores.secrets.current(TENANT, secretName);
    expect(current).toBe(result.secretRef?.versionId);
    const value = await stores.secrets.readCurrent(TENANT, secretName);
    expect(value).toMatch(/^\S{20,}$/);
    expect(value).not.toBe(old.SecretAccessKey);
  },
  300_000,
);
