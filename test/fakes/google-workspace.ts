/**
 * CONTRACT FAKE of Google Workspace, not an emulator: it follows the published
 * Admin SDK Directory API v1 reference (users insert/get/patch/delete/signOut,
 * users.list?customer with maxResults and pageToken/nextPageToken,
 * users.tokens and users.asps list/delete, groups.list?userKey with
 * pageToken/nextPageToken, members insert/delete), the Data Transfer API v1
 * (applications.list, transfers.list/insert) and Google's OAuth 2.0
 * service-account flow (JWT bearer grant, RFC 7523) on a separate token server,
 * as Google hosts it separately. Errors use Google's JSON error shape
 * ({ error: { code, message, errors: [{ reason }] } }); quota errors are 403
 * with reason userRateLimitExceeded, 429 with reason rateLimitExceeded (inject
 * with directory.failNext and a Retry-After header). Unknown tokens get 401, missing resources 404,
 * duplicates 409. State is in memory for the tests to inspect.
 */
import { createVerify, randomUUID } from 'node:crypto';
import { HttpFake, pageOf, reply, type FakeHandler, type FakeReply } from './http-fake';

export interface FakeGoogleUser {
  id: string;
  primaryEmail: string;
  suspended: boolean;
  name: { givenName?: string; familyName?: string; fullName?: string };
  relations?: { type: string; value: string }[];
  externalIds?: { type: string; value: string }[];
  /** ISO; the epoch for a user who never signed in, as Google reports it. */
  lastLoginTime: string;
}

const REASONS: Record<number, string> = {
  400: 'invalid',
  401: 'authError',
  403: 'forbidden',
  404: 'notFound',
  409: 'duplicate',
  429: 'rateLimitExceeded',
  503: 'backendError',
};

function googleError(status: number, message: string, reason = REASONS[status] ?? 'backendError') {
  return { error: { code: status, message, errors: [{ domain: 'global', reason, message }] } };
}

export class GoogleWorkspaceFake {
  readonly users = new Map<string, FakeGoogleUser>();
  readonly groups = new Map<string, { id: string; email: string; name: string; members: Set<string> }>();
  readonly tokens = new Map<string, { clientId: string; displayText: string }[]>();
  readonly asps = new Map<string, { codeId: number; name: string; creationTime: string; lastTimeUsed: string }[]>();
  readonly signedOut: string[] = [];
  readonly transfers: {
    id: string;
    oldOwnerUserId: string;
    newOwnerUserId: string;
    overallTransferStatusCode: string;
    applicationDataTransfers: { applicationId: string }[];
  }[] = [];
  /** Delegated subjects the token server issued tokens for. */
  readonly tokenSubjects: string[] = [];
  readonly driveApplicationId = '55656082996';
  /** Small pages so the client must follow nextPageToken. */
  pageSize = 2;

  readonly directory: HttpFake;
  readonly tokenServer: HttpFake;
  private readonly issued = new Set<string>();
  private quotaFailures = 0;

  constructor(private readonly serviceAccount: { clientEmail: string; publicKeyPem: string }) {
    this.tokenServer = new HttpFake({
      authorized: () => true,
      errorBody: (status, message) => ({
        error: status === 400 ? 'invalid_grant' : 'server_error',
        error_description: message,
      }),
    });
    this.tokenServer.on('POST', '/token', (req) => this.issueToken(req.body as Record<string, string>));
    this.directory = new HttpFake({
      authorized: (h) => this.issued.has(String(h.authorization).replace(/^Bearer /, '')),
      errorBody: googleError,
    });
    this.routes();
  }

  get tokenUrl(): string {
    return `${this.tokenServer.baseUrl}/token`;
  }

  async start(): Promise<this> {
    await Promise.all([this.tokenServer.start(), this.directory.start()]);
    return this;
  }

  stop(): Promise<unknown> {
    return Promise.all([this.tokenServer.stop(), this.directory.stop()]);
  }

  /** The next `times` Directory calls fail as Google reports quota: 403 with reason userRateLimitExceeded. */
  exceedQuotaNext(times: number): void {
    this.quotaFailures = times;
  }

  /** Google revokes every access token it issued (as when a token expires early or the key is disabled). */
  revokeIssuedTokens(): void {
    this.issued.clear();
  }

  addUser(primaryEmail: string, extra: Partial<FakeGoogleUser> = {}): FakeGoogleUser {
    const user = {
      id: randomUUID().replace(/-/g, '').slice(0, 21),
      primaryEmail,
      suspended: false,
      name: {},
      lastLoginTime: '1970-01-01T00:00:00.000Z',
      ...extra,
    };
    this.users.set(user.id, user);
    return user;
  }

  addGroup(email: string, members: string[] = []): void {
    this.groups.set(email, { id: randomUUID(), email, name: email.split('@')[0]!, members: new Set(members) });
  }

  userByKey(key: string): FakeGoogleUser | undefined {
    return this.users.get(key) ?? [...this.users.values()].find((u) => u.primaryEmail === key);
  }

  private issueToken(form: Record<string, string>): FakeReply {
    if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || !form.assertion)
      return this.tokenServer.fail(400, 'bad grant');
    const [header, claims, signature] = form.assertion.split('.');
    const valid = createVerify('RSA-SHA256')
      .update(`${header}.${claims}`)
      .verify(this.serviceAccount.publicKeyPem, signature ?? '', 'base64url');
    const c = JSON.parse(Buffer.from(claims ?? '', 'base64url').toString()) as {
      iss: string;
      aud: string;
      sub?: string;
      exp: number;
      scope: string;
    };
    if (!valid || c.iss !== this.serviceAccount.clientEmail || c.aud !== this.tokenUrl || c.exp * 1000 < Date.now())
      return this.tokenServer.fail(400, 'invalid assertion');
    if (c.sub) this.tokenSubjects.push(c.sub);
    const token = `ya29.${randomUUID()}`;
    this.issued.add(token);
    return reply(200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
  }

  private on(method: string, path: string, handler: FakeHandler): void {
    this.directory.on(method, path, (req) => {
      if (this.quotaFailures > 0) {
        this.quotaFailures--;
        return reply(403, googleError(403, 'Quota exceeded for quota metric', 'userRateLimitExceeded'));
      }
      return handler(req);
    });
  }

  private notFound(what: string): FakeReply {
    return this.directory.fail(404, `Resource Not Found: ${what}`);
  }

  private routes(): void {
    const D = '/admin/directory/v1';
    this.on('POST', `${D}/users`, ({ body }) => {
      const b = body as {
        primaryEmail: string;
        name: FakeGoogleUser['name'];
        password?: string;
        externalIds?: FakeGoogleUser['externalIds'];
      };
      if (!b.password || !b.name?.givenName) return this.directory.fail(400, 'Invalid Input');
      if (this.userByKey(b.primaryEmail)) return this.directory.fail(409, 'Entity already exists.');
      return reply(
        200,
        this.addUser(b.primaryEmail, { name: b.name, ...(b.externalIds ? { externalIds: b.externalIds } : {}) }),
      );
    });
    this.on('GET', `${D}/users`, ({ url }) => {
      const q = url.searchParams;
      if (!q.get('customer') && !q.get('domain')) return this.directory.fail(400, 'Bad Request');
      const maxResults = Math.min(Number(q.get('maxResults') ?? 100), 500);
      const { page, next } = pageOf([...this.users.values()], Number(q.get('pageToken') ?? 0), maxResults);
      return reply(200, {
        kind: 'admin#directory#users',
        users: page,
        ...(next === undefined ? {} : { nextPageToken: String(next) }),
      });
    });
    this.on('GET', `${D}/users/:key`, ({ params }) => {
      const user = this.userByKey(params.key!);
      return user ? reply(200, user) : this.notFound('userKey');
    });
    this.on('PATCH', `${D}/users/:key`, ({ params, body }) => {
      const user = this.userByKey(params.key!);
      if (!user) return this.notFound('userKey');
      Object.assign(user, body);
      return reply(200, user);
    });
    this.on('DELETE', `${D}/users/:key`, ({ params }) => {
      const user = this.userByKey(params.key!);
      if (!user) return this.notFound('userKey');
      this.users.delete(user.id);
      return reply(204);
    });
    this.on('POST', `${D}/users/:key/signOut`, ({ params }) => {
      const user = this.userByKey(params.key!);
      if (!user) return this.notFound('userKey');
      this.signedOut.push(user.primaryEmail);
      return reply(204);
    });
    this.on('GET', `${D}/users/:key/tokens`, ({ params }) =>
      this.withUser(params.key!, (u) =>
        reply(200, { kind: 'admin#directory#tokenList', items: this.tokens.get(u.primaryEmail) ?? [] }),
      ),
    );
    this.on('DELETE', `${D}/users/:key/tokens/:clientId`, ({ params }) =>
      this.withUser(params.key!, (u) =>
        this.remove(this.tokens, u.primaryEmail, (t) => t.clientId === params.clientId),
      ),
    );
    this.on('GET', `${D}/users/:key/asps`, ({ params }) =>
      this.withUser(params.key!, (u) =>
        reply(200, { kind: 'admin#directory#asps', items: this.asps.get(u.primaryEmail) ?? [] }),
      ),
    );
    this.on('DELETE', `${D}/users/:key/asps/:codeId`, ({ params }) =>
      this.withUser(params.key!, (u) =>
        this.remove(this.asps, u.primaryEmail, (a) => String(a.codeId) === params.codeId),
      ),
    );
    this.on('GET', `${D}/groups`, ({ url }) => {
      const user = this.userByKey(url.searchParams.get('userKey') ?? '');
      if (!user) return this.directory.fail(400, 'userKey or customer is required');
      const mine = [...this.groups.values()]
        .filter((g) => g.members.has(user.primaryEmail))
        .map(({ id, email, name }) => ({ id, email, name }));
      const { page, next } = pageOf(mine, Number(url.searchParams.get('pageToken') ?? 0), this.pageSize);
      return reply(200, {
        kind: 'admin#directory#groups',
        groups: page,
        ...(next === undefined ? {} : { nextPageToken: String(next) }),
      });
    });
    this.on('POST', `${D}/groups/:group/members`, ({ params, body }) => {
      const group = this.groups.get(params.group!);
      const email = (body as { email: string }).email;
      if (!group || !this.userByKey(email)) return this.notFound('groupKey or member');
      if (group.members.has(email)) return this.directory.fail(409, 'Member already exists.');
      group.members.add(email);
      return reply(200, { email, role: 'MEMBER', type: 'USER' });
    });
    this.on('DELETE', `${D}/groups/:group/members/:member`, ({ params }) => {
      const group = this.groups.get(params.group!);
      if (!group?.members.delete(params.member!)) return this.notFound('memberKey');
      return reply(204);
    });
    const T = '/admin/datatransfer/v1';
    // Two pages, so the client must page to find Drive.
    this.on('GET', `${T}/applications`, ({ url }) =>
      url.searchParams.get('pageToken') === 'p2'
        ? reply(200, { applications: [{ id: this.driveApplicationId, name: 'Drive and Docs' }] })
        : reply(200, { applications: [{ id: '435070579839', name: 'Calendar' }], nextPageToken: 'p2' }),
    );
    this.on('GET', `${T}/transfers`, ({ url }) => {
      const q = url.searchParams;
      const found = this.transfers.filter(
        (t) => t.oldOwnerUserId === q.get('oldOwnerUserId') && t.newOwnerUserId === q.get('newOwnerUserId'),
      );
      return reply(200, { dataTransfers: found });
    });
    this.on('POST', `${T}/transfers`, ({ body }) => {
      const b = body as {
        oldOwnerUserId: string;
        newOwnerUserId: string;
        applicationDataTransfers: { applicationId: string }[];
      };
      if (!this.users.has(b.oldOwnerUserId) || !this.users.has(b.newOwnerUserId))
        return this.directory.fail(400, 'Invalid owner');
      const transfer = { id: randomUUID(), ...b, overallTransferStatusCode: 'new' };
      this.transfers.push(transfer);
      return reply(200, transfer);
    });
  }

  private withUser(key: string, then: (user: FakeGoogleUser) => FakeReply): FakeReply {
    const user = this.userByKey(key);
    return user ? then(user) : this.notFound('userKey');
  }

  private remove<T>(store: Map<string, T[]>, owner: string, match: (item: T) => boolean): FakeReply {
    const items = store.get(owner) ?? [];
    const index = items.findIndex(match);
    if (index < 0) return this.notFound('resource');
    items.splice(index, 1);
    return reply(204);
  }
}
