import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { PlatformError, toActivityFailure } from '../activities/errors';
import { createPlatformActivities } from '../activities/platform-activities';
import { createReferenceAdapter, ReferencePlatform } from '../activities/platforms/reference';
import { InMemorySecretStore } from '../activities/secret-stores/in-memory';

function setup() {
  const platform = new ReferencePlatform();
  const secrets = new InMemorySecretStore();
  const adapter = createReferenceAdapter(platform);
  const activities = createPlatformActivities('reference', {
    resolveAdapter: () => Promise.resolve(adapter),
    resolveSecretStore: () => Promise.resolve(secrets),
  });
  return { platform, secrets, activities, env: new MockActivityEnvironment() };
}

const subject = { subjectId: 'e-42', userName: 'ada' };

it('runs an action and reports a repeat as already done', async () => {
  const { platform, activities, env } = setup();
  platform.seedAccount({ userName: 'ada', sessions: 3 });
  await expect(env.run(activities.revokeSessions, { tenantId: 't', subject })).resolves.toEqual({
    outcome: 'done',
    attempt: 1,
  });
  expect(platform.accounts.get('ada')?.sessions).toBe(0);
  await expect(env.run(activities.revokeSessions, { tenantId: 't', subject })).resolves.toMatchObject({
    outcome: 'already-done',
  });
});

it('stores a new secret in the secret store and returns only its reference', async () => {
  const { platform, secrets, activities, env } = setup();
  platform.seedAccount({ userName: 'svc-ci', kind: 'service' });
  const req = {
    tenantId: 't',
    ownerId: 'svc-ci',
    kind: 'access-key' as const,
    secretName: 't/svc-ci',
    idempotencyKey: 'rot-1',
  };
  const result: Awaited<ReturnType<typeof activities.createCredential>> = await env.run(
    activities.createCredential,
    req,
  );
  expect(JSON.stringify(result)).not.toMatch(/ref-[0-9a-f]{32}/);
  const ref = result.data!.secretRef;
  expect(secrets.stagesOf(ref)).toEqual(['pending']);
  expect(await secrets.reveal(ref)).toMatch(/^ref-[0-9a-f]{32}$/);
  // Retried after a lost reply: the same credential and secret version, no second key.
  const again = await env.run(activities.createCredential, req);
  expect(again).toMatchObject({
    outcome: 'already-done',
    data: { credential: { id: result.data!.credential.id }, secretRef: ref },
  });
  expect(platform.credentialsOf('svc-ci')).toHaveLength(1);
});

it('fails a missing account as non-retryable and a throttled call as retryable with the platform delay', async () => {
  const { platform, activities, env } = setup();
  const missing = await env.run(activities.disableAccount, { tenantId: 't', subject }).catch((e: unknown) => e);
  expect(missing).toBeInstanceOf(ApplicationFailure);
  expect(missing).toMatchObject({ type: 'PlatformNotFound', nonRetryable: true });

  platform.seedAccount({ userName: 'ada' });
  platform.failNext('disableAccount', 'throttled', 1, 7000);
  const throttled = await env.run(activities.disableAccount, { tenantId: 't', subject }).catch((e: unknown) => e);
  expect(throttled).toMatchObject({
    type: 'PlatformThrottled',
    nonRetryable: false,
    nextRetryDelay: 7000,
    details: [{ attempt: 1 }],
  });
  await expect(env.run(activities.disableAccount, { tenantId: 't', subject })).resolves.toMatchObject({
    outcome: 'done',
  });
});

it('refuses an action the platform does not support', async () => {
  const { activities, env } = setup();
  const err = await env
    .run(activities.openTicket, { tenantId: 't', runId: 'r', title: 'x', description: 'y' })
    .catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'UnsupportedAction', nonRetryable: true });
});

it('leaves a zero platform delay to the retry policy (a zero nextRetryDelay made Temporal give up the retry)', () => {
  expect(toActivityFailure(new PlatformError('throttled', 'Retry-After: 0', 0))).toMatchObject({
    nonRetryable: false,
    nextRetryDelay: undefined,
  });
  expect(toActivityFailure(new PlatformError('throttled', 'Retry-After: 2', 2000)).nextRetryDelay).toBe(2000);
});
