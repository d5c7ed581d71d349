/** Builds the real API app over the shared Temporal dev server and a FerretDB database of the test file's own. */
import request from 'supertest';
import { createApp, type AppDeps } from '../../api/app';
import { createLogger } from '../../infra/logger';
import type { SecretCipher } from '../../infra/secret-cipher';
import { taskQueues } from '../../shared/task-queues';
import { createStores, ensureIndexes, type Stores } from '../../store';
import type { Grant } from '../../store/api-keys';
import { testSecretCipher } from './secrets';
import { testMongo, testTemporal, uniqueQueue } from './servers';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const admin = { Authorization: `Bearer ${ADMIN_KEY}` };

export interface TestApi {
  app: ReturnType<typeof createApp>;
  stores: Stores;
  /** Seals the stores' embedded secret store: workers of the test must open what the API sealed. */
  secretCipher: SecretCipher;
  mongo: Awaited<ReturnType<typeof testMongo>>;
  temporal: Awaited<ReturnType<typeof testTemporal>>;
  queuePrefix: string;
  /** Another app over the same stores, e.g. on the queue set of a test's workers. */
  appWith(deps: Partial<AppDeps>): ReturnType<typeof createApp>;
  /** A bearer header for a new API key with these grants (made through the API, as an admin would). */
  keyFor(grants: Grant[], ownerId?: string): Promise<{ Authorization: string }>;
  close(): Promise<void>;
}

export async function testApi(name: string, options: Partial<AppDeps> = {}): Promise<TestApi> {
  const [mongo, temporal] = await Promise.all([testMongo(name), testTemporal()]);
  const secretCipher = testSecretCipher();
  const stores = createStores(mongo.db, { secretCipher });
  await ensureIndexes(stores);
  const queuePrefix = `${uniqueQueue(name)}-`;
  const appWith = (deps: Partial<AppDeps>) =>
    createApp({
      temporal: temporal.client,
      mongo,
      stores,
      log: createLogger('silent', 'test'),
      queues: taskQueues(queuePrefix),
      adminApiKey: ADMIN_KEY,
      allowInsecurePlatformUrls: true,
      ...options,
      ...deps,
    });
  const app = appWith({});
  return {
    app,
    appWith,
    stores,
    secretCipher,
    mongo,
    temporal,
    queuePrefix,
    keyFor: async (grants, ownerId) => {
      const res = await request(app)
        .post('/v1/api-keys')
        .set(admin)
        .send({ name: `key for ${ownerId ?? 'test'}`, ownerId, grants })
        .expect(201);
      return { Authorization: `Bearer ${res.body.key as string}` };
    },
    close: async () => {
      await mongo.drop();
      await temporal.close();
    },
  };
}
