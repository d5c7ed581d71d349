import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PlatformError } from '../activities/errors';
import { idempotentDelete, nextLink, RestClient, unlessNotFound } from '../activities/platforms/http/rest-client';

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
    if (url.pathname === '/reset') return void req.socket.destroy();
    if (url.pathname === '/reset-mid-body')
      return void (
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' }).write('{"value": ['),
        setTimeout(() => req.socket.destroy(), 20)
      );
    if (url.pathname === '/silent') return; // never answers
    if (url.pathname === '/login-page')
      return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>token=internal-s3cret-value</html>');
    if (url.pathname === '/items') {
      const page = Number(url.searchParams.get('page') ?? '1');
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (page < 3)
        headers.Link = `<http://127.0.0.1:${(server.address() as AddressInfo).port}/items?page=${page + 1}>; rel="next"`;
      return void res.writeHead(200, headers).end(JSON.stringify([page]));
    }
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new RestClient({
    platform: 'scim',
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    headers: () => Promise.resolve({ Authorization: 'Bearer t0ken' }),
  });
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
  const okta = new RestClient({
    platform: 'okta',
    baseUrl: base,
    headers: () => Promise.resolve({}),
    retryAfter: () => '3',
  });
  await expect(okta.get('/busy')).rejects.toMatchObject({ kind: 'throttled', retryAfterMs: 3000 });
});

it('lets a platform classify a failure from its body, falling back to the status, without quoting the body', async () => {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const seen: string[] = [];
  const classifyFailure = ({ status, body, message }: { status: number; body: string; message: string }) => {
    seen.push(body);
    return status === 404 && body.includes('never shown')
      ? new PlatformError('throttled', message, 1000, status)
      : undefined;
  };
  const picky = new RestClient({
    platform: 'github',
    baseUrl: base,
    headers: () => Promise.resolve({}),
    classifyFailure,
  });
  const classified = await picky.get('/gone').catch((e: unknown) => e as PlatformError);
  expect(classified).toMatchObject({
    kind: 'throttled',
    retryAfterMs: 1000,
    message: 'github GET /gone failed with 404',
  });
  await expect(picky.get('/broken')).rejects.toMatchObject({ kind: 'server' });
  expect(seen).toEqual(['{"secret":"never shown"}', '']);
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

it('reports a connection reset before the answer, or in the middle of its body, as a retryable network failure', async () => {
  await expect(client.get('/reset')).rejects.toMatchObject({ kind: 'network', message: 'scim GET /reset unreachable' });
  await expect(client.get('/reset-mid-body')).rejects.toMatchObject({
    kind: 'network',
    message: 'scim GET /reset-mid-body: connection lost while reading the answer',
  });
});

it('gives up on a platform that accepts the call and never answers, as a retryable network failure', async () => {
  const slow = new RestClient({
    platform: 'okta',
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    headers: () => Promise.resolve({}),
    timeoutMs: 300,
  });
  await expect(slow.get('/silent')).rejects.toMatchObject({ kind: 'network', message: 'okta GET /silent timed out' });
});

it('classifies a body that is not JSON as a server failure that does not quote the body', async () => {
  const err = await failure('/login-page');
  expect(err).toBeInstanceOf(PlatformError);
  expect(err.kind).toBe('server');
  expect(err.message).toBe('scim GET /login-page answered with something other than JSON');
  expect(err.message).not.toContain('s3cret');
});
