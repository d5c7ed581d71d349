/**
 * Offboarding end to end on real platforms: the offboarding workflow on the
 * time-skipping server with this project's workers (createWorkers), FerretDB,
 * and the real AWS IAM and Keycloak adapters acting on moto and on Keycloak
 * (dev mode), both started for this file. The tenant's runbook contains,
 * revokes non-human access and removes entitlements on both; deletion after
 * retention is covered on the reference platform (offboarding.test.ts).
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { awsIamAdapterFactory } from '../activities/platforms/aws-iam';
import { keycloakAdapterFactory } from '../activities/platforms/keycloak';
import type { OffboardingRequest, RunProgress, Subject } from '../shared';
import { taskQueues } from '../shared/task-queues';
import { runWorkflowId } from '../shared/workflow-ids';
import { createStores, ensureIndexes, type Stores } from '../store';
import { onEach } from '../runbooks/steps';
import type { offboarding } from '../workflows/offboarding';
import { createWorkers } from '../workers/create-workers';
import { awsClients, iamUserState, seedIamUser } from './support/aws-fixtures';
import type { Emulator } from './support/emulator';
import { startKeycloak, type KeycloakServer } from './support/keycloak';
import {
  keycloakUserState,
  provisionRealm,
  refreshWorks,
  seedKeycloakUser,
  type KeycloakTestRealm,
} from './support/keycloak-fixtures';
import { motoConnection, startMoto } from './support/moto';
import { uniqueName } from './support/platform-harness';
import { handedOver, testSecretCipher } from './support/secrets';
import { bundleWorkflows, testMongo, timeSkippingEnv, uniqueQueue } from './support/servers';

const PLATFORMS = ['aws-iam', 'keycloak'] as const;
const TENANT = 'acme';
const RUNBOOK = 'leaver-aws-keycloak';

let moto: Emulator;
let keycloak: KeycloakServer;
let realm: KeycloakTestRealm;
let iam: IAMClient;
let env: TestWorkflowEnvironment;
let mongo: Awaited<ReturnType<typeof testMongo>>;
let stores: Stores;
let workers: Worker[];
let running: Promise<unknown>;
let workflowsQueue: string;

beforeAll(async () => {
  let bundle;
  [moto, keycloak, env, mongo, bundle] = await Promise.all([
    startMoto(),
    startKeycloak(),
    timeSkippingEnv(),
    testMongo('offboarding_real'),
    bundleWorkflows(),
  ]);
  process.stdout.write(`moto ready in ${moto.startupMs} ms, keycloak in ${keycloak.startupMs} ms\n`);
  realm = await provisionRealm(keycloak);
  iam = awsClients(moto.url).iam;
  const secretCipher = testSecretCipher();
  stores = createStores(mongo.db, { secretCipher });
  await ensureIndexes(stores);
  const connections = await Promise.all(
    [motoConnection('aws-iam', moto.url), realm.connection].map((c) => handedOver(stores.secrets, TENANT, c)),
  );
  await stores.tenants.create({ tenantId: TENANT, name: 'Acme', connections });
  await stores.runbooks.create(
    TENANT,
    RUNBOOK,
    {
      kind: 'offboarding',
      name: 'Leaver on AWS IAM and Keycloak',
      steps: [
        ...onEach(PLATFORMS, 'disableAccount', 'disable', { phase: 1, onFailure: 'continue' }),
        ...onEach(PLATFORMS, 'revokeSessions', 'revoke-sessions', {
          phase: 1,
          after: ['disable'],
          onFailure: 'continue',
        }),
        ...onEach(PLATFORMS, 'listCredentials', 'credentials', { phase: 2, onFailure: 'continue' }),
        ...onEach(PLATFORMS, 'listFederationLinks', 'federation', { phase: 2, onFailure: 'continue' }),
        ...onEach(PLATFORMS, 'removeAllEntitlements', 'entitlements', { phase: 3, onFailure: 'continue' }),
      ],
    },
    'test',
  );
  const prefix = `${uniqueQueue('offboarding-real')}-`;
  workflowsQueue = taskQueues(prefix).workflows;
  workers = await createWorkers(
    {
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      mongo,
      secretCipher,
      adapters: { 'aws-iam': awsIamAdapterFactory, keycloak: keycloakAdapterFactory },
    },
    { taskQueuePrefix: prefix, workflowBundle: bundle },
  );
  running = Promise.all(workers.map((w) => w.run()));
}, 360_000);

afterAll(async () => {
  workers?.forEach((w) => w.shutdown());
  await running;
  iam?.destroy();
  await Promise.all([mongo?.drop(), env?.teardown(), moto?.stop(), keycloak?.stop()]);
});

async function offboard(subject: Subject, attempt: string): Promise<RunProgress> {
  const request: OffboardingRequest = {
    tenantId: TENANT,
    requestedBy: { id: 'hr-desk', kind: 'user' },
    runbookId: RUNBOOK,
    subject,
    mode: 'immediate',
  };
  const handle = await env.client.workflow.start<typeof offboarding>('offboarding', {
    args: [request],
    taskQueue: workflowsQueue,
    workflowId: `${runWorkflowId(TENANT, 'offboarding', subject.subjectId)}/${attempt}`,
  });
  return handle.result();
}

it('leaves the leaver with no way into AWS or Keycloak; a second run changes nothing and reports every step already done', async () => {
  const userName = uniqueName('leaver');
  const subject: Subject = { subjectId: `e-${userName}`, userName, email: `${userName}@example.com` };
  const seededIam = await seedIamUser(iam, userName);
  const seededKc = await seedKeycloakUser(realm, userName);

  const first = await offboard(subject, 'first');
  expect(first).toMatchObject({ status: 'completed', needsHuman: [] });
  const statuses = Object.fromEntries(first.steps.map((s) => [s.stepId, s.status]));
  expect(statuses).toEqual({
    'disable-aws-iam': 'succeeded',
    'disable-keycloak': 'succeeded',
    'revoke-sessions-aws-iam': 'succeeded',
    'revoke-sessions-keycloak': 'succeeded',
    'credentials-aws-iam': 'already-done', // disableAccount already deactivated the keys
    'credentials-keycloak': 'already-done',
    'federation-keycloak': 'succeeded',
    'entitlements-aws-iam': 'succeeded',
    'entitlements-keycloak': 'succeeded',
  });

  const aws = await iamUserState(iam, userName);
  expect(aws).toMatchObject({
    loginProfile: false,
    groups: [],
    attachedPolicies: [],
    inlinePolicies: ['AWSRevokeOlderSessions'],
  });
  expect(aws.accessKeys).toEqual(seededIam.accessKeyIds.map((id) => ({ id, status: 'Inactive' })));
  const kc = await keycloakUserState(realm, seededKc.id);
  expect(kc).toEqual({
    enabled: false,
    sessions: 0,
    consents: 0,
    federationLinks: [],
    groups: [],
    realmRoles: [`default-roles-${realm.realm}`],
    clientRoles: [],
  });
  expect(await refreshWorks(realm, seededKc.offlineToken)).toBe(false);

  const second = await offboard(subject, 'second');
  expect(second.status).toBe('completed');
  expect(second.steps.every((s) => s.status === 'already-done')).toBe(true);
  expect(await iamUserState(iam, userName)).toEqual(aws);
  expect(await keycloakUserState(realm, seededKc.id)).toEqual(kc);
});
