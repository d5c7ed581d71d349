/**
 * CONTRACT FAKE of Microsoft Graph v1.0 and the Microsoft identity platform token
 * endpoint, for tests only. It follows the published contract
 * (learn.microsoft.com/graph/api: user, group members $ref, memberOf, licenseDetails,
 * assignLicense, revokeSignInSessions, ownedObjects, owners $ref, application and
 * servicePrincipal addPassword/removePassword, directoryObjects, a user's
 * authentication/temporaryAccessPassMethods (at most one per user: a second POST is 400); listing
 * users (employeeId and signInActivity only when $select names them, $expand=manager),
 * applications and service principals; a user's appRoleAssignments (list, POST with principalId, resourceId and
 * appRoleId: 400 when that assignment exists, 404 when the resource service principal does not; DELETE by id);
 * directory role assignments (roleManagement/directory/roleAssignments:
 * listing requires $filter on principalId or roleDefinitionId, $expand=roleDefinition; DELETE by id);
 * paging via @odata.nextLink, which keeps the request's query, with $top as the page
 * size (1..999, 1..500 with signInActivity; the server may return fewer); errors as
 * { error: { code, message } }; throttling as 429 with Retry-After, on any page of a listing;
 * learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow for the token). Bearer tokens it issued are required (401 otherwise). It is not
 * Graph: only the behaviour the entra adapter relies on, with inspectable state.
 */
import { randomUUID } from 'node:crypto';
import { HttpFake, pageOf, reply, type FakeReply, type FakeRequest } from './http-fake';

export interface FakeUser {
  id: string;
  userPrincipalName: string;
  displayName?: string;
  mail?: string | null;
  accountEnabled: boolean;
  identities: { signInType: string; issuer: string; issuerAssignedId?: string }[];
  licenses: Set<string>;
  /** Licenses the user gets through a group (licenseAssignmentStates.assignedByGroup): not removable on the user. */
  inheritedLicenses: Map<string, string>;
  /** How many times revokeSignInSessions ran (Graph moves signInSessionsValidFromDateTime). */
  sessionRevocations: number;
  /** Temporary Access Pass methods; the pass itself is returned only by the POST that creates it. */
  temporaryAccessPasses: {
    id: string;
    temporaryAccessPass: string;
    createdDateTime: string;
    lifetimeInMinutes: number;
    isUsableOnce: boolean;
  }[];
  employeeId?: string;
  /** The manager's user id (the manager navigation property). */
  manager?: string;
  /** signInActivity.lastSignInDateTime; unset until a first sign-in. */
  lastSignInDateTime?: string;
}

export interface FakeAppCredential {
  keyId: string;
  displayName?: string;
  startDateTime: string;
  endDateTime: string;
  /** Kept only to check that the adapter's stored secret is the one Graph issued. */
  secretText?: string;
}

export interface FakeDirectoryObject {
  id: string;
  /** The application (client) id apps and service principals sign in with. */
  appId: string;
  type: 'application' | 'servicePrincipal' | 'group' | 'directoryRole';
  displayName: string;
  members: Set<string>;
  owners: Set<string>;
  accountEnabled: boolean;
  passwordCredentials: FakeAppCredential[];
  keyCredentials: FakeAppCredential[];
  groupTypes: string[];
  /** Service principals: Application (the default), ManagedIdentity, Legacy or SocialIdp. */
  servicePrincipalType?: string;
  /** Service principals: the tenant the application is registered in (Microsoft's for first-party ones). */
  appOwnerOrganizationId?: string;
}

/** A unifiedRoleAssignment of the directory provider: a role definition granted to a principal at a scope. */
export interface FakeRoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string;
}

/** An appRoleAssignment: an app role of a resource service principal granted to a user. */
export interface FakeAppRoleAssignment {
  id: string;
  principalId: string;
  resourceId: string;
  /** The app role's id; all zeros for the default access role of an app that declares none. */
  appRoleId: string;
}

const COLLECTIONS: Record<string, FakeDirectoryObject['type']> = {
  applications: 'application',
  servicePrincipals: 'servicePrincipal',
  groups: 'group',
  directoryRoles: 'directoryRole',
};

export class FakeGraph {
  readonly users = new Map<string, FakeUser>();
  readonly objects = new Map<string, FakeDirectoryObject>();
  readonly skus = new Set<string>();
  readonly clients = new Map<string, string>();
  /** unifiedRoleDefinition display names by id (built-in roles: the template id). */
  readonly roleDefinitions = new Map<string, string>();
  readonly roleAssignments = new Map<string, FakeRoleAssignment>();
  readonly appRoleAssignments = new Map<string, FakeAppRoleAssignment>();
  /** Items per page of a listing that sets no $top, small so tests page. */
  pageSize = 2;
  /** Largest page returned whatever $top asks (Graph pages server-side and may return fewer than $top). */
  maxPageSize = 999;
  private throttledPage?: { countdown: number; retryAfterSeconds: number };
  private readonly tokens = new Set<string>();
  readonly http = new HttpFake({
    authorized: (headers, path) =>
      path.endsWith('/oauth2/v2.0/token') || this.tokens.has(headers.authorization?.replace(/^Bearer /, '') ?? ''),
    errorBody: (status, message) => ({
      error: { code: status === 404 ? 'Request_ResourceNotFound' : `Http${status}`, message },
    }),
  });

  get graphUrl(): string {
    return `${this.http.baseUrl}/v1.0`;
  }

  async start(): Promise<this> {
    await this.http.start();
    this.routes();
    return this;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  /** Invalidates every access token issued so far (as when a tenant admin revokes the app's tokens). */
  revokeIssuedTokens(): void {
    this.tokens.clear();
  }

  /** The `nth` next listing page (1: the next) answers 429 with Retry-After, as Graph throttles mid-listing too. */
  throttlePage(nth: number, retryAfterSeconds: number): void {
    this.throttledPage = { countdown: nth, retryAfterSeconds };
  }

  addUser(upn: string, init: Partial<Omit<FakeUser, 'id' | 'userPrincipalName'>> = {}): FakeUser {
    const user: FakeUser = {
      id: randomUUID(),
      userPrincipalName: upn,
      accountEnabled: true,
      identities: [],
      licenses: new Set(),
      inheritedLicenses: new Map(),
      sessionRevocations: 0,
      temporaryAccessPasses: [],
      ...init,
    };
    this.users.set(user.id, user);
    return user;
  }

  addObject(
    type: FakeDirectoryObject['type'],
    displayName: string,
    init: Partial<FakeDirectoryObject> = {},
  ): FakeDirectoryObject {
    const object: FakeDirectoryObject = {
      id: randomUUID(),
      appId: randomUUID(),
      type,
      displayName,
      members: new Set(),
      owners: new Set(),
      accountEnabled: true,
      passwordCredentials: [],
      keyCredentials: [],
      groupTypes: [],
      ...init,
    };
    this.objects.set(object.id, object);
    return object;
  }

  /** Assigns a directory role (by display name; its definition is created on first use) to a user or service principal. */
  assignRole(principalId: string, roleName: string, directoryScopeId = '/'): FakeRoleAssignment {
    let roleDefinitionId = [...this.roleDefinitions].find(([, name]) => name === roleName)?.[0];
    if (!roleDefinitionId) this.roleDefinitions.set((roleDefinitionId = randomUUID()), roleName);
    const assignment: FakeRoleAssignment = { id: randomUUID(), principalId, roleDefinitionId, directoryScopeId };
    this.roleAssignments.set(assignment.id, assignment);
    return assignment;
  }

  /** Grants a user an app role of a resource service principal (the default access role unless named). */
  assignAppRole(principalId: string, resourceId: string, appRoleId = DEFAULT_ACCESS_ROLE): FakeAppRoleAssignment {
    const assignment: FakeAppRoleAssignment = { id: randomUUID(), principalId, resourceId, appRoleId };
    this.appRoleAssignments.set(assignment.id, assignment);
    return assignment;
  }

  private routes(): void {
    const h = this.http;
    h.on('POST', '/:tenant/oauth2/v2.0/token', (req) => this.token(req));
    h.on('GET', '/v1.0/users', (req) => this.listUsers(req));
    h.on('POST', '/v1.0/users', (req) => this.createUser(req.body as Record<string, unknown>));
    h.on('GET', '/v1.0/applications', (req) =>
      this.page(
        req,
        this.find((o) => o.type === 'application').map((o) => selected(req, objectJson(o))),
      ),
    );
    h.on('GET', '/v1.0/servicePrincipals', (req) =>
      this.page(
        req,
        this.find((o) => o.type === 'servicePrincipal').map((o) => selected(req, objectJson(o))),
      ),
    );
    h.on('GET', '/v1.0/roleManagement/directory/roleAssignments', (req) => this.listRoleAssignments(req));
    h.on('DELETE', '/v1.0/roleManagement/directory/roleAssignments/:id', (req) =>
      this.roleAssignments.delete(req.params.id!)
        ? reply(204)
        : this.http.fail(404, `Resource '${req.params.id}' does not exist`),
    );
    h.on('GET', '/v1.0/users/:user', (req) => this.withUser(req, (u) => reply(200, userJson(u))));
    h.on('PATCH', '/v1.0/users/:user', (req) =>
      this.withUser(req, (u) => this.patchUser(u, req.body as Partial<FakeUser>)),
    );
    h.on('DELETE', '/v1.0/users/:user', (req) => this.withUser(req, (u) => this.deleteUser(u)));
    h.on('POST', '/v1.0/users/:user/revokeSignInSessions', (req) =>
      this.withUser(req, (u) => (u.sessionRevocations++, reply(200, { value: true }))),
    );
    h.on('GET', '/v1.0/users/:user/memberOf', (req) =>
      this.withUser(req, (u) => this.page(req, this.find((o) => o.members.has(u.id)).map(objectJson))),
    );
    h.on('GET', '/v1.0/users/:user/ownedObjects', (req) =>
      this.withUser(req, (u) => this.page(req, this.find((o) => o.owners.has(u.id)).map(objectJson))),
    );
    h.on('GET', '/v1.0/users/:user/licenseDetails', (req) =>
      this.withUser(req, (u) =>
        this.page(
          req,
          [...new Set([...u.licenses, ...u.inheritedLicenses.keys()])].map((skuId) => ({
            id: skuId,
            skuId,
            skuPartNumber: `SKU-${skuId.slice(0, 4)}`,
          })),
        ),
      ),
    );
    const appRoles = '/v1.0/users/:user/appRoleAssignments';
    h.on('GET', appRoles, (req) =>
      this.withUser(req, (u) =>
        this.page(
          req,
          [...this.appRoleAssignments.values()].filter((a) => a.principalId === u.id).map((a) => this.appRoleJson(a)),
        ),
      ),
    );
    h.on('POST', appRoles, (req) => this.withUser(req, (u) => this.addAppRoleAssignment(u, req.body as AppRoleBody)));
    h.on('DELETE', `${appRoles}/:id`, (req) =>
      this.withUser(req, (u) =>
        this.appRoleAssignments.get(req.params.id!)?.principalId === u.id &&
        this.appRoleAssignments.delete(req.params.id!)
          ? reply(204)
          : this.http.fail(404, `Resource '${req.params.id}' does not exist`),
      ),
    );
    h.on('POST', '/v1.0/users/:user/assignLicense', (req) =>
      this.withUser(req, (u) => this.assignLicense(u, req.body as AssignLicense)),
    );
    const passes = '/v1.0/users/:user/authentication/temporaryAccessPassMethods';
    h.on('GET', passes, (req) =>
      this.withUser(req, (u) =>
        this.page(
          req,
          u.temporaryAccessPasses.map(({ temporaryAccessPass: _hidden, ...listed }) => listed),
        ),
      ),
    );
    h.on('POST', passes, (req) =>
      this.withUser(req, (u) =>
        this.addTemporaryAccessPass(u, req.body as { lifetimeInMinutes?: number; isUsableOnce?: boolean }),
      ),
    );
    h.on('DELETE', `${passes}/:method`, (req) =>
      this.withUser(req, (u) => {
        const before = u.temporaryAccessPasses.length;
        u.temporaryAccessPasses = u.temporaryAccessPasses.filter((p) => p.id !== req.params.method);
        return u.temporaryAccessPasses.length < before
          ? reply(204)
          : this.http.fail(404, `Resource '${req.params.method}' does not exist`);
      }),
    );
    h.on('GET', '/v1.0/directoryObjects/:id', (req) =>
      this.withObject(req.params.id!, undefined, (o) => reply(200, objectJson(o))),
    );
    h.on('GET', '/v1.0/:collection/:id', (req) =>
      this.withObject(req.params.id!, req.params.collection, (o) => reply(200, objectJson(o))),
    );
    h.on('PATCH', '/v1.0/:collection/:id', (req) =>
      this.withObject(req.params.id!, req.params.collection, (o) =>
        this.patchObject(o, req.body as Record<string, unknown>),
      ),
    );
    h.on('POST', '/v1.0/:collection/:id/addPassword', (req) =>
      this.withObject(req.params.id!, req.params.collection, (o) => this.addPassword(o, req.body as AddPassword)),
    );
    h.on('POST', '/v1.0/:collection/:id/removePassword', (req) =>
      this.withObject(req.params.id!, req.params.collection, (o) =>
        this.removePassword(o, req.body as { keyId: string }),
      ),
    );
    for (const relation of ['members', 'owners'] as const) {
      h.on('GET', `/v1.0/:collection/:id/${relation}`, (req) =>
        this.withObject(req.params.id!, req.params.collection, (o) =>
          this.page(
            req,
            [...o[relation]].map((id) => ({ '@odata.type': '#microsoft.graph.user', id })),
          ),
        ),
      );
      h.on('POST', `/v1.0/:collection/:id/${relation}/$ref`, (req) =>
        this.withObject(req.params.id!, req.params.collection, (o) =>
          this.addRef(o[relation], req.body as { '@odata.id'?: string }),
        ),
      );
      h.on('DELETE', `/v1.0/:collection/:id/${relation}/:member/$ref`, (req) =>
        this.withObject(req.params.id!, req.params.collection, (o) => this.removeRef(o, relation, req.params.member!)),
      );
    }
  }

  private token(req: FakeRequest): FakeReply {
    const form = req.body as Record<string, string>;
    if (form.grant_type !== 'client_credentials' || form.scope !== 'https://graph.microsoft.com/.default')
      return reply(400, { error: 'invalid_request' });
    if (!this.validClient(form.client_id ?? '', form.client_secret ?? ''))
      return reply(401, { error: 'invalid_client' });
    const accessToken = randomUUID();
    this.tokens.add(accessToken);
    return reply(200, { token_type: 'Bearer', expires_in: 3599, access_token: accessToken });
  }

  /** The test's own app registration, or an application's unexpired secret (as created by addPassword). */
  private validClient(clientId: string, secret: string): boolean {
    if (this.clients.get(clientId) === secret) return true;
    const app = this.find((o) => o.type === 'application' && o.appId === clientId)[0];
    return !!app?.passwordCredentials.some((c) => c.secretText === secret && Date.parse(c.endDateTime) > Date.now());
  }

  private userByKey(key: string): FakeUser | undefined {
    return (
      this.users.get(key) ??
      [...this.users.values()].find((u) => u.userPrincipalName.toLowerCase() === key.toLowerCase())
    );
  }

  private addTemporaryAccessPass(
    user: FakeUser,
    body: { lifetimeInMinutes?: number; isUsableOnce?: boolean },
  ): FakeReply {
    if (user.temporaryAccessPasses.length > 0)
      return this.http.fail(400, 'A user can only have one Temporary Access Pass');
    const pass = {
      id: randomUUID(),
      temporaryAccessPass: `TAP-${randomUUID().slice(0, 8)}`,
      createdDateTime: new Date().toISOString(),
      lifetimeInMinutes: body.lifetimeInMinutes ?? 60,
      isUsableOnce: body.isUsableOnce ?? false,
    };
    user.temporaryAccessPasses.push(pass);
    return reply(201, pass);
  }

  private withUser(req: FakeRequest, then: (user: FakeUser) => FakeReply): FakeReply {
    const user = this.userByKey(req.params.user!);
    return user ? then(user) : this.http.fail(404, `Resource '${req.params.user}' does not exist`);
  }

  private withObject(
    id: string,
    collection: string | undefined,
    then: (o: FakeDirectoryObject) => FakeReply,
  ): FakeReply {
    const object = this.objects.get(id);
    if (!object || (collection !== undefined && COLLECTIONS[collection] !== object.type))
      return this.http.fail(404, `Resource '${id}' does not exist`);
    return then(object);
  }

  private find(predicate: (o: FakeDirectoryObject) => boolean): FakeDirectoryObject[] {
    return [...this.objects.values()].filter(predicate);
  }

  private page(req: FakeRequest, items: unknown[]): FakeReply {
    if (this.throttledPage && --this.throttledPage.countdown === 0) {
      const retryAfter = String(this.throttledPage.retryAfterSeconds);
      this.throttledPage = undefined;
      return reply(429, this.http.error(429, 'Too many requests'), { 'Retry-After': retryAfter });
    }
    const query = req.url.searchParams;
    const top = query.has('$top') ? Number(query.get('$top')) : this.pageSize;
    const maxTop = query.get('$select')?.split(',').includes('signInActivity') ? 500 : 999;
    if (!Number.isInteger(top) || top < 1 || top > maxTop)
      return this.http.fail(400, `Invalid page size specified: must be between 1 and ${maxTop} inclusive`);
    const { page, next } = pageOf(items, Number(query.get('$skiptoken') ?? 0), Math.min(top, this.maxPageSize));
    if (next === undefined) return reply(200, { value: page });
    const nextLink = new URL(req.url);
    nextLink.searchParams.set('$skiptoken', String(next));
    return reply(200, { value: page, '@odata.nextLink': nextLink.toString() });
  }

  /** Users as $select and $expand=manager shape them. */
  private listUsers(req: FakeRequest): FakeReply {
    const expand = req.url.searchParams.get('$expand');
    const manager = expand === null ? undefined : /^manager(?:\(\$select=([\w,]+)\))?$/.exec(expand);
    if (expand !== null && !manager)
      return this.http.fail(400, `Could not find a navigation property for $expand ${expand}`);
    const managerFields = manager?.[1]?.split(',');
    const listed = (u: FakeUser) => {
      const signInActivity = {
        lastSignInDateTime: u.lastSignInDateTime ?? null,
        lastNonInteractiveSignInDateTime: null,
      };
      const json = selected(req, { ...userJson(u), employeeId: u.employeeId ?? null, signInActivity }, [
        'employeeId',
        'signInActivity',
      ]);
      const boss = manager && u.manager ? this.users.get(u.manager) : undefined;
      if (!boss) return json;
      return {
        ...json,
        manager: managerFields
          ? { '@odata.type': '#microsoft.graph.user', ...pick(userJson(boss), managerFields) }
          : userJson(boss),
      };
    };
    return this.page(req, [...this.users.values()].map(listed));
  }

  /** Graph requires a filter on principalId or roleDefinitionId (eq); $expand=roleDefinition inlines the definition. */
  private listRoleAssignments(req: FakeRequest): FakeReply {
    const filter = /^(principalId|roleDefinitionId) eq '([^']+)'$/.exec(req.url.searchParams.get('$filter') ?? '');
    if (!filter)
      return this.http.fail(400, 'The request must filter role assignments on principalId or roleDefinitionId');
    const expand = req.url.searchParams.get('$expand');
    if (expand !== null && expand !== 'roleDefinition')
      return this.http.fail(400, `Could not find a navigation property for $expand ${expand}`);
    const property = filter[1] as 'principalId' | 'roleDefinitionId';
    const listed = [...this.roleAssignments.values()]
      .filter((a) => a[property] === filter[2])
      .map((a) => {
        const json = { '@odata.type': '#microsoft.graph.unifiedRoleAssignment', ...a, appScopeId: null };
        if (!expand) return json;
        const roleDefinition = {
          '@odata.type': '#microsoft.graph.unifiedRoleDefinition',
          id: a.roleDefinitionId,
          templateId: a.roleDefinitionId,
          displayName: this.roleDefinitions.get(a.roleDefinitionId) ?? null,
        };
        return { ...json, roleDefinition };
      });
    return this.page(req, listed);
  }

  private createUser(body: Record<string, unknown>): FakeReply {
    const upn = body.userPrincipalName as string | undefined;
    const password = (body.passwordProfile as { password?: string } | undefined)?.password;
    if (!upn || !body.mailNickname || !body.displayName || !password)
      return this.http.fail(400, 'missing required property');
    if (this.userByKey(upn))
      return this.http.fail(400, 'Another object with the same value for property userPrincipalName already exists.');
    const user = this.addUser(upn, {
      displayName: body.displayName as string,
      mail: (body.mail as string | undefined) ?? null,
      accountEnabled: body.accountEnabled !== false,
    });
    return reply(201, userJson(user));
  }

  private patchUser(user: FakeUser, body: Partial<FakeUser>): FakeReply {
    for (const key of ['displayName', 'mail', 'accountEnabled', 'identities'] as const)
      if (key in body) Object.assign(user, { [key]: body[key] });
    return reply(204);
  }

  private deleteUser(user: FakeUser): FakeReply {
    this.users.delete(user.id);
    for (const object of this.objects.values()) object.members.delete(user.id);
    for (const assignment of this.roleAssignments.values())
      if (assignment.principalId === user.id) this.roleAssignments.delete(assignment.id);
    for (const assignment of this.appRoleAssignments.values())
      if (assignment.principalId === user.id) this.appRoleAssignments.delete(assignment.id);
    return reply(204);
  }

  private addAppRoleAssignment(user: FakeUser, body: AppRoleBody): FakeReply {
    if (body.principalId !== user.id) return this.http.fail(400, 'principalId must be the user in the path');
    if (this.objects.get(body.resourceId)?.type !== 'servicePrincipal')
      return this.http.fail(404, `Resource '${body.resourceId}' does not exist`);
    const exists = [...this.appRoleAssignments.values()].some(
      (a) => a.principalId === user.id && a.resourceId === body.resourceId && a.appRoleId === body.appRoleId,
    );
    if (exists) return this.http.fail(400, 'Permission being assigned already exists on the object');
    return reply(201, this.appRoleJson(this.assignAppRole(user.id, body.resourceId, body.appRoleId)));
  }

  private appRoleJson(a: FakeAppRoleAssignment) {
    return {
      id: a.id,
      appRoleId: a.appRoleId,
      principalId: a.principalId,
      principalType: 'User',
      resourceId: a.resourceId,
      resourceDisplayName: this.objects.get(a.resourceId)?.displayName,
    };
  }

  private assignLicense(user: FakeUser, body: AssignLicense): FakeReply {
    const adding = (body.addLicenses ?? []).map((l) => l.skuId);
    const removing = body.removeLicenses ?? [];
    if (adding.some((sku) => !this.skus.has(sku))) return this.http.fail(400, 'License not found');
    if (removing.some((sku) => !user.licenses.has(sku)))
      return this.http.fail(400, 'User does not have a corresponding license');
    for (const sku of adding) user.licenses.add(sku);
    for (const sku of removing) user.licenses.delete(sku);
    return reply(200, userJson(user));
  }

  private patchObject(object: FakeDirectoryObject, body: Record<string, unknown>): FakeReply {
    if ('accountEnabled' in body) object.accountEnabled = body.accountEnabled as boolean;
    return reply(204);
  }

  private addPassword(object: FakeDirectoryObject, body: AddPassword): FakeReply {
    const now = new Date();
    const credential: FakeAppCredential = {
      keyId: randomUUID(),
      displayName: body.passwordCredential?.displayName,
      startDateTime: now.toISOString(),
      endDateTime: new Date(now.getTime() + 2 * 365 * 86_400_000).toISOString(),
      secretText: randomUUID() + randomUUID(),
    };
    object.passwordCredentials.push(credential);
    return reply(200, { ...credential, hint: credential.secretText!.slice(0, 3) });
  }

  private removePassword(object: FakeDirectoryObject, body: { keyId: string }): FakeReply {
    const before = object.passwordCredentials.length;
    object.passwordCredentials = object.passwordCredentials.filter((c) => c.keyId !== body.keyId);
    return before === object.passwordCredentials.length
      ? this.http.fail(404, 'No password credential found with that keyId')
      : reply(204);
  }

  private removeRef(object: FakeDirectoryObject, relation: 'members' | 'owners', id: string): FakeReply {
    if (relation === 'members' && object.groupTypes.includes('DynamicMembership'))
      return this.http.fail(400, 'Insufficient privileges to complete the operation: dynamic membership');
    return object[relation].delete(id) ? reply(204) : this.http.fail(404, 'reference not found');
  }

  private addRef(set: Set<string>, body: { '@odata.id'?: string }): FakeReply {
    const id = /\/directoryObjects\/([^/]+)$/.exec(body['@odata.id'] ?? '')?.[1];
    if (!id || (!this.users.has(id) && !this.objects.has(id))) return this.http.fail(400, 'Invalid object identifier');
    if (set.has(id))
      return this.http.fail(
        400,
        'One or more added object references already exist for the following modified properties',
      );
    set.add(id);
    return reply(204);
  }
}

const DEFAULT_ACCESS_ROLE = '00000000-0000-0000-0000-000000000000';

interface AppRoleBody {
  principalId: string;
  resourceId: string;
  appRoleId: string;
}

interface AssignLicense {
  addLicenses?: { skuId: string }[];
  removeLicenses?: string[];
}

interface AddPassword {
  passwordCredential?: { displayName?: string };
}

function userJson(u: FakeUser) {
  const licenseAssignmentStates = [
    ...[...u.licenses].map((skuId) => ({ skuId, assignedByGroup: null, state: 'Active' })),
    ...[...u.inheritedLicenses].map(([skuId, groupId]) => ({ skuId, assignedByGroup: groupId, state: 'Active' })),
  ];
  return {
    '@odata.type': '#microsoft.graph.user',
    id: u.id,
    userPrincipalName: u.userPrincipalName,
    displayName: u.displayName,
    mail: u.mail ?? null,
    accountEnabled: u.accountEnabled,
    identities: u.identities,
    licenseAssignmentStates,
  };
}

/** A resource as $select shapes it (a selected property without a value is null); without $select, Graph's default set. */
function selected(
  req: FakeRequest,
  json: Record<string, unknown>,
  notByDefault: string[] = [],
): Record<string, unknown> {
  const select = req.url.searchParams.get('$select')?.split(',');
  return select
    ? pick(json, select)
    : Object.fromEntries(Object.entries(json).filter(([property]) => !notByDefault.includes(property)));
}

function pick(json: Record<string, unknown>, properties: string[]): Record<string, unknown> {
  return Object.fromEntries(properties.map((property) => [property, json[property] ?? null]));
}

/** Secrets are listed without their value, as Graph does (only a hint). */
function objectJson(o: FakeDirectoryObject) {
  const listed = (c: FakeAppCredential) => ({
    keyId: c.keyId,
    displayName: c.displayName ?? null,
    startDateTime: c.startDateTime,
    endDateTime: c.endDateTime,
    hint: c.secretText?.slice(0, 3) ?? null,
  });
  const credentials =
    o.type === 'application' || o.type === 'servicePrincipal'
      ? { passwordCredentials: o.passwordCredentials.map(listed), keyCredentials: o.keyCredentials.map(listed) }
      : {};
  const enabled = o.type === 'servicePrincipal' ? { accountEnabled: o.accountEnabled } : {};
  const group = o.type === 'group' ? { groupTypes: o.groupTypes } : {};
  const app = o.type === 'application' || o.type === 'servicePrincipal' ? { appId: o.appId } : {};
  const sp =
    o.type === 'servicePrincipal'
      ? {
          servicePrincipalType: o.servicePrincipalType ?? 'Application',
          appOwnerOrganizationId: o.appOwnerOrganizationId ?? null,
        }
      : {};
  return {
    '@odata.type': `#microsoft.graph.${o.type}`,
    id: o.id,
    displayName: o.displayName,
    ...app,
    ...credentials,
    ...enabled,
    ...group,
    ...sp,
  };
}
