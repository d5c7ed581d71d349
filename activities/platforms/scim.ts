import type { ActionInputs, ActionResult, Entitlement, EntitlementRef, Subject } from '../../shared';
import type { AccountPage, AdapterFactory, AdapterOutputs, PageRequest, PlatformAdapter } from './adapter';
import { requiredCredential } from '../connection-secrets';
import { EntitlementAdapter } from './entitlement-adapter';
import { PlatformError } from '../errors';
import { idempotentDelete, RestClient, unlessNotFound, type RestResponse } from './http/rest-client';

/**
 * A generic SCIM 2.0 service provider (RFC 7643 resources, RFC 7644 protocol),
 * so any SCIM app (Slack, Zoom, Atlassian, ...) is one connection away:
 * baseUrl = the app's SCIM base, credentials.token = a bearer token reference.
 * Group entitlements only; SCIM has no sessions, so revokeSessions is not in
 * CAPABILITIES.scim. settings.memberRemoval = 'value' selects the
 * `remove members [{value}]` PATCH form for providers that do not accept the
 * RFC's `members[value eq "..."]` path filter.
 */
const SCIM_JSON = 'application/scim+json';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const PAGE_SIZE = 100;

interface ScimEmail {
  value: string;
  primary?: boolean;
  type?: string;
}

interface ScimUser {
  schemas?: string[];
  id: string;
  userName: string;
  active?: boolean;
  displayName?: string;
  emails?: ScimEmail[];
  /** Read-only membership list (RFC 7643 §4.1.2); some providers omit it. */
  groups?: { value: string; display?: string }[];
  /** RFC 7643 §4.3, where the app keeps it: manager.value is the manager's SCIM id. */
  [ENTERPRISE_USER]?: { employeeNumber?: string; manager?: { value?: string } };
  meta?: unknown;
}

interface ScimGroup {
  id: string;
  displayName?: string;
}

interface ListResponse<T> {
  totalResults: number;
  Resources?: T[];
}

type PatchOperation = { op: 'add' | 'remove' | 'replace'; path: string; value?: unknown };

export const scimAdapterFactory: AdapterFactory = (connection, readSecret) => {
  if (!connection.baseUrl)
    throw new PlatformError('invalid', 'scim connection is missing baseUrl (the app SCIM endpoint)');
  const token = requiredCredential(connection, 'token', readSecret);
  const memberRemoval = connection.settings?.memberRemoval ?? 'filter';
  if (memberRemoval !== 'filter' && memberRemoval !== 'value')
    throw new PlatformError('invalid', "scim settings.memberRemoval must be 'filter' or 'value'");
  const client = new RestClient({
    platform: 'scim',
    baseUrl: connection.baseUrl,
    headers: () => Promise.resolve({ Authorization: `Bearer ${token()}`, Accept: `${SCIM_JSON}, application/json` }),
  });
  return new ScimAdapter(client, memberRemoval);
};

class ScimAdapter extends EntitlementAdapter<ScimUser> implements PlatformAdapter {
  readonly platform = 'scim' as const;

  constructor(
    private readonly scim: RestClient,
    private readonly memberRemoval: 'filter' | 'value',
  ) {
    super();
  }

  async createAccount({
    subject,
    entitlements = [],
  }: ActionInputs['createAccount']): Promise<ActionResult<AdapterOutputs['createAccount']>> {
    let user = await this.findUser(subject);
    const created = !user;
    user ??= await this.postUser(subject);
    const granted = await this.grantMissing(user, entitlements);
    return { outcome: created || granted > 0 ? 'done' : 'already-done', data: { accountId: user.id } };
  }

  /** A full replace (PUT): the one update every SCIM provider supports. */
  async updateAccount({ subject, changes }: ActionInputs['updateAccount']): Promise<ActionResult<void>> {
    const user = await this.user(subject);
    const updated: ScimUser = {
      ...user,
      displayName: changes.displayName ?? user.displayName,
      emails: changes.email ? withPrimaryEmail(user.emails, changes.email) : user.emails,
    };
    if (updated.displayName === user.displayName && updated.emails === user.emails) return { outcome: 'already-done' };
    const { meta: _meta, groups: _readOnly, ...resource } = updated;
    await this.send('PUT', `/Users/${encodeURIComponent(user.id)}`, resource);
    return { outcome: 'done' };
  }

  disableAccount({ subject }: ActionInputs['disableAccount']): Promise<ActionResult<void>> {
    return this.setActive(subject, false);
  }

  enableAccount({ subject }: ActionInputs['enableAccount']): Promise<ActionResult<void>> {
    return this.setActive(subject, true);
  }

  async deleteAccount({ subject }: ActionInputs['deleteAccount']): Promise<ActionResult<void>> {
    const user = await this.findUser(subject);
    if (!user) return { outcome: 'already-done' };
    return idempotentDelete(() => this.scim.delete(`/Users/${encodeURIComponent(user.id)}`));
  }

  private async setActive(subject: Subject, active: boolean): Promise<ActionResult<void>> {
    const user = await this.user(subject);
    if ((user.active ?? true) === active) return { outcome: 'already-done' };
    await this.patch(`/Users/${encodeURIComponent(user.id)}`, [{ op: 'replace', path: 'active', value: active }]);
    return { outcome: 'done' };
  }

  private async postUser(subject: Subject): Promise<ScimUser> {
    const resource = {
      schemas: [USER_SCHEMA],
      userName: subject.userName,
      externalId: subject.subjectId,
      displayName: subject.displayName,
      emails: subject.email ? [{ value: subject.email, primary: true, type: 'work' }] : undefined,
      active: true,
    };
    try {
      return (await this.send<ScimUser>('POST', '/Users', resource)).body;
    } catch (err) {
      // 409 uniqueness: a concurrent attempt created it first.
      const raced = err instanceof PlatformError && err.kind === 'conflict' ? await this.findUser(subject) : undefined;
      if (raced) return raced;
      throw err;
    }
  }

  /**
   * The app's users as reviewable accounts, a ListResponse page at a time; the cursor is the next 1-based
   * startIndex. Subject id: the enterprise employeeNumber, else the userName; the manager: the enterprise manager.
   */
  async listAccounts({ cursor, limit }: PageRequest): Promise<AccountPage> {
    const startIndex = cursor === undefined ? 1 : Number(cursor);
    const page = (await this.scim.get<ListResponse<ScimUser>>('/Users', { query: { startIndex, count: limit } })).body;
    const next = nextStartIndex(startIndex, page);
    return {
      accounts: (page.Resources ?? []).map(accountOf),
      nextCursor: next === undefined ? undefined : String(next),
    };
  }

  /** The user by known id, else by `userName eq` filter; a missing user is not-found (the action needs it). */
  protected async user(subject: Subject): Promise<ScimUser> {
    const user = await this.findUser(subject);
    if (!user) throw new PlatformError('not-found', 'scim user not found');
    return user;
  }

  private async findUser(subject: Subject): Promise<ScimUser | undefined> {
    const id = subject.accounts?.scim;
    if (id) return unlessNotFound(async () => (await this.scim.get<ScimUser>(`/Users/${encodeURIComponent(id)}`)).body);
    const [user] = await this.list<ScimUser>('/Users', `userName eq ${scimString(subject.userName)}`);
    return user;
  }

  /** Memberships from the user's read-only `groups` attribute, or a Groups filter where the provider omits it. */
  protected async entitlementsOf(user: ScimUser): Promise<Entitlement[]> {
    const groups =
      user.groups ??
      (await this.list<ScimGroup>('/Groups', `members.value eq ${scimString(user.id)}`)).map((g) => ({
        value: g.id,
        display: g.displayName,
      }));
    return groups.map((g) => ({ kind: 'group', id: g.value, name: g.display }));
  }

  protected async grant(user: ScimUser, group: EntitlementRef): Promise<void> {
    groupOnly(group);
    await this.patch(`/Groups/${encodeURIComponent(group.id)}`, [
      { op: 'add', path: 'members', value: [{ value: user.id }] },
    ]);
  }

  protected async revoke(user: ScimUser, group: Entitlement): Promise<void> {
    const operation: PatchOperation =
      this.memberRemoval === 'value'
        ? { op: 'remove', path: 'members', value: [{ value: user.id }] }
        : { op: 'remove', path: `members[value eq ${scimString(user.id)}]` };
    await this.patch(`/Groups/${encodeURIComponent(group.id)}`, [operation]);
  }

  /** Every resource matching `filter`, page by page (1-based startIndex and count, RFC 7644 §3.4.2.4). */
  private list<T>(resource: '/Users' | '/Groups', filter: string): Promise<T[]> {
    const page = (startIndex: number) =>
      `${resource}?${new URLSearchParams({ filter, startIndex: String(startIndex), count: String(PAGE_SIZE) }).toString()}`;
    let startIndex = 1;
    const next = ({ body }: RestResponse<ListResponse<T>>) => {
      const following = nextStartIndex(startIndex, body);
      if (following === undefined) return undefined;
      startIndex = following;
      return page(startIndex);
    };
    return this.scim.all(page(1), next, (body: ListResponse<T>) => body.Resources ?? []);
  }

  private patch(path: string, operations: PatchOperation[]): Promise<unknown> {
    return this.send('PATCH', path, { schemas: [PATCH_OP], Operations: operations });
  }

  private send<T>(method: 'POST' | 'PUT' | 'PATCH', path: string, body: unknown): Promise<RestResponse<T>> {
    return this.scim.request<T>(method, path, { body, headers: { 'Content-Type': SCIM_JSON } });
  }
}

function groupOnly(entitlement: EntitlementRef): void {
  if (entitlement.kind !== 'group')
    throw new PlatformError('unsupported', `scim manages group entitlements, not ${entitlement.kind}`);
}

/**
 * The next page's 1-based startIndex (RFC 7644 §3.4.2.4), advanced by the resources received, since a provider may
 * return fewer than `count`; undefined past totalResults or after an empty page.
 */
function nextStartIndex(startIndex: number, page: ListResponse<unknown>): number | undefined {
  const received = page.Resources?.length ?? 0;
  return received > 0 && startIndex + received <= page.totalResults ? startIndex + received : undefined;
}

function accountOf(user: ScimUser): Subject {
  const enterprise = user[ENTERPRISE_USER];
  const email = primaryEmail(user.emails)?.value;
  const managerId = enterprise?.manager?.value;
  return {
    subjectId: enterprise?.employeeNumber ?? user.userName,
    userName: user.userName,
    ...(email ? { email } : {}),
    ...(user.displayName ? { displayName: user.displayName } : {}),
    ...(managerId ? { managerId } : {}),
    accounts: { scim: user.id },
  };
}

/** The primary email, else the first (RFC 7643 §2.4: at most one is primary). */
function primaryEmail(emails: ScimEmail[] | undefined): ScimEmail | undefined {
  return emails?.find((e) => e.primary) ?? emails?.[0];
}

/** A SCIM filter string literal (RFC 7644 §3.4.2.2: JSON string rules). */
function scimString(value: string): string {
  return JSON.stringify(value);
}

function withPrimaryEmail(emails: ScimUser['emails'], email: string): ScimUser['emails'] {
  const current = primaryEmail(emails);
  if (current?.value === email) return emails;
  return [
    { value: email, primary: true, type: current?.type ?? 'work' },
    ...(emails ?? []).filter((e) => e !== current).map((e) => ({ ...e, primary: false })),
  ];
}
