/**
 * CONTRACT FAKE of a SCIM 2.0 service provider, for tests only. It follows
 * RFC 7643 (User and Group resources, read-only User.groups, the enterprise User
 * extension with employeeNumber and manager) and RFC 7644 (filter `attr eq "value"`,
 * 1-based startIndex/count paging in a ListResponse with totalResults, startIndex and
 * itemsPerPage, a page capped at maxPageSize whatever `count` asks,
 * POST 201 / 409 uniqueness, PUT replace, PATCH with the PatchOp message
 * including `members[value eq "..."]` paths, DELETE 204 then 404,
 * application/scim+json, errors in the Error schema, 429 with Retry-After).
 * Bearer token required (401 otherwise). `userGroupsAttribute = false` models
 * providers that omit User.groups (memberships then come from Groups?filter).
 */
import { randomUUID } from 'node:crypto';
import { HttpFake, pageOf, reply, type FakeReply, type FakeRequest } from './http-fake';

const SCIM_JSON = 'application/scim+json';
const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export interface FakeScimUser {
  id: string;
  userName: string;
  externalId?: string;
  displayName?: string;
  active: boolean;
  emails?: { value: string; primary?: boolean; type?: string }[];
  /** The enterprise extension; manager is the manager's user id. */
  enterprise?: { employeeNumber?: string; manager?: string };
}

export interface FakeScimGroup {
  id: string;
  displayName: string;
  members: Set<string>;
}

interface PatchBody {
  schemas?: string[];
  Operations?: { op: string; path?: string; value?: unknown }[];
}

export class FakeScim {
  readonly users = new Map<string, FakeScimUser>();
  readonly groups = new Map<string, FakeScimGroup>();
  userGroupsAttribute = true;
  /** Which member-removal PATCH form the provider accepts: the RFC path filter, or a value list (as some apps do). */
  memberRemoval: 'filter' | 'value' = 'filter';
  /** Largest page the provider returns, whatever `count` asks (RFC 7644 lets providers cap it). */
  maxPageSize = 2;
  readonly http: HttpFake;
  /** Effects applied, counted when the state changed (not per call): `deactivate:<user id>`, `leave:<group id>:<user id>`. */
  readonly applied = new Map<string, number>();

  constructor(readonly token: string) {
    this.http = new HttpFake({
      authorized: (headers) => headers.authorization === `Bearer ${token}`,
      contentType: SCIM_JSON,
      errorBody: (status, detail) => ({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: String(status),
        detail,
      }),
    });
  }

  get baseUrl(): string {
    return `${this.http.baseUrl}/scim/v2`;
  }

  async start(): Promise<this> {
    await this.http.start();
    const h = this.http;
    h.on('GET', '/scim/v2/Users', (req) => this.list(req, [...this.users.values()], (u) => this.userJson(u)));
    h.on('POST', '/scim/v2/Users', (req) => this.scimBody(req, () => this.createUser(req.body as FakeScimUser)));
    h.on('GET', '/scim/v2/Users/:id', (req) => this.withUser(req, (u) => reply(200, this.userJson(u))));
    h.on('PUT', '/scim/v2/Users/:id', (req) =>
      this.scimBody(req, () => this.withUser(req, (u) => this.replaceUser(u, req.body as FakeScimUser))),
    );
    h.on('PATCH', '/scim/v2/Users/:id', (req) =>
      this.scimBody(req, () => this.withUser(req, (u) => this.patchUser(u, req.body as PatchBody))),
    );
    h.on('DELETE', '/scim/v2/Users/:id', (req) => this.withUser(req, (u) => this.deleteUser(u)));
    h.on('GET', '/scim/v2/Groups', (req) => this.list(req, [...this.groups.values()], groupJson));
    h.on('PATCH', '/scim/v2/Groups/:id', (req) => this.scimBody(req, () => this.patchGroup(req)));
    return this;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  addUser(userName: string, init: Partial<Omit<FakeScimUser, 'id' | 'userName'>> = {}): FakeScimUser {
    const user: FakeScimUser = { id: randomUUID(), userName, active: true, ...init };
    this.users.set(user.id, user);
    return user;
  }

  addGroup(displayName: string, members: string[] = []): FakeScimGroup {
    const group: FakeScimGroup = { id: randomUUID(), displayName, members: new Set(members) };
    this.groups.set(group.id, group);
    return group;
  }

  userByName(userName: string): FakeScimUser | undefined {
    return [...this.users.values()].find((u) => u.userName.toLowerCase() === userName.toLowerCase());
  }

  /** Supports `<attribute> eq "<value>"` on top-level or dotted multi-valued attributes, as providers commonly do. */
  private list<T>(req: FakeRequest, all: T[], json: (resource: T) => Record<string, unknown>): FakeReply {
    const filter = req.url.searchParams.get('filter');
    // Unfiltered, only the page asked for is rendered (a 100,000-item benchmark pages through this fake).
    if (!filter) return this.listPage(req, all.length, (from, size) => all.slice(from, from + size).map(json));
    const parsed = /^([\w.]+) eq ("(?:[^"\\]|\\.)*")$/.exec(filter);
    if (!parsed)
      return reply(400, { ...(this.http.error(400, 'unsupported filter') as object), scimType: 'invalidFilter' });
    const [attribute, literal] = [parsed[1]!, JSON.parse(parsed[2]!) as string];
    const matched = all
      .map(json)
      .filter((r) =>
        valuesAt(r, attribute).some((v) =>
          attribute === 'userName' ? v.toLowerCase() === literal.toLowerCase() : v === literal,
        ),
      );
    return this.listPage(req, matched.length, (from, size) => pageOf(matched, from, size).page);
  }

  private listPage(
    req: FakeRequest,
    totalResults: number,
    slice: (from: number, size: number) => Record<string, unknown>[],
  ): FakeReply {
    // §3.4.2.4: a startIndex below 1 is 1, a negative count is 0 (totalResults only).
    const startIndex = Math.max(1, Number(req.url.searchParams.get('startIndex') ?? 1));
    const count = Math.max(
      0,
      Math.min(this.maxPageSize, Number(req.url.searchParams.get('count') ?? this.maxPageSize)),
    );
    const page = slice(startIndex - 1, count);
    return reply(200, {
      schemas: [LIST_RESPONSE],
      totalResults,
      startIndex,
      itemsPerPage: page.length,
      Resources: page,
    });
  }

  /** RFC 7644 §3.1: requests with a body are application/scim+json. */
  private scimBody(req: FakeRequest, then: () => FakeReply): FakeReply {
    return req.headers['content-type']?.startsWith(SCIM_JSON)
      ? then()
      : this.http.fail(415, 'expected application/scim+json');
  }

  private withUser(req: FakeRequest, then: (user: FakeScimUser) => FakeReply): FakeReply {
    const user = this.users.get(req.params.id!);
    return user ? then(user) : this.http.fail(404, 'Resource not found');
  }

  private createUser(body: FakeScimUser): FakeReply {
    if (!body.userName) return this.http.fail(400, 'userName is required');
    if (this.userByName(body.userName))
      return reply(409, { ...(this.http.error(409, 'userName is taken') as object), scimType: 'uniqueness' });
    const user = this.addUser(body.userName, {
      externalId: body.externalId,
      displayName: body.displayName,
      emails: body.emails,
      active: body.active ?? true,
    });
    return reply(201, this.userJson(user), { Location: `${this.baseUrl}/Users/${user.id}` });
  }

  private replaceUser(user: FakeScimUser, body: FakeScimUser): FakeReply {
    if (body.userName !== user.userName) return this.http.fail(400, 'userName mismatch');
    Object.assign(user, {
      displayName: body.displayName,
      emails: body.emails,
      active: body.active ?? user.active,
      externalId: body.externalId,
    });
    return reply(200, this.userJson(user));
  }

  private patchUser(user: FakeScimUser, body: PatchBody): FakeReply {
    if (!body.schemas?.includes(PATCH_OP)) return this.http.fail(400, 'not a PatchOp message');
    for (const op of body.Operations ?? []) {
      if (op.op.toLowerCase() !== 'replace' || !['active', 'displayName'].includes(op.path ?? ''))
        return this.http.fail(400, `unsupported patch ${op.op} ${op.path}`);
      if (op.path === 'active' && user.active && op.value === false) this.count(`deactivate:${user.id}`);
      Object.assign(user, { [op.path!]: op.value });
    }
    return reply(200, this.userJson(user));
  }

  private deleteUser(user: FakeScimUser): FakeReply {
    this.users.delete(user.id);
    for (const group of this.groups.values()) group.members.delete(user.id);
    return reply(204);
  }

  private patchGroup(req: FakeRequest): FakeReply {
    const group = this.groups.get(req.params.id!);
    if (!group) return this.http.fail(404, 'Resource not found');
    const body = req.body as PatchBody;
    if (!body.schemas?.includes(PATCH_OP)) return this.http.fail(400, 'not a PatchOp message');
    for (const op of body.Operations ?? []) {
      const removal = /^members\[value eq "([^"]+)"\]$/.exec(op.path ?? '');
      const listed = (op.value as { value: string }[] | undefined)?.map((m) => m.value) ?? [];
      if (op.op === 'add' && op.path === 'members') listed.forEach((id) => group.members.add(id));
      else if (op.op === 'remove' && removal && this.memberRemoval === 'filter') this.leave(group, removal[1]!);
      else if (op.op === 'remove' && op.path === 'members' && this.memberRemoval === 'value')
        listed.forEach((id) => this.leave(group, id));
      else return reply(400, { ...(this.http.error(400, 'unsupported patch') as object), scimType: 'invalidPath' });
    }
    return reply(204);
  }

  private leave(group: FakeScimGroup, userId: string): void {
    if (group.members.delete(userId)) this.count(`leave:${group.id}:${userId}`);
  }

  private count(effect: string): void {
    this.applied.set(effect, (this.applied.get(effect) ?? 0) + 1);
  }

  private userJson({ enterprise, ...u }: FakeScimUser): Record<string, unknown> {
    const groups = this.userGroupsAttribute
      ? {
          groups: [...this.groups.values()]
            .filter((g) => g.members.has(u.id))
            .map((g) => ({ value: g.id, display: g.displayName })),
        }
      : {};
    const manager = enterprise?.manager ? this.users.get(enterprise.manager) : undefined;
    const extension = enterprise && {
      [ENTERPRISE_USER]: {
        employeeNumber: enterprise.employeeNumber,
        manager: manager && {
          value: manager.id,
          $ref: `${this.baseUrl}/Users/${manager.id}`,
          displayName: manager.displayName,
        },
      },
    };
    const schemas = extension ? [USER_SCHEMA, ENTERPRISE_USER] : [USER_SCHEMA];
    return {
      schemas,
      ...u,
      ...groups,
      ...extension,
      meta: { resourceType: 'User', location: `${this.baseUrl}/Users/${u.id}` },
    };
  }
}

function groupJson(g: FakeScimGroup): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
    id: g.id,
    displayName: g.displayName,
    members: [...g.members].map((value) => ({ value })),
  };
}

/** String values at a (possibly dotted, multi-valued) attribute path. */
function valuesAt(resource: unknown, path: string): string[] {
  const flat = (values: unknown[]): unknown[] => values.flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v]));
  let current: unknown[] = [resource];
  for (const key of path.split('.'))
    current = flat(current).map((v) => (v as Record<string, unknown> | undefined)?.[key]);
  return flat(current).filter((v): v is string => typeof v === 'string');
}
