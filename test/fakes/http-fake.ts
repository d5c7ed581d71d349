/**
 * Plumbing shared by the platform contract fakes in test/fakes/: an HTTP server
 * on a free 127.0.0.1 port, path routing with `:params`, JSON replies, an auth
 * check (401 when the header is wrong), a request log, and failure injection
 * (429 with the platform's rate-limit headers, 5xx) for the next N requests.
 * Each fake module adds only its platform's routes and in-memory state.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  url: URL;
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type FakeHandler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: FakeHandler;
}

export interface HttpFakeOptions {
  /** True when the request carries valid credentials (or needs none, like a token endpoint); otherwise the fake answers 401. */
  authorized: (headers: IncomingMessage['headers'], path: string) => boolean;
  /** Content type of JSON replies (SCIM uses application/scim+json). */
  contentType?: string;
  /** The platform's error body for a status (Graph, Okta and SCIM each shape errors differently). */
  errorBody?: (status: number, message: string) => unknown;
}

export function reply(status: number, body?: unknown, headers?: Record<string, string>): FakeReply {
  return { status, body, headers };
}

export class HttpFake {
  /** Every request the fake answered, for assertions on what the client called. */
  readonly requests: { method: string; path: string }[] = [];
  private readonly routes: Route[] = [];
  private readonly injected: FakeReply[] = [];
  private server?: Server;

  /** Every reply waits this long first (a platform's latency, or requests still in flight when a test kills a worker). */
  latencyMs = 0;

  constructor(private readonly options: HttpFakeOptions) {}

  get baseUrl(): string {
    if (!this.server) throw new Error('fake not started');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Registers a route; `pattern` is a path with `:name` segments, e.g. `/users/:id/memberOf`. */
  on(method: string, pattern: string, handler: FakeHandler): this {
    const names: string[] = [];
    const source = pattern
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(segment.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  /** The next `times` requests fail with this status and headers (e.g. 429 with Retry-After). */
  failNext(times: number, status: number, headers: Record<string, string> = {}): void {
    for (let i = 0; i < times; i++)
      this.injected.push({ status, headers, body: this.error(status, 'injected failure') });
  }

  error(status: number, message: string): unknown {
    return this.options.errorBody?.(status, message) ?? { error: message };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server?.close((err) => (err ? reject(err) : resolve())));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname });
    let out: FakeReply;
    try {
      const body = await readJson(req);
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      out =
        this.injected.shift() ??
        (this.options.authorized(req.headers, url.pathname)
          ? await this.route(method, url, req, body)
          : this.fail(401, 'unauthorized'));
    } catch (err) {
      out = this.fail(500, err instanceof Error ? err.message : 'fake failed');
    }
    const headers = { ...out.headers };
    if (out.body !== undefined) headers['Content-Type'] ??= this.options.contentType ?? 'application/json';
    res.writeHead(out.status, headers).end(out.body === undefined ? undefined : JSON.stringify(out.body));
  }

  fail(status: number, message: string): FakeReply {
    return reply(status, this.error(status, message));
  }

  private async route(method: string, url: URL, req: IncomingMessage, body: unknown): Promise<FakeReply> {
    const path = decodeURIComponent(url.pathname);
    for (const route of this.routes) {
      const match = route.method === method ? route.pattern.exec(path) : null;
      if (!match) continue;
      const params = Object.fromEntries(route.names.map((name, i) => [name, match[i + 1]!]));
      return route.handler({ method, url, params, headers: req.headers, body });
    }
    return this.fail(404, `no route for ${method} ${path}`);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  if (req.headers['content-type']?.includes('x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(text));
  return JSON.parse(text) as unknown;
}

/** One page of `items` from a zero-based offset, and the offset of the next page (undefined at the end). */
export function pageOf<T>(items: readonly T[], offset: number, size: number): { page: T[]; next?: number } {
  const page = items.slice(offset, offset + size);
  return { page, next: offset + size < items.length ? offset + size : undefined };
}
