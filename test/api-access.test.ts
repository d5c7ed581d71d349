/**
 * The API's front door on the real Temporal dev server and FerretDB: API keys,
 * OIDC tokens against a JWKS served here, roles and tenant isolation, the
 * audit trail, errors as problem+json, rate limits, metrics and the contract.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { MongoClient } from 'mongodb';
import request from 'supertest';
import { createApp } from '../api/app';
import { createLogger } from '../infra/logger';
import { taskQueues } from '../shared/task-queues';
import { admin, ADMIN_KEY, testApi, type TestApi } from './support/api';
import { eventually } from './support/poll';

let api: TestApi;
let jwks: Server;
let issuer: string;
let signingKey: KeyLike;
let oidcApp: ReturnType<typeof createApp>;

beforeAll(async () => {
  api = await testApi('api_access', { rateLimit: { limit: 1000, windowMs: 60_000 } });
  // The issuer's JWKS, served locally as Keycloak or Entra would.
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  signingKey = privateKey;
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  jwks = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration')
      return void res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/certs` }));
    if (req.url === '/certs') return void res.end(JSON.stringify({ keys: [jwk] }));
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
  oidcApp = createApp({
    temporal: api.temporal.client,
    mongo: api.mongo,
    stores: api.stores,
    log: createLogger('silent', 'test'),
    queues: taskQueues(api.queuePrefix),
    adminApiKey: ADMIN_KEY,
    oidc: { issuer, audience: 'identity-runbooks', rolesClaim: 'irb_roles' },
  });
  await request(api.app).post('/v1/tenants').set(admin).send({ tenantId: 'acme', name: 'Acme' }).expect(201);
  await request(api.app).post('/v1/tenants').set(admin).send({ tenantId: 'globex', name: 'Globex' }).expect(201);
});

afterAll(async () => {
  await new Promise((r) => jwks.close(r));
  await api.close();
});

function token(
  claims: Record<string, unknown>,
  options: { issuer?: string; audience?: string; expiresIn?: string; key?: KeyLike } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setIssuer(options.issuer ?? issuer)
    .setAudience(options.audience ?? 'identity-runbooks')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.key ?? signingKey);
}

describe('API keys', () => {
  it('shows a new key once, stores only its hash, and stops accepting it when revoked', async () => {
    const created = await request(api.app)
      .post('/v1/api-keys')
      .set(admin)
      .send({ name: 'desk', ownerId: 'alice', grants: [{ role: 'service-desk', tenantId: 'acme' }] })
      .expect(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^irb_[a-f0-9]{16}_/);
    expect(created.headers['cache-control']).toBe('no-store');
    const stored = await api.mongo.db.collection('api_keys').findOne({ keyId: created.body.keyId });
    expect(JSON.stringify(stored)).not.toContain(key.split('_')[2]);

    const listed = await request(api.app).get('/v1/api-keys').set(admin).expect(200);
    const mine = (listed.body.items as { keyId: string }[]).find((k) => k.keyId === created.body.keyId);
    expect(mine).toMatchObject({ name: 'desk', ownerId: 'alice' });
    expect(JSON.stringify(listed.body)).not.toContain(key);

    await request(api.app)
      .get('/v1/tenants/acme/runs')
      .set({ Authorization: `Bearer ${key}` })
      .expect(200);
    await request(api.app).delete(`/v1/api-keys/${created.body.keyId}`).set(admin).expect(204);
    await request(api.app)
      .get('/v1/tenants/acme/runs')
      .set({ Authorization: `Bearer ${key}` })
      .expect(401);
  });

  it('lets a tenant admin grant roles only on their own tenant', async () => {
    const acmeAdmin = await api.keyFor([{ role: 'admin', tenantId: 'acme' }], 'acme-admin');
    await request(api.app)
      .post('/v1/api-keys')
      .set(acmeAdmin)
      .send({ name: 'r', grants: [{ role: 'reviewer', tenantId: 'acme' }] })
      .expect(201);
    const denied = await request(api.app)
      .post('/v1/api-keys')
      .set(acmeAdmin)
      .send({ name: 'r', grants: [{ role: 'reviewer', tenantId: 'globex' }] })
      .expect(403);
    expect(denied.body.type).toMatch(/forbidden$/);
    await request(api.app)
      .post('/v1/api-keys')
      .set(acmeAdmin)
      .send({ name: 'r', grants: [{ role: 'admin', tenantId: '*' }] })
      .expect(403);
  });

  it('rejects a missing, malformed or unknown credential with 401', async () => {
    for (const header of [
      undefined,
      'Basic abc',
      'Bearer irb_0123456789abcdef_' + 'x'.repeat(43),
      'Bearer not-a-key',
    ]) {
      const req = request(api.app).get('/v1/tenants/acme');
      const res = await (header ? req.set('Authorization', header) : req).expect(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });
});

describe('OIDC access tokens', () => {
  it('accepts a token signed by the issuer and maps its grants', async () => {
    const jwt = await token({ sub: 'auditor-1', irb_roles: ['auditor:acme'] });
    const res = await request(oidcApp).get('/v1/tenants/acme').set('Authorization', `Bearer ${jwt}`).expect(200);
    expect(res.body.tenantId).toBe('acme');
    // An auditor reads but cannot change.
    await request(oidcApp)
      .patch('/v1/tenants/acme')
      .set('Authorization', `Bearer ${jwt}`)
      .send({ name: 'x' })
      .expect(403);
  });

  it('never takes a consumer grant from a token: it reads no secret and cannot probe tenant ids', async () => {
    const jwt = await token({ sub: 'pipeline', irb_roles: ['consumer:acme', 'consumer:*'] });
    const read = { platform: 'reference', ownerId: 'svc-app', kind: 'access-key' };
    await request(oidcApp)
      .post('/v1/tenants/acme/rotated-secrets/current')
      .set('Authorization', `Bearer ${jwt}`)
      .send(read)
      .expect(404);
    await request(oidcApp)
      .post('/v1/tenants/no-such-tenant/rotated-secrets/current')
      .set('Authorization', `Bearer ${jwt}`)
      .send(read)
      .expect(404);
  });

  it('rejects tokens from another issuer or audience, expired, or signed by another key', async () => {
    const { privateKey: otherKey } = await generateKeyPair('RS256');
    const bad = await Promise.all([
      token({ sub: 'x', irb_roles: ['admin:*'] }, { issuer: 'https://evil.example' }),
      token({ sub: 'x', irb_roles: ['admin:*'] }, { audience: 'someone-else' }),
      token({ sub: 'x', irb_roles: ['admin:*'] }, { expiresIn: '-10m' }),
      token({ sub: 'x', irb_roles: ['admin:*'] }, { key: otherKey }),
    ]);
    for (const jwt of bad)
      await request(oidcApp).get('/v1/tenants/acme').set('Authorization', `Bearer ${jwt}`).expect(401);
  });

  it('answers 503 when the issuer’s keys cannot be fetched', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadIssuer = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise((r) => dead.close(r));
    const app = createApp({
      temporal: api.temporal.client,
      mongo: api.mongo,
      stores: api.stores,
      log: createLogger('silent', 'test'),
      queues: taskQueues(),
      oidc: { issuer: deadIssuer, audience: 'identity-runbooks' },
    });
    const jwt = await token({ sub: 'x', roles: ['admin:*'] }, { issuer: deadIssuer });
    const res = await request(app).get('/v1/tenants/acme').set('Authorization', `Bearer ${jwt}`).expect(503);
    expect(res.body.type).toMatch(/identity-provider-unavailable$/);
    expect(res.headers['retry-after']).toBe('5');
  });
});

describe('authorisation and tenant isolation', () => {
  it('answers 404, not 403, for a tenant the caller has no role on, whether it exists or not', async () => {
    const acmeAdmin = await api.keyFor([{ role: 'admin', tenantId: 'acme' }]);
    const other = await request(api.app).get('/v1/tenants/globex').set(acmeAdmin).expect(404);
    const missing = await request(api.app).get('/v1/tenants/no-such-tenant').set(acmeAdmin).expect(404);
    expect(other.body).toEqual(missing.body);
    await request(api.app).get('/v1/tenants/globex/runs').set(acmeAdmin).expect(404);
    await request(api.app).patch('/v1/tenants/globex').set(acmeAdmin).send({ name: 'mine now' }).expect(404);
    expect((await api.stores.tenants.get('globex'))?.name).toBe('Globex');
  });

  it('answers 403 for a role without the permission on the caller’s own tenant', async () => {
    const reviewer = await api.keyFor([{ role: 'reviewer', tenantId: 'acme' }], 'rita');
    const res = await request(api.app).get('/v1/tenants/acme/runs').set(reviewer).expect(403);
    expect(res.body.detail).toBe('needs runs:read on this tenant');
    await request(api.app).post('/v1/tenants').set(reviewer).send({ tenantId: 'initech', name: 'Initech' }).expect(403);
  });

  it('records every mutating call with the caller in the evidence log, refusals included', async () => {
    const acmeAdmin = await api.keyFor([{ role: 'admin', tenantId: 'acme' }], 'ada');
    await request(api.app)
      .patch('/v1/tenants/acme')
      .set(acmeAdmin)
      .set('X-Request-Id', 'audit-patch-1')
      .send({ policy: { retentionDays: 60 } })
      .expect(200);
    const record = await eventually(
      () =>
        api.mongo.db
          .collection('evidence')
          .findOne({ 'detail.requestId': 'audit-patch-1' })
          .then((r) => r ?? undefined),
      'the audit record',
    );
    expect(record).toMatchObject({
      tenantId: 'acme',
      kind: 'api',
      actor: { id: 'ada', kind: 'api-key' },
      event: 'PATCH /v1/tenants/:tenantId',
      outcome: '200',
    });
    await request(api.app)
      .patch('/v1/tenants/acme')
      .set(acmeAdmin)
      .set('X-Request-Id', 'audit-patch-2')
      .send({ policy: { retentionDays: -1 } })
      .expect(400);
    await eventually(
      () =>
        api.mongo.db
          .collection('evidence')
          .findOne({ 'detail.requestId': 'audit-patch-2', outcome: '400' })
          .then((r) => r ?? undefined),
      'the refusal',
    );
  });
});

describe('tenants', () => {
  it('creates, reads and changes a tenant; a duplicate id is 409', async () => {
    const created = await request(api.app)
      .post('/v1/tenants')
      .set(admin)
      .send({
        tenantId: 'initech',
        name: 'Initech',
        policy: { retentionDays: 45 },
        connections: [
          {
            platform: 'okta',
            baseUrl: 'https://initech.okta.example',
            credentials: { apiToken: 'env:TENANT_INITECH__OKTA' },
          },
        ],
      })
      .expect(201);
    expect(created.headers.location).toBe('/v1/tenants/initech');
    expect(created.body.policy.retentionDays).toBe(45);
    await request(api.app).post('/v1/tenants').set(admin).send({ tenantId: 'initech', name: 'Again' }).expect(409);
    const patched = await request(api.app)
      .patch('/v1/tenants/initech')
      .set(admin)
      .send({ policy: { approvers: ['bob'] }, connections: [{ platform: 'github', settings: { org: 'initech' } }] })
      .expect(200);
    expect(patched.body.policy).toMatchObject({ retentionDays: 45, approvers: ['bob'] });
    expect((patched.body.connections as { platform: string }[]).map((c) => c.platform).sort()).toEqual([
      'github',
      'okta',
    ]);
    await request(api.app).get('/v1/tenants/initech').set(admin).expect(200);
  });

  it('refuses a raw secret where a secret reference belongs, without echoing it', async () => {
    const res = await request(api.app)
      .post('/v1/tenants')
      .set(admin)
      .send({
        tenantId: 'leaky',
        name: 'Leaky',
        connections: [{ platform: 'okta', credentials: { apiToken: '00aSuperSecretOktaToken' } }],
      })
      .expect(400);
    expect(res.body.errors).toEqual([
      { path: 'body.connections.0.credentials.apiToken', message: expect.stringContaining('secret reference') },
    ]);
    expect(JSON.stringify(res.body)).not.toContain('00aSuperSecretOktaToken');
  });
});

describe('errors', () => {
  it('names every offending field and rejects unknown ones', async () => {
    const res = await request(api.app)
      .post('/v1/tenants')
      .set(admin)
      .send({ tenantId: 'Bad Id', policy: { retentionDays: 'soon' }, colour: 'blue' })
      .expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toBe('https://identity-runbooks.dev/problems/validation');
    expect((res.body.errors as { path: string; message: string }[]).map((e) => e.path).sort()).toEqual([
      'body',
      'body.name',
      'body.policy.retentionDays',
      'body.tenantId',
    ]);
    expect((res.body.errors as { path: string; message: string }[]).find((e) => e.path === 'body')?.message).toMatch(
      /colour/,
    );
  });

  it('answers a wrong content type with 415 and an oversized body with 413', async () => {
    const wrongType = await request(api.app)
      .post('/v1/tenants')
      .set(admin)
      .set('Content-Type', 'text/plain')
      .send('tenantId=x')
      .expect(415);
    expect(wrongType.body.type).toMatch(/unsupported-media-type$/);
    const big = await request(api.app)
      .post('/v1/tenants')
      .set(admin)
      .send({ tenantId: 'big', name: 'x'.repeat(300_000) })
      .expect(413);
    expect(big.body.type).toMatch(/payload-too-large$/);
  });

  it('answers 503 with Retry-After when MongoDB is down, without internals', async () => {
    const deadClient = new MongoClient('mongodb://127.0.0.1:9/', { serverSelectionTimeoutMS: 300 });
    const downApp = createApp({
      temporal: api.temporal.client,
      mongo: { client: deadClient, db: deadClient.db('x') },
      log: createLogger('silent', 'test'),
      queues: taskQueues(),
      adminApiKey: ADMIN_KEY,
    });
    const res = await request(downApp).get('/v1/tenants/acme').set(admin).expect(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({
      type: 'https://identity-runbooks.dev/problems/backend-unavailable',
      title: expect.any(String),
      status: 503,
    });
    await deadClient.close();
  });

  it('sets security headers and echoes the request id', async () => {
    const res = await request(api.app).get('/healthz').set('X-Request-Id', 'trace-123').expect(200);
    expect(res.headers['x-request-id']).toBe('trace-123');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a credential spends its window, other credentials unaffected', async () => {
    const limited = createApp({
      temporal: api.temporal.client,
      mongo: api.mongo,
      stores: api.stores,
      log: createLogger('silent', 'test'),
      queues: taskQueues(),
      adminApiKey: ADMIN_KEY,
      rateLimit: { limit: 3, windowMs: 60_000 },
    });
    const desk = await api.keyFor([{ role: 'service-desk', tenantId: 'acme' }]);
    for (let i = 0; i < 3; i++) await request(limited).get('/v1/tenants/acme/runs').set(desk).expect(200);
    const res = await request(limited).get('/v1/tenants/acme/runs').set(desk).expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body.type).toMatch(/rate-limited$/);
    await request(limited).get('/v1/tenants/acme').set(admin).expect(200);
  });
});

describe('contract, docs and metrics', () => {
  it('publishes an OpenAPI document generated from the route schemas', async () => {
    const res = await request(api.app).get('/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    const paths = Object.keys(res.body.paths);
    for (const p of [
      '/v1/tenants',
      '/v1/tenants/{tenantId}/offboardings',
      '/v1/tenants/{tenantId}/runs/{runId}/evidence',
      '/v1/tenants/{tenantId}/reviews/{reviewId}/decisions',
      '/v1/tenants/{tenantId}/schedules/{scheduleId}',
      '/v1/api-keys',
    ]) {
      expect(paths).toContain(p);
    }
    const createTenant = res.body.paths['/v1/tenants'].post;
    expect(createTenant.requestBody.content['application/json'].schema.properties.tenantId).toBeDefined();
    expect(createTenant.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(
      Object.keys(res.body.paths['/v1/tenants/{tenantId}/runs/{runId}/evidence'].get.responses['200'].content),
    ).toEqual(['application/json', 'text/csv']);
  });

  it('renders the docs from locally served Swagger UI assets', async () => {
    const page = await request(api.app).get('/docs').expect(200);
    expect(page.text).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/https?:\/\//);
    const bundle = await request(api.app).get('/docs/assets/swagger-ui-bundle.js').expect(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
  });

  it('exports request counts and latency by route template and status', async () => {
    await request(api.app).get('/v1/tenants/acme').set(admin).expect(200);
    const res = await request(api.app).get('/metrics').expect(200);
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/v1\/tenants\/:tenantId",status="200"\} \d+/);
    expect(res.text).toContain('http_request_duration_seconds_bucket');
    expect(res.text).toContain('runbook_runs_started_total');
  });
});
