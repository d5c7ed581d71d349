import type { Platform } from '../../../shared';
import { outboundUrlProblem } from '../../../shared/outbound-urls';
import { PlatformError, platformErrorFromStatus } from '../../errors';

export interface RestClientOptions {
  platform: Platform;
  baseUrl: string;
  /** Auth and fixed headers per request (a token provider may refresh here). */
  headers: () => Promise<Record<string, string>>;
  timeoutMs?: number;
  /**
   * Retry delay from a platform's own rate-limit headers (Okta's X-Rate-Limit-Reset),
   * as a Retry-After value in seconds; defaults to the Retry-After header.
   */
  retryAfter?: (headers: Headers) => string | undefined;
  /** For OAuth clients: forget the cached access token; true when there was one, so a 401 is retried once. */
  dropCachedAuth?: () => boolean;
  /**
   * Platform-specific classification of a failed response, consulted before the
   * status-based default (e.g. GitHub's 403 rate limit, Google's 403 quota reasons).
   * Gets the body to read error codes from; the resulting message must not quote it.
   */
  classifyFailure?: (failure: FailedResponse) => PlatformError | undefined;
  /** Plain http and loopback/private addresses (development, contract fakes); ALLOW_INSECURE_PLATFORM_URLS by default. */
  allowInsecureUrls?: boolean;
}

export interface FailedResponse {
  status: number;
  headers: Headers;
  body: string;
  /** `<platform> <METHOD> <path> failed with <status>`: safe to use as the error message. */
  message: string;
}

export interface RestResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  /** Extra headers for this request (e.g. If-Match, Content-Type for SCIM). */
  headers?: Record<string, string>;
}

/**
 * The JSON-over-HTTP client every REST platform adapter uses: auth headers,
 * timeouts, and failures classified once (404 not-found, 401/403 forbidden,
 * 409 conflict, 429 throttled with Retry-After, 5xx server, network). Error
 * messages name method, path and status, never headers or bodies (which may hold secrets).
 * Requests go only to the base URL's origin: a paging link to another origin is refused
 * (the auth headers would go with it), redirects are not followed, and the URL is checked
 * against outboundUrlProblem before every call.
 */
/** fetch's own timeout (AbortSignal.timeout), however the runtime wraps it. */
function timedOut(err: unknown): boolean {
  const names = [err, (err as { cause?: unknown } | undefined)?.cause].map(
    (e) => (e as { name?: string } | undefined)?.name,
  );
  return names.includes('TimeoutError');
}

export class RestClient {
  constructor(private readonly options: RestClientOptions) {}

  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<RestResponse<T>> {
    const url = this.url(path, opts.query);
    let res = await this.send(method, url, opts);
    // A cached access token the platform no longer accepts: drop it and try once with a fresh one.
    if (res.status === 401 && this.options.dropCachedAuth?.()) {
      await res.body?.cancel();
      res = await this.send(method, url, opts);
    }
    if (!res.ok)
      throw await this.failure(res, `${this.options.platform} ${method} ${url.pathname} failed with ${res.status}`);
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      // The connection reset (or the call's time ran out) after the headers, in the middle of the body.
      throw new PlatformError(
        'network',
        `${this.options.platform} ${method} ${url.pathname}: ${timedOut(err) ? 'timed out' : 'connection lost'} while reading the answer`,
      );
    }
    return {
      status: res.status,
      body: parseJson<T>(text, `${this.options.platform} ${method} ${url.pathname}`),
      headers: res.headers,
    };
  }

  private async send(method: string, url: URL, opts: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      ...(await this.options.headers()),
      ...opts.headers,
    };
    if (opts.body !== undefined) headers['Content-Type'] ??= 'application/json';
    try {
      return await fetch(url, {
        method,
        headers,
        redirect: 'manual',
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const reason = timedOut(err) ? 'timed out' : 'unreachable';
      throw new PlatformError('network', `${this.options.platform} ${method} ${url.pathname} ${reason}`);
    }
  }

  get<T>(path: string, opts?: RequestOptions) {
    return this.request<T>('GET', path, opts);
  }
  post<T>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('POST', path, { ...opts, body });
  }
  patch<T>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('PATCH', path, { ...opts, body });
  }
  put<T>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('PUT', path, { ...opts, body });
  }
  delete<T>(path: string, opts?: RequestOptions) {
    return this.request<T>('DELETE', path, opts);
  }

  /**
   * Follows a platform's paging: `next` returns the next page's absolute URL or
   * path (Link rel="next", @odata.nextLink, a page token turned into a path), or undefined at the end.
   */
  async *pages<P>(
    firstPath: string,
    next: (page: RestResponse<P>) => string | undefined,
    opts: RequestOptions = {},
  ): AsyncGenerator<P> {
    let path: string | undefined = firstPath;
    let query = opts.query;
    while (path) {
      const page: RestResponse<P> = await this.get<P>(path, { ...opts, query });
      yield page.body;
      path = next(page);
      query = undefined; // next links carry their own query
    }
  }

  /** Every item of a paged listing; `items` picks a page's items. */
  async all<P, T>(
    firstPath: string,
    next: (page: RestResponse<P>) => string | undefined,
    items: (page: P) => readonly T[],
    opts?: RequestOptions,
  ): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.pages<P>(firstPath, next, opts)) out.push(...items(page));
    return out;
  }

  private async failure(res: Response, message: string): Promise<PlatformError> {
    const classify = this.options.classifyFailure;
    const byStatus = () => platformErrorFromStatus(res.status, message, this.retryAfter(res.headers));
    if (!classify) {
      await res.body?.cancel();
      return byStatus();
    }
    const body = await res.text().catch(() => '');
    return classify({ status: res.status, headers: res.headers, body, message }) ?? byStatus();
  }

  private retryAfter(headers: Headers): string | null {
    return this.options.retryAfter?.(headers) ?? headers.get('retry-after');
  }

  private url(path: string, query?: RequestOptions['query']): URL {
    const base = new URL(this.options.baseUrl.replace(/\/?$/, '/'));
    const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(path.replace(/^\//, ''), base);
    if (url.origin !== base.origin)
      throw new PlatformError('invalid', `${this.options.platform} refused a link to another origin than its base URL`);
    assertOutboundUrl(this.options.platform, url.toString(), this.options.allowInsecureUrls);
    for (const [key, value] of Object.entries(query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }
}

/** Refuses (non-retryable, naming no URL) a tenant-set URL that outboundUrlProblem rejects. */
export function assertOutboundUrl(
  what: string,
  url: string,
  allowInsecure = process.env.ALLOW_INSECURE_PLATFORM_URLS === 'true',
): void {
  const problem = outboundUrlProblem(url, allowInsecure);
  if (problem) throw new PlatformError('invalid', `${what} URL ${problem}`);
}

/** Treats "not found" as "already done": deleting a deleted thing, removing a removed member. */
export function idempotentDelete(call: () => Promise<unknown>): Promise<{ outcome: 'done' | 'already-done' }> {
  return alreadyDoneWhen('not-found', call);
}

/** Treats "already exists" (409) as "already done": adding a member twice, creating an existing account. */
export function idempotentCreate(call: () => Promise<unknown>): Promise<{ outcome: 'done' | 'already-done' }> {
  return alreadyDoneWhen('conflict', call);
}

async function alreadyDoneWhen(
  kind: PlatformError['kind'],
  call: () => Promise<unknown>,
): Promise<{ outcome: 'done' | 'already-done' }> {
  try {
    await call();
    return { outcome: 'done' };
  } catch (err) {
    if (err instanceof PlatformError && err.kind === kind) return { outcome: 'already-done' };
    throw err;
  }
}

/** The call's result, or undefined when the platform says the thing does not exist (a lookup before a create). */
export async function unlessNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof PlatformError && err.kind === 'not-found') return undefined;
    throw err;
  }
}

/** Parses an RFC 8288 Link header for rel="next" (GitHub, Okta). */
export function nextLink(headers: Headers): string | undefined {
  const link = headers.get('link');
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}

/**
 * A JSON body, or a classified failure that does not quote it: a parser's own message carries a piece of the
 * body, which may be anything the far end sent (an HTML login page, a proxy's error page).
 */
export function parseJson<T>(text: string, what: string): T {
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new PlatformError('server', `${what} answered with something other than JSON`);
  }
}
