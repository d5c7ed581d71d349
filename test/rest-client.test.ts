import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type PlatformError } from '../activities/errors';
import { idempotentDelete, nextLink, RestClient, unlessNotFound } from '../activities/http/rest-client';

let server: Server;
let client: RestClient;
let seenAuth: string | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    seenAuth = req.headers.authorization;
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/busy') return void res.writeHead(429, { 'Retry-After': '7' }).end();
    if (url.pathname === '/gone') return void res.writeHead(404).end('{"secret":"never shown"}');
    if (url.pathname === '/broken') return void res.writeHead(503).end();
    if (url.pathname === '/items') {
      const page = Number(url.searchParams.get('page') ?? '1');
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (page < 3) headers.Link = `<http://127.0.0.1:${(server.address() as AddressInfo).port}/items?page=${page + 1}>; rel="next"`;
      return void res.writeHead(200, headers).end(JSON.stringify([page]));
    }
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new RestClient({ platform: 'scim', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, headers: () => Promise.resolve({ Authorization: 'Bearer t0ken' }) });
});
afterAll(() => new Promise((r) => server.close(r)));

async function failure(path: string): Promise<PlatformError> {
  try {
    await client.get(path);
  } catch (err) {
    return err as PlatformError;
  }
  throw new Error('expected a failure');
}

it('sends the auth header and classifies 429 as throttled with Retry-After', async () => {
  const err = await failure('/busy');
  expect(seenAuth).toBe('Bearer t0ken');
  expect(err).toMatchObject({ kind: 'throttled', retryAfterMs: 7000, status: 429 });
});

it('classifies 404 as not-found without echoing the body, and 503 as a server error', async () => {
  const gone = await failure('/gone');
  expect(gone.kind).toBe('not-found');
  expect(gone.message).toBe('scim GET /gone failed with 404');
  expect((await failure('/broken')).kind).toBe('server');
});

it('treats a delete of something already gone as already done', async () => {
  await expect(idempotentDelete(() => client.delete('/gone'))).resolves.toEqual({ outcome: 'already-done' });
  await expect(idempotentDelete(() => client.delete('/ok'))).resolves.toEqual({ outcome: 'done' });
});

it('looks up something that may not exist: undefined on 404, other failures still thrown', async () => {
  await expect(unlessNotFound(() => client.get('/gone'))).resolves.toBeUndefined();
  await expect(unlessNotFound(() => client.get('/broken'))).rejects.toMatchObject({ kind: 'server' });
});

it("takes the throttle delay from a platform's own rate-limit header when told how", async () => {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const okta = new RestClient({ platform: 'okta', baseUrl: base, headers: () => Promise.resolve({}), retryAfter: () => '3' });
  await expect(okta.get('/busy')).rejects.toMatchObject({ kind: 'throttled', retryAfterMs: 3000 });
});

it('follows Link rel="next" paging to the end', async () => {
  const pages: number[][] = [];
  for await (const page of client.pages<number[]>('/items', (p) => nextLink(p.headers))) pages.push(page);
  expect(pages).toEqual([[1], [2], [3]]);
});

it('reports an unreachable platform as a retryable network failure', async () => {
  const dead = new RestClient({ platform: 'okta', baseUrl: 'http://127.0.0.1:9/', headers: () => Promise.resolve({}) });
  await expect(dead.get('/users')).rejects.toMatchObject({ kind: 'network' });
});
