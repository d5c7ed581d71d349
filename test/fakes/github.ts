/**
 * CONTRACT FAKE of the GitHub REST API (version 2022-11-28), not an emulator. It follows
 * the published docs for one organisation: org members (GET /orgs/{org}/members: active
 * members only, not pending invitees), org memberships (GET/PUT/DELETE
 * /orgs/{org}/memberships/{username}), invitations, outside collaborators, teams and team
 * memberships, repositories and deploy keys (with added_by / last_used), the fine-grained
 * PAT grants an org approved (/orgs/{org}/personal-access-tokens, revoke by POST
 * {action:"revoke"}), and SAML SSO credential authorizations. Bearer token auth (401 "Bad
 * credentials"), page/per_page paging with Link rel="next", 404 for missing resources
 * (so a repeat delete is 404), GitHub's { message, documentation_url } error body.
 * GitHub App auth: POST /app/installations/{id}/access_tokens takes an RS256 app JWT
 * (iss = app id, exp at most 10 minutes) and returns an installation token; the
 * fine-grained PAT endpoints answer 403 to anything but an installation token, as the
 * docs say only GitHub Apps may call them.
 * Rate limits are injected with failNext (403/429 with x-ratelimit-* or retry-after).
 */
import { createVerify, randomUUID } from 'node:crypto';
import { HttpFake, pageOf, reply, type FakeReply, type FakeRequest } from './http-fake';

export interface FakeDeployKey {
  id: number;
  key: string;
  title: string;
  read_only: boolean;
  created_at: string;
  last_used: string | null;
  added_by: string;
}

export class GitHubFake {
  readonly http: HttpFake;
  readonly users = new Map<string, number>();
  readonly members = new Map<string, { state: 'active' | 'pending'; role: 'admin' | 'member' }>();
  readonly invitations: { invitee_id: number; role: string; team_ids: number[] }[] = [];
  readonly outsideCollaborators = new Set<string>();
  readonly teams = new Map<string, { id: number; slug: string; name: string; members: Set<string> }>();
  readonly repos = new Map<string, FakeDeployKey[]>();
  readonly fineGrainedGrants: {
    id: number;
    owner: { login: string };
    token_name: string;
    token_expired: boolean;
    token_expires_at: string | null;
    access_granted_at: string;
    token_last_used_at: string | null;
  }[] = [];
  readonly credentialAuthorizations: {
    login: string;
    credential_id: number;
    credential_type: string;
    credential_authorized_at: string;
    credential_accessed_at: string | null;
    authorized_credential_title: string | null;
  }[] = [];
  /** An org without SAML SSO answers 404 on credential-authorizations. */
  samlSso = true;
  /** Small pages so clients must follow Link rel="next". */
  pageSize = 2;
  private nextId = 1000;

  /** Installation tokens issued to the GitHub App. */
  readonly installationTokens = new Set<string>();

  constructor(
    readonly org: string,
    private readonly token: string,
    private readonly app?: { appId: string; installationId: string; publicKeyPem: string },
  ) {
    this.http = new HttpFake({
      authorized: (h, path) => {
        const bearer = String(h.authorization).replace(/^(Bearer|token) /, '');
        if (path.startsWith('/app/')) return this.validAppJwt(bearer);
        return bearer === token || this.installationTokens.has(bearer);
      },
      errorBody: (status, message) => ({
        message: status === 401 ? 'Bad credentials' : message,
        documentation_url: 'https://docs.github.com/rest',
        status: String(status),
      }),
    });
    this.routes();
  }

  start(): Promise<HttpFake> {
    return this.http.start();
  }

  addUser(login: string, membership?: { role: 'admin' | 'member' }): void {
    this.users.set(login, this.nextId++);
    if (membership) this.members.set(login, { state: 'active', ...membership });
  }

  addTeam(slug: string, members: string[] = []): void {
    this.teams.set(slug, { id: this.nextId++, slug, name: slug.replace(/-/g, ' '), members: new Set(members) });
  }

  addDeployKey(repo: string, title: string, addedBy: string): FakeDeployKey {
    const key = {
      id: this.nextId++,
      key: `ssh-ed25519 AAAA${title}`,
      title,
      read_only: true,
      created_at: '2025-01-02T03:04:05Z',
      last_used: null,
      added_by: addedBy,
    };
    this.repos.set(repo, [...(this.repos.get(repo) ?? []), key]);
    return key;
  }

  addFineGrainedGrant(login: string, name: string): number {
    const id = this.nextId++;
    this.fineGrainedGrants.push({
      id,
      owner: { login },
      token_name: name,
      token_expired: false,
      token_expires_at: '2026-02-01T00:00:00Z',
      access_granted_at: '2025-02-01T00:00:00Z',
      token_last_used_at: '2025-03-01T00:00:00Z',
    });
    return id;
  }

  addCredentialAuthorization(login: string, type: 'personal access token' | 'SSH key', title: string): number {
    const id = this.nextId++;
    this.credentialAuthorizations.push({
      login,
      credential_id: id,
      credential_type: type,
      credential_authorized_at: '2025-01-15T00:00:00Z',
      credential_accessed_at: null,
      authorized_credential_title: title,
    });
    return id;
  }

  private validAppJwt(jwt: string): boolean {
    const [header, claims, signature] = jwt.split('.');
    if (!this.app || !header || !claims || !signature) return false;
    const valid = createVerify('RSA-SHA256')
      .update(`${header}.${claims}`)
      .verify(this.app.publicKeyPem, signature, 'base64url');
    const c = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { iss: string; iat: number; exp: number };
    const now = Date.now() / 1000;
    return valid && String(c.iss) === this.app.appId && c.exp > now && c.exp - c.iat <= 600;
  }

  private byApp(req: FakeRequest): boolean {
    return this.installationTokens.has(String(req.headers.authorization).replace(/^Bearer /, ''));
  }

  /** One page of a listing, with GitHub's Link header (rel="next" and rel="last"). */
  private paged<T>(req: FakeRequest, items: readonly T[]): FakeReply {
    const perPage = Math.min(Number(req.url.searchParams.get('per_page') ?? 30), this.pageSize);
    const pageNo = Number(req.url.searchParams.get('page') ?? 1);
    const { page, next } = pageOf(items, (pageNo - 1) * perPage, perPage);
    if (next === undefined) return reply(200, page);
    const link = (n: number) => {
      const url = new URL(req.url);
      url.searchParams.set('page', String(n));
      url.searchParams.set('per_page', String(perPage));
      return url.toString();
    };
    return reply(200, page, {
      Link: `<${link(pageNo + 1)}>; rel="next", <${link(Math.ceil(items.length / perPage))}>; rel="last"`,
    });
  }

  private notFound(): FakeReply {
    return this.http.fail(404, 'Not Found');
  }

  private routes(): void {
    const orgRoute = (method: string, path: string, handler: (req: FakeRequest) => FakeReply) =>
      this.http.on(method, `/orgs/:org${path}`, (req) =>
        req.params.org === this.org ? handler(req) : this.notFound(),
      );

    this.http.on('POST', '/app/installations/:id/access_tokens', ({ params }) => {
      if (params.id !== this.app?.installationId) return this.notFound();
      const token = `ghs_${randomUUID().replace(/-/g, '')}`;
      this.installationTokens.add(token);
      return reply(201, {
        token,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        permissions: { members: 'write', organization_personal_access_tokens: 'write' },
      });
    });
    this.http.on('GET', '/users/:username', ({ params }) =>
      this.users.has(params.username!)
        ? reply(200, { login: params.username, id: this.users.get(params.username!) })
        : this.notFound(),
    );
    orgRoute('GET', '/memberships/:username', ({ params }) => {
      const m = this.members.get(params.username!);
      return m
        ? reply(200, { ...m, organization: { login: this.org }, user: { login: params.username } })
        : this.notFound();
    });
    orgRoute('PUT', '/memberships/:username', ({ params, body }) => {
      const role = (body as { role?: 'admin' | 'member' }).role ?? 'member';
      const m = this.members.get(params.username!) ?? { state: 'pending' as const, role };
      m.role = role;
      this.members.set(params.username!, m);
      return reply(200, m);
    });
    orgRoute('DELETE', '/memberships/:username', ({ params }) => {
      if (!this.members.delete(params.username!)) return this.notFound();
      for (const team of this.teams.values()) team.members.delete(params.username!);
      return reply(204);
    });
    orgRoute('POST', '/invitations', ({ body }) => {
      const b = body as { invitee_id?: number; role?: string; team_ids?: number[] };
      const login = [...this.users].find(([, id]) => id === b.invitee_id)?.[0];
      if (!login) return this.http.fail(422, 'Validation Failed');
      if (this.members.has(login)) return this.http.fail(422, 'Invitee is already a part of this organization');
      this.invitations.push({ invitee_id: b.invitee_id!, role: b.role ?? 'direct_member', team_ids: b.team_ids ?? [] });
      this.members.set(login, { state: 'pending', role: 'member' });
      return reply(201, { id: this.nextId++, login, role: b.role });
    });
    orgRoute('GET', '/members', (req) =>
      this.paged(
        req,
        [...this.members]
          .filter(([, m]) => m.state === 'active')
          .map(([login]) => ({ login, id: this.users.get(login), type: 'User', site_admin: false })),
      ),
    );
    orgRoute('GET', '/outside_collaborators', (req) =>
      this.paged(
        req,
        [...this.outsideCollaborators].map((login) => ({ login, id: this.users.get(login) })),
      ),
    );
    orgRoute('DELETE', '/outside_collaborators/:username', ({ params }) =>
      this.outsideCollaborators.delete(params.username!) ? reply(204) : this.notFound(),
    );
    orgRoute('GET', '/teams', (req) =>
      this.paged(
        req,
        [...this.teams.values()].map(({ id, slug, name }) => ({ id, slug, name })),
      ),
    );
    orgRoute('GET', '/teams/:slug', ({ params }) => {
      const team = this.teams.get(params.slug!);
      return team ? reply(200, { id: team.id, slug: team.slug, name: team.name }) : this.notFound();
    });
    orgRoute('GET', '/teams/:slug/memberships/:username', ({ params }) =>
      this.teams.get(params.slug!)?.members.has(params.username!)
        ? reply(200, { state: 'active', role: 'member' })
        : this.notFound(),
    );
    orgRoute('PUT', '/teams/:slug/memberships/:username', ({ params }) => {
      const team = this.teams.get(params.slug!);
      if (!team || !this.users.has(params.username!)) return this.notFound();
      team.members.add(params.username!);
      return reply(200, { state: 'active', role: 'member' });
    });
    orgRoute('DELETE', '/teams/:slug/memberships/:username', ({ params }) =>
      this.teams.get(params.slug!)?.members.delete(params.username!) ? reply(204) : this.notFound(),
    );
    orgRoute('GET', '/repos', (req) =>
      this.paged(
        req,
        [...this.repos.keys()].map((name) => ({ name, full_name: `${this.org}/${name}` })),
      ),
    );
    this.http.on('GET', '/repos/:owner/:repo/keys', (req) => {
      const keys = req.params.owner === this.org ? this.repos.get(req.params.repo!) : undefined;
      return keys ? this.paged(req, keys) : this.notFound();
    });
    this.http.on('DELETE', '/repos/:owner/:repo/keys/:id', ({ params }) => {
      const keys = this.repos.get(params.repo!) ?? [];
      const at = keys.findIndex((k) => String(k.id) === params.id);
      if (params.owner !== this.org || at < 0) return this.notFound();
      keys.splice(at, 1);
      return reply(204);
    });
    orgRoute('GET', '/personal-access-tokens', (req) => {
      if (!this.byApp(req)) return this.http.fail(403, 'Resource not accessible by personal access token');
      const owners = req.url.searchParams.getAll('owner[]');
      return this.paged(
        req,
        this.fineGrainedGrants.filter((g) => owners.length === 0 || owners.includes(g.owner.login)),
      );
    });
    orgRoute('POST', '/personal-access-tokens/:id', (req) => {
      const { params, body } = req;
      if (!this.byApp(req)) return this.http.fail(403, 'Resource not accessible by personal access token');
      if ((body as { action?: string }).action !== 'revoke') return this.http.fail(422, 'Validation Failed');
      const at = this.fineGrainedGrants.findIndex((g) => String(g.id) === params.id);
      if (at < 0) return this.notFound();
      this.fineGrainedGrants.splice(at, 1);
      return reply(204);
    });
    orgRoute('GET', '/credential-authorizations', (req) => {
      if (!this.samlSso) return this.notFound();
      const login = req.url.searchParams.get('login');
      return this.paged(
        req,
        this.credentialAuthorizations.filter((a) => !login || a.login === login),
      );
    });
    orgRoute('DELETE', '/credential-authorizations/:id', ({ params }) => {
      const at = this.credentialAuthorizations.findIndex((a) => String(a.credential_id) === params.id);
      if (!this.samlSso || at < 0) return this.notFound();
      this.credentialAuthorizations.splice(at, 1);
      return reply(204);
    });
  }
}
