/**
 * CONTRACT FAKE of the Okta Management API (/api/v1), for tests only. It follows
 * the published contract at developer.okta.com/docs/api: `Authorization: SSWS <token>`
 * (401 E0000011 otherwise), users by id or login and listed (without DEPROVISIONED
 * ones, as Okta's unfiltered listing does), lifecycle transitions
 * (deactivate → DEPROVISIONED, activate, unsuspend), the two-step user DELETE
 * (deactivate, then delete), DELETE sessions?oauthTokens=true, group membership
 * PUT/DELETE, role assignments, app assignments and appLinks, API tokens, user
 * grants, apps listed with `filter=name eq "..."` (or status), OAuth client secrets
 * (at most two; only inactive ones deletable), IdP links; cursor paging with
 * `Link: <...after=...>; rel="next"` (keeping the listing's filter); errors as
 * { errorCode, errorSummary }; rate limiting as 429 with X-Rate-Limit-* headers,
 * injected or per listing endpoint (limitRate).
 */
import { randomUUID } from 'node:crypto';
import { HttpFake, pageOf, reply, type FakeReply, type FakeRequest } from './http-fake';

export interface FakeOktaUser {
  id: string;
  status: 'STAGED' | 'PROVISIONED' | 'ACTIVE' | 'SUSPENDED' | 'LOCKED_OUT' | 'DEPROVISIONED';
  profile: {
    login: string;
    email: string;
    firstName: string;
    lastName: string;
    displayName?: string;
    employeeNumber?: string;
    managerId?: string;
    manager?: string;
  };
  /** Last sign-in (ISO); Okta shows null before the first. */
  lastLogin?: string;
  roles: { id: string; type: string; assignmentType?: 'USER' | 'GROUP' }[];
  grants: { id: string; status: 'ACTIVE' | 'REVOKED'; clientId: string; scopeId: string; created: string }[];
  /** Times DELETE /sessions ran, and with oauthTokens=true. */
  sessionClears: { oauthTokens: boolean }[];
}

export interface FakeOktaGroup {
  id: string;
  /** APP_GROUP memberships are mastered by a directory or app: Okta refuses to change them. */
  type: 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';
  name: string;
  members: Set<string>;
}

export interface FakeOktaApp {
  id: string;
  /** The app's integration: `oidc_client` for every OIDC app, else a catalogue name such as `salesforce`. */
  name: string;
  /** An OIDC app's kind; `service` is a client-credentials app acting as no user. */
  applicationType?: 'web' | 'native' | 'browser' | 'service';
  label: string;
  status: 'ACTIVE' | 'INACTIVE';
  assigned: Set<string>;
  secrets: { id: string; status: 'ACTIVE' | 'INACTIVE'; created: string; client_secret: string }[];
}

export interface FakeOktaApiToken {
  id: string;
  name: string;
  /** The user whose permissions the token carries. */
  userId: string;
  created: string;
  clientName?: string;
}

const OKTA_ERRORS: Record<number, [string, string]> = {
  400: ['E0000001', 'Api validation failed'],
  401: ['E0000011', 'Invalid token provided'],
  403: ['E0000006', 'You do not have permission to perform the requested action'],
  404: ['E0000007', 'Not found: Resource not found'],
  429: ['E0000047', 'API call exceeded rate limit due to too many requests.'],
};

export class FakeOkta {
  readonly users = new Map<string, FakeOktaUser>();
  readonly groups = new Map<string, FakeOktaGroup>();
  readonly apps = new Map<string, FakeOktaApp>();
  readonly apiTokens = new Map<string, FakeOktaApiToken>();
  /** IdP id → (user id → external id). */
  readonly idpLinks = new Map<string, Map<string, string>>();
  /** Largest page Okta returns whatever `limit` asks, small so tests page. */
  pageSize = 2;
  /** Okta's per-endpoint rate limits on listings: requests left in the window, and its reset (epoch seconds). */
  readonly rateLimits = new Map<string, { limit: number; remaining: number; reset: number }>();
  readonly http: HttpFake;

  constructor(readonly apiToken: string) {
    this.http = new HttpFake({
      authorized: (headers) => headers.authorization === `SSWS ${apiToken}`,
      errorBody: (status, summary) => {
        const [errorCode, standard] = OKTA_ERRORS[status] ?? ['E0000009', 'Internal Server Error'];
        return {
          errorCode,
          errorSummary: summary === 'injected failure' ? standard : summary,
          errorId: randomUUID(),
          errorCauses: [],
        };
      },
    });
    this.groups.set('everyone', { id: 'everyone', type: 'BUILT_IN', name: 'Everyone', members: new Set() });
  }

  async start(): Promise<this> {
    await this.http.start();
    this.userRoutes();
    this.entitlementRoutes();
    this.credentialRoutes();
    return this;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  addUser(
    login: string,
    {
      profile,
      ...init
    }: Partial<Omit<FakeOktaUser, 'id' | 'profile'>> & { profile?: Partial<FakeOktaUser['profile']> } = {},
  ): FakeOktaUser {
    const user: FakeOktaUser = {
      id: `00u${randomUUID().slice(0, 12)}`,
      status: 'ACTIVE',
      profile: { login, email: login, firstName: 'Test', lastName: 'User', ...profile },
      roles: [],
      grants: [],
      sessionClears: [],
      ...init,
    };
    this.users.set(user.id, user);
    this.groups.get('everyone')!.members.add(user.id);
    return user;
  }

  addGroup(name: string, members: string[] = [], type: FakeOktaGroup['type'] = 'OKTA_GROUP'): FakeOktaGroup {
    const group: FakeOktaGroup = { id: `00g${randomUUID().slice(0, 12)}`, type, name, members: new Set(members) };
    this.groups.set(group.id, group);
    return group;
  }

  addApp(label: string, init: Partial<FakeOktaApp> = {}): FakeOktaApp {
    const app: FakeOktaApp = {
      id: `0oa${randomUUID().slice(0, 12)}`,
      name: 'oidc_client',
      applicationType: 'service',
      label,
      status: 'ACTIVE',
      assigned: new Set(),
      secrets: [],
      ...init,
    };
    this.apps.set(app.id, app);
    return app;
  }

  /** The listing at `path` answers `requests` more requests, then 429 until the window resets `resetInSeconds` from now. */
  limitRate(path: string, requests: number, resetInSeconds = 60): void {
    this.rateLimits.set(path, {
      limit: requests,
      remaining: requests,
      reset: Math.floor(Date.now() / 1000) + resetInSeconds,
    });
  }

  userByLogin(login: string): FakeOktaUser | undefined {
    return [...this.users.values()].find((u) => u.profile.login.toLowerCase() === login.toLowerCase());
  }

  private userRoutes(): void {
    const h = this.http;
    h.on('GET', '/api/v1/users', (req) =>
      this.page(req, [...this.users.values()].filter((u) => u.status !== 'DEPROVISIONED').map(userJson)),
    );
    h.on('GET', '/api/v1/users/:user', (req) => this.withUser(req, (u) => reply(200, userJson(u))));
    h.on('POST', '/api/v1/users', (req) => this.createUser(req));
    h.on('POST', '/api/v1/users/:user', (req) =>
      this.withUser(
        req,
        (u) => (Object.assign(u.profile, (req.body as { profile?: object }).profile), reply(200, userJson(u))),
      ),
    );
    h.on('POST', '/api/v1/users/:user/lifecycle/:transition', (req) =>
      this.withUser(req, (u) => this.lifecycle(u, req.params.transition!)),
    );
    h.on('DELETE', '/api/v1/users/:user', (req) => this.withUser(req, (u) => this.deleteUser(u)));
    h.on('DELETE', '/api/v1/users/:user/sessions', (req) =>
      this.withUser(
        req,
        (u) => (u.sessionClears.push({ oauthTokens: req.url.searchParams.get('oauthTokens') === 'true' }), reply(204)),
      ),
    );
  }

  private entitlementRoutes(): void {
    const h = this.http;
    h.on('GET', '/api/v1/users/:user/groups', (req) =>
      this.withUser(req, (u) =>
        this.page(req, [...this.groups.values()].filter((g) => g.members.has(u.id)).map(groupJson)),
      ),
    );
    h.on('PUT', '/api/v1/groups/:group/users/:user', (req) =>
      this.withGroupMember(req, (g, u) => (g.members.add(u.id), reply(204))),
    );
    h.on('DELETE', '/api/v1/groups/:group/users/:user', (req) =>
      this.withGroupMember(req, (g, u) => (g.members.delete(u.id), reply(204))),
    );
    h.on('GET', '/api/v1/users/:user/roles', (req) =>
      this.withUser(req, (u) =>
        this.page(
          req,
          u.roles.map((r) => ({ assignmentType: 'USER', ...r, label: r.type, status: 'ACTIVE' })),
        ),
      ),
    );
    h.on('POST', '/api/v1/users/:user/roles', (req) =>
      this.withUser(req, (u) => this.assignRole(u, (req.body as { type: string }).type)),
    );
    h.on('DELETE', '/api/v1/users/:user/roles/:role', (req) =>
      this.withUser(req, (u) => this.unassignRole(u, req.params.role!)),
    );
    h.on('GET', '/api/v1/users/:user/appLinks', (req) =>
      this.withUser(req, (u) =>
        reply(
          200,
          [...this.apps.values()]
            .filter((a) => a.assigned.has(u.id))
            .map((a) => ({ id: randomUUID(), appInstanceId: a.id, label: a.label, appName: a.label.toLowerCase() })),
        ),
      ),
    );
    h.on('POST', '/api/v1/apps/:app/users', (req) =>
      this.withApp(req, (a) => this.assignApp(a, (req.body as { id: string }).id)),
    );
    h.on('DELETE', '/api/v1/apps/:app/users/:user', (req) =>
      this.withApp(req, (a) =>
        a.assigned.delete(req.params.user!) ? reply(204) : this.http.fail(404, 'Not found: app user'),
      ),
    );
  }

  private credentialRoutes(): void {
    const h = this.http;
    h.on('GET', '/api/v1/api-tokens', (req) => this.page(req, [...this.apiTokens.values()].map(tokenJson)));
    h.on('DELETE', '/api/v1/api-tokens/:id', (req) =>
      this.apiTokens.delete(req.params.id!) ? reply(204) : this.http.fail(404, 'Not found: api token'),
    );
    h.on('GET', '/api/v1/users/:user/grants', (req) =>
      this.withUser(req, (u) =>
        this.page(
          req,
          u.grants.filter((g) => g.status === 'ACTIVE'),
        ),
      ),
    );
    h.on('DELETE', '/api/v1/users/:user/grants/:grant', (req) =>
      this.withUser(req, (u) => this.revokeGrant(u, req.params.grant!)),
    );
    h.on('GET', '/api/v1/apps', (req) => this.listApps(req));
    h.on('GET', '/api/v1/apps/:app', (req) => this.withApp(req, (a) => reply(200, appJson(a))));
    h.on('POST', '/api/v1/apps/:app/lifecycle/deactivate', (req) =>
      this.withApp(req, (a) => ((a.status = 'INACTIVE'), reply(200, {}))),
    );
    h.on('GET', '/api/v1/apps/:app/credentials/secrets', (req) =>
      this.withApp(req, (a) => reply(200, a.secrets.map(secretJson))),
    );
    h.on('POST', '/api/v1/apps/:app/credentials/secrets', (req) => this.withApp(req, (a) => this.createSecret(a)));
    h.on('POST', '/api/v1/apps/:app/credentials/secrets/:secret/lifecycle/deactivate', (req) =>
      this.withSecret(req, (_a, s) => ((s.status = 'INACTIVE'), reply(200, secretJson(s)))),
    );
    h.on('DELETE', '/api/v1/apps/:app/credentials/secrets/:secret', (req) =>
      this.withSecret(req, (a, s) => this.deleteSecret(a, s)),
    );
    h.on('GET', '/api/v1/users/:user/idps', (req) =>
      this.withUser(req, (u) =>
        reply(
          200,
          [...this.idpLinks].filter(([, links]) => links.has(u.id)).map(([id]) => ({ id, type: 'SAML2', name: id })),
        ),
      ),
    );
    h.on('GET', '/api/v1/idps/:idp/users/:user', (req) => {
      const externalId = this.idpLinks.get(req.params.idp!)?.get(req.params.user!);
      return externalId ? reply(200, { id: req.params.user, externalId }) : this.http.fail(404, 'Not found: idp user');
    });
    h.on('DELETE', '/api/v1/idps/:idp/users/:user', (req) =>
      this.idpLinks.get(req.params.idp!)?.delete(req.params.user!)
        ? reply(204)
        : this.http.fail(404, 'Not found: idp user'),
    );
  }

  /**
   * Okta cursor paging: `after` is opaque to clients (here an offset); the next link keeps the request's
   * other parameters (a filter). Rate limits apply per listing endpoint.
   */
  private page(req: FakeRequest, items: unknown[]): FakeReply {
    const throttled = this.rateLimited(req.url.pathname);
    if (throttled) return throttled;
    const limit = Math.min(this.pageSize, Number(req.url.searchParams.get('limit') ?? this.pageSize));
    const { page, next } = pageOf(items, Number(req.url.searchParams.get('after') ?? 0), limit);
    const links = [`<${req.url.href}>; rel="self"`];
    if (next !== undefined) {
      const nextUrl = new URL(req.url);
      nextUrl.searchParams.set('limit', String(limit));
      nextUrl.searchParams.set('after', String(next));
      links.push(`<${nextUrl.href}>; rel="next"`);
    }
    return reply(200, page, { Link: links.join(', ') });
  }

  private rateLimited(path: string): FakeReply | undefined {
    const quota = this.rateLimits.get(path);
    if (!quota || quota.reset <= Date.now() / 1000) return undefined;
    if (quota.remaining > 0) {
      quota.remaining -= 1;
      return undefined;
    }
    return {
      ...this.http.fail(429, OKTA_ERRORS[429]![1]),
      headers: {
        'X-Rate-Limit-Limit': String(quota.limit),
        'X-Rate-Limit-Remaining': '0',
        'X-Rate-Limit-Reset': String(quota.reset),
      },
    };
  }

  /** Okta's app filter takes one `eq` expression here (name or status); any other is refused, not ignored. */
  private listApps(req: FakeRequest): FakeReply {
    const filter = req.url.searchParams.get('filter');
    const match = filter === null ? undefined : /^(name|status) eq "([^"]*)"$/.exec(filter);
    if (filter !== null && !match) return this.http.fail(400, 'Api validation failed: filter');
    const apps = [...this.apps.values()].filter((a) => !match || a[match[1] as 'name' | 'status'] === match[2]);
    return this.page(req, apps.map(appJson));
  }

  private withUser(req: FakeRequest, then: (user: FakeOktaUser) => FakeReply): FakeReply {
    const user = this.users.get(req.params.user!) ?? this.userByLogin(req.params.user!);
    return user ? then(user) : this.http.fail(404, `Not found: Resource not found: ${req.params.user} (User)`);
  }

  private withApp(req: FakeRequest, then: (app: FakeOktaApp) => FakeReply): FakeReply {
    const app = this.apps.get(req.params.app!);
    return app ? then(app) : this.http.fail(404, `Not found: Resource not found: ${req.params.app} (AppInstance)`);
  }

  private withSecret(
    req: FakeRequest,
    then: (app: FakeOktaApp, secret: FakeOktaApp['secrets'][number]) => FakeReply,
  ): FakeReply {
    return this.withApp(req, (app) => {
      const secret = app.secrets.find((s) => s.id === req.params.secret);
      return secret ? then(app, secret) : this.http.fail(404, 'Not found: client secret');
    });
  }

  private withGroupMember(req: FakeRequest, then: (group: FakeOktaGroup, user: FakeOktaUser) => FakeReply): FakeReply {
    const group = this.groups.get(req.params.group!);
    if (!group) return this.http.fail(404, 'Not found: Resource not found (UserGroup)');
    if (group.type !== 'OKTA_GROUP') return this.http.fail(403, `Cannot modify the members of a ${group.type} group`);
    return this.withUser(req, (user) => then(group, user));
  }

  private createUser(req: FakeRequest): FakeReply {
    const body = req.body as { profile?: FakeOktaUser['profile']; groupIds?: string[] };
    const profile = body.profile;
    if (!profile?.login || !profile.email || !profile.firstName || !profile.lastName)
      return this.http.fail(400, 'Api validation failed: profile');
    if (this.userByLogin(profile.login))
      return this.http.fail(
        400,
        'Api validation failed: login: An object with this field already exists in the current organization',
      );
    if (body.groupIds?.some((id) => !this.groups.has(id)))
      return this.http.fail(400, 'Api validation failed: groupIds');
    const user = this.addUser(profile.login, {
      status: req.url.searchParams.get('activate') === 'false' ? 'STAGED' : 'ACTIVE',
    });
    user.profile = { ...profile };
    for (const id of body.groupIds ?? []) this.groups.get(id)!.members.add(user.id);
    return reply(200, userJson(user));
  }

  private lifecycle(user: FakeOktaUser, transition: string): FakeReply {
    const allowed: Record<string, [FakeOktaUser['status'][], FakeOktaUser['status']]> = {
      deactivate: [['STAGED', 'PROVISIONED', 'ACTIVE', 'SUSPENDED', 'LOCKED_OUT'], 'DEPROVISIONED'],
      activate: [['STAGED', 'DEPROVISIONED'], 'ACTIVE'],
      suspend: [['ACTIVE'], 'SUSPENDED'],
      unsuspend: [['SUSPENDED'], 'ACTIVE'],
    };
    const rule = allowed[transition];
    if (!rule) return this.http.fail(404, 'Not found: lifecycle operation');
    if (!rule[0].includes(user.status))
      return this.http.fail(400, `Cannot ${transition} a user in status ${user.status}`);
    user.status = rule[1];
    return reply(200, {});
  }

  private deleteUser(user: FakeOktaUser): FakeReply {
    if (user.status !== 'DEPROVISIONED')
      return this.lifecycle(user, 'deactivate').status === 200 ? reply(204) : this.http.fail(400, 'cannot deactivate');
    this.users.delete(user.id);
    for (const group of this.groups.values()) group.members.delete(user.id);
    return reply(204);
  }

  private assignRole(user: FakeOktaUser, type: string): FakeReply {
    if (user.roles.some((r) => r.type === type))
      return this.http.fail(409, 'The role specified is already assigned to the user.');
    const role = { id: `ra${randomUUID().slice(0, 12)}`, type };
    user.roles.push(role);
    return reply(201, role);
  }

  private unassignRole(user: FakeOktaUser, roleId: string): FakeReply {
    if (user.roles.some((r) => r.id === roleId && r.assignmentType === 'GROUP'))
      return this.http.fail(403, 'The role is assigned through a group');
    const before = user.roles.length;
    user.roles = user.roles.filter((r) => r.id !== roleId);
    return before === user.roles.length ? this.http.fail(404, 'Not found: role assignment') : reply(204);
  }

  private assignApp(app: FakeOktaApp, userId: string): FakeReply {
    if (!this.users.has(userId)) return this.http.fail(404, 'Not found: user');
    app.assigned.add(userId);
    return reply(200, { id: userId, scope: 'USER', status: 'ACTIVE' });
  }

  private revokeGrant(user: FakeOktaUser, grantId: string): FakeReply {
    const grant = user.grants.find((g) => g.id === grantId && g.status === 'ACTIVE');
    if (!grant) return this.http.fail(404, 'Not found: grant');
    grant.status = 'REVOKED';
    return reply(204);
  }

  private createSecret(app: FakeOktaApp): FakeReply {
    if (app.secrets.length >= 2)
      return this.http.fail(400, 'Api validation failed: You can only have two secrets at a time');
    const secret = {
      id: `ocs${randomUUID().slice(0, 12)}`,
      status: 'ACTIVE' as const,
      created: new Date().toISOString(),
      client_secret: randomUUID() + randomUUID(),
    };
    app.secrets.push(secret);
    return reply(201, { ...secretJson(secret), client_secret: secret.client_secret });
  }

  private deleteSecret(app: FakeOktaApp, secret: FakeOktaApp['secrets'][number]): FakeReply {
    if (secret.status === 'ACTIVE')
      return this.http.fail(400, 'Api validation failed: Cannot delete an active client secret');
    app.secrets = app.secrets.filter((s) => s !== secret);
    return reply(204);
  }
}

function userJson(u: FakeOktaUser) {
  return { id: u.id, status: u.status, lastLogin: u.lastLogin ?? null, profile: u.profile, _links: {} };
}

function appJson(a: FakeOktaApp) {
  const oidc = a.name === 'oidc_client';
  return {
    id: a.id,
    name: a.name,
    label: a.label,
    status: a.status,
    signOnMode: oidc ? 'OPENID_CONNECT' : 'SAML_2_0',
    settings: oidc ? { oauthClient: { application_type: a.applicationType ?? 'web' } } : {},
  };
}

/** Okta's token metadata: a token expires 30 days (its tokenWindow) after its last use; here, after its creation. */
function tokenJson(t: FakeOktaApiToken) {
  const expiresAt = new Date(Date.parse(t.created) + 30 * 86_400_000).toISOString();
  return { ...t, clientName: t.clientName ?? 'Okta API', tokenWindow: 'PT720H', expiresAt, lastUpdated: t.created };
}

function groupJson(g: FakeOktaGroup) {
  return { id: g.id, type: g.type, profile: { name: g.name } };
}

/** Listed secrets show a hash, never the value. */
function secretJson(s: FakeOktaApp['secrets'][number]) {
  return { id: s.id, status: s.status, created: s.created, lastUpdated: s.created, secret_hash: `hash-${s.id}` };
}
