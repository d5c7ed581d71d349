import type {
  ActionInputs,
  ActionResult,
  CredentialInfo,
  Entitlement,
  EntitlementRef,
  FederationLink,
  Subject,
} from '../../shared';
import type {
  AccountPage,
  AdapterFactory,
  AdapterOutputs,
  CredentialPage,
  PageRequest,
  PlatformAdapter,
} from './adapter';
import { requiredCredential } from '../connection-secrets';
import { EntitlementAdapter } from './entitlement-adapter';
import { PlatformError } from '../errors';
import { idempotentDelete, nextLink, RestClient, unlessNotFound, type RestResponse } from './http/rest-client';

/**
 * Okta through its Management API (developer.okta.com/docs/api), authenticated
 * with an API token (`Authorization: SSWS <token>`). Connection: baseUrl = the org
 * URL (https://acme.okta.com), credentials.apiToken = a reference.
 *
 * Disable is lifecycle/deactivate (DEPROVISIONED), not suspend: a suspended user
 * keeps assignments and can be unsuspended by any admin. Entitlements are groups,
 * admin roles and app assignments. Credentials are the API tokens and OAuth grants
 * a user owns, and the client secrets of an OAuth service app. *
 * Why no official SDK: retries belong to Temporal, not to the client. Each call is one attempt; a 429 or 5xx
 * becomes a classified PlatformError (with Retry-After as the next retry delay) and Temporal retries it, so
 * the run shows `retrying` with the attempt, the platform's error and the next attempt time. The Okta SDK
 * retries 429s itself; Okta's X-Rate-Limit-Reset is read here as the retry delay instead.
 */
/** Okta's largest page. */
const PAGE_LIMIT = 200;
/** OIDC apps are all named oidc_client; a service app (client credentials, no user) says so in its settings. */
const OIDC_APPS = 'name eq "oidc_client"';
/** Statuses in which the person can sign in (or finish activating). */
const ENABLED_STATUSES = new Set(['PROVISIONED', 'ACTIVE', 'RECOVERY', 'PASSWORD_EXPIRED', 'LOCKED_OUT']);

interface OktaUser {
  id: string;
  status: string;
  /** Null until the first sign-in. */
  lastLogin?: string | null;
  profile: {
    login: string;
    email?: string;
    displayName?: string;
    firstName?: string;
    lastName?: string;
    /** Base-profile attributes an HR import fills (null when unset). */
    employeeNumber?: string | null;
    managerId?: string | null;
    manager?: string | null;
  };
}

interface OktaGroup {
  id: string;
  type: 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';
  profile: { name: string };
}

interface OktaRole {
  id: string;
  type: string;
  label?: string;
  /** USER when assigned to the user, GROUP when it comes with a group membership. */
  assignmentType?: 'USER' | 'GROUP';
}

interface OktaAppLink {
  appInstanceId: string;
  label?: string;
}

interface OktaApiToken {
  id: string;
  name?: string;
  userId: string;
  created?: string;
  lastUpdated?: string;
}

interface OktaGrant {
  id: string;
  status: string;
  clientId?: string;
  scopeId?: string;
  created?: string;
}

interface OktaApp {
  id: string;
  settings?: { oauthClient?: { application_type?: 'web' | 'native' | 'browser' | 'service' } };
}

interface OktaClientSecret {
  id: string;
  status: 'ACTIVE' | 'INACTIVE';
  created?: string;
  client_secret?: string;
  secret_hash?: string;
}

export const oktaAdapterFactory: AdapterFactory = (connection, readSecret) => {
  if (!connection.baseUrl) throw new PlatformError('invalid', 'okta connection is missing baseUrl (the org URL)');
  const apiToken = requiredCredential(connection, 'apiToken', readSecret);
  return new OktaAdapter(
    new RestClient({
      platform: 'okta',
      baseUrl: connection.baseUrl,
      headers: () => Promise.resolve({ Authorization: `SSWS ${apiToken()}` }),
      retryAfter: rateLimitReset,
    }),
  );
};

/** Okta's 429 carries X-Rate-Limit-Reset (epoch seconds when the window resets) rather than Retry-After. */
function rateLimitReset(headers: Headers): string | undefined {
  const reset = Number(headers.get('x-rate-limit-reset'));
  return reset > 0 ? String(Math.max(0, Math.ceil(reset - Date.now() / 1000))) : undefined;
}

const linked = (page: RestResponse<unknown>) => nextLink(page.headers);
const items = <T>(page: T[]) => page;

class OktaAdapter extends EntitlementAdapter<OktaUser> implements PlatformAdapter {
  readonly platform = 'okta' as const;

  constructor(private readonly okta: RestClient) {
    super();
  }

  async createAccount({
    subject,
    entitlements = [],
  }: ActionInputs['createAccount']): Promise<ActionResult<AdapterOutputs['createAccount']>> {
    const existing = await this.findUser(subject);
    if (existing) {
      const granted = await this.grantMissing(existing, entitlements);
      return { outcome: granted > 0 ? 'done' : 'already-done', data: { accountId: existing.id } };
    }
    const [firstName, ...rest] = (subject.displayName ?? subject.userName.split('@')[0]!).split(' ');
    const profile = {
      login: subject.userName,
      email: subject.email ?? subject.userName,
      displayName: subject.displayName,
      firstName,
      lastName: rest.join(' ') || firstName,
    };
    const groupIds = entitlements.filter((e) => e.kind === 'group').map((e) => e.id);
    const user = (await this.okta.post<OktaUser>('/api/v1/users', { profile, groupIds }, { query: { activate: true } }))
      .body;
    await this.grantMissing(
      user,
      entitlements.filter((e) => e.kind !== 'group'),
    );
    return { outcome: 'done', data: { accountId: user.id } };
  }

  async updateAccount({ subject, changes }: ActionInputs['updateAccount']): Promise<ActionResult<void>> {
    const user = await this.user(subject);
    const profile: Partial<OktaUser['profile']> = {};
    if (changes.email !== undefined && changes.email !== user.profile.email) profile.email = changes.email;
    if (changes.displayName !== undefined && changes.displayName !== user.profile.displayName)
      profile.displayName = changes.displayName;
    if (Object.keys(profile).length === 0) return { outcome: 'already-done' };
    // POST is Okta's partial profile update (PUT would replace the whole profile).
    await this.okta.post(`/api/v1/users/${user.id}`, { profile });
    return { outcome: 'done' };
  }

  async disableAccount({ subject }: ActionInputs['disableAccount']): Promise<ActionResult<void>> {
    const user = await this.user(subject);
    if (user.status === 'DEPROVISIONED') return { outcome: 'already-done' };
    await this.okta.post(`/api/v1/users/${user.id}/lifecycle/deactivate`, undefined, { query: { sendEmail: false } });
    return { outcome: 'done' };
  }

  async enableAccount({ subject }: ActionInputs['enableAccount']): Promise<ActionResult<void>> {
    const user = await this.user(subject);
    if (ENABLED_STATUSES.has(user.status)) return { outcome: 'already-done' };
    const transition = user.status === 'SUSPENDED' ? 'unsuspend' : 'activate';
    await this.okta.post(`/api/v1/users/${user.id}/lifecycle/${transition}`, undefined, {
      query: transition === 'activate' ? { sendEmail: false } : undefined,
    });
    return { outcome: 'done' };
  }

  /** Okta deletes in two steps: DELETE deactivates a live user, a second DELETE removes the deactivated one. */
  async deleteAccount({ subject }: ActionInputs['deleteAccount']): Promise<ActionResult<void>> {
    const user = await this.findUser(subject);
    if (!user) return { outcome: 'already-done' };
    if (user.status !== 'DEPROVISIONED')
      await this.okta.delete(`/api/v1/users/${user.id}`, { query: { sendEmail: false } });
    return idempotentDelete(() => this.okta.delete(`/api/v1/users/${user.id}`, { query: { sendEmail: false } }));
  }

  /** Ends every Okta session and revokes the OAuth tokens issued to the user. Okta lists no sessions, so a repeat revokes again. */
  async revokeSessions({ subject }: ActionInputs['revokeSessions']): Promise<ActionResult<void>> {
    const user = await this.user(subject);
    await this.okta.delete(`/api/v1/users/${user.id}/sessions`, { query: { oauthTokens: true } });
    return { outcome: 'done' };
  }

  /** A person's API tokens and OAuth grants, or the client secrets of a service app (ownerId = app id). */
  async listCredentials({
    subject,
    ownerId,
  }: ActionInputs['listCredentials']): Promise<ActionResult<CredentialInfo[]>> {
    if (ownerId) return { outcome: 'done', data: await this.credentialsOf(ownerId) };
    if (!subject) throw new PlatformError('invalid', 'listCredentials needs a subject or an ownerId');
    return { outcome: 'done', data: await this.userCredentials((await this.user(subject)).id) };
  }

  /**
   * The org's users as reviewable accounts, a page at a time; the cursor is Okta's next link (RestClient
   * follows it only on the org's origin). Okta's unfiltered listing already leaves DEPROVISIONED users out.
   */
  async listAccounts({ cursor, limit }: PageRequest): Promise<AccountPage> {
    const page = await this.page<OktaUser>(cursor, '/api/v1/users', { limit: Math.min(limit, PAGE_LIMIT) });
    return { accounts: page.items.map(accountOf), nextCursor: page.next };
  }

  /**
   * Every API token of the org (owned by the user it acts as), then the client secrets of every OAuth service
   * app (owned by the app), as listCredentials by owner lists them. The cursor names the phase and carries Okta's next link.
   */
  async listCredentialsPage({ cursor, limit }: PageRequest): Promise<CredentialPage> {
    const { phase, link } = credentialCursor(cursor);
    const query = { limit: Math.min(limit, PAGE_LIMIT) };
    if (phase === 'api-tokens') {
      const tokens = await this.page<OktaApiToken>(link, '/api/v1/api-tokens', query);
      return {
        credentials: tokens.items.map(apiTokenInfo),
        nextCursor: tokens.next ? `api-tokens:${tokens.next}` : 'apps:',
      };
    }
    const apps = await this.page<OktaApp>(link, '/api/v1/apps', { ...query, filter: OIDC_APPS });
    const credentials: CredentialInfo[] = [];
    // One app at a time: Okta limits concurrent requests per org as well as their rate.
    for (const app of apps.items.filter((a) => a.settings?.oauthClient?.application_type === 'service')) {
      // An app deleted since the listing has no secrets left.
      credentials.push(...((await unlessNotFound(() => this.appSecrets(app.id))) ?? []));
    }
    return { credentials, nextCursor: apps.next ? `apps:${apps.next}` : undefined };
  }

  /**
   * A new client secret for an OAuth service app (Okta keeps at most two). Okta
   * secrets carry no label, so a repeat after a lost response creates another
   * one; the rotation's cleanup step deletes secrets it did not promote.
   */
  async createCredential({
    ownerId,
    kind,
  }: ActionInputs['createCredential']): Promise<ActionResult<AdapterOutputs['createCredential']>> {
    if (kind !== 'client-secret')
      throw new PlatformError(
        'unsupported',
        `okta creates client secrets of service apps only (API tokens are created in the Admin Console), not ${kind}`,
      );
    const created = (await this.okta.post<OktaClientSecret>(`${secretsPath(ownerId)}`, {})).body;
    if (!created.client_secret) throw new PlatformError('server', 'okta returned no client secret');
    return { outcome: 'done', data: { credential: clientSecretInfo(ownerId, created), secret: created.client_secret } };
  }

  /** Only app client secrets can be deactivated; API tokens and grants can only be revoked (deleteCredential). */
  async deactivateCredential({
    ownerId,
    credentialId,
  }: ActionInputs['deactivateCredential']): Promise<ActionResult<void>> {
    const credential = (await this.credentialsOf(ownerId)).find((c) => c.id === credentialId);
    if (!credential) throw new PlatformError('not-found', `okta credential ${credentialId} not found`);
    if (credential.kind !== 'client-secret')
      throw new PlatformError('unsupported', `okta cannot deactivate a ${credential.kind}, only revoke it`);
    if (credential.status === 'inactive') return { outcome: 'already-done' };
    await this.okta.post(`${secretsPath(ownerId)}/${credentialId}/lifecycle/deactivate`);
    return { outcome: 'done' };
  }

  /** A credential whose owner is gone is gone too: already done. */
  async deleteCredential({ ownerId, credentialId }: ActionInputs['deleteCredential']): Promise<ActionResult<void>> {
    const credential = (await unlessNotFound(() => this.credentialsOf(ownerId)))?.find((c) => c.id === credentialId);
    if (!credential) return { outcome: 'already-done' };
    if (credential.kind === 'api-token')
      return idempotentDelete(() => this.okta.delete(`/api/v1/api-tokens/${credentialId}`));
    if (credential.kind === 'oauth-grant')
      return idempotentDelete(() => this.okta.delete(`/api/v1/users/${ownerId}/grants/${credentialId}`));
    // Okta deletes only inactive client secrets.
    if (credential.status === 'active')
      await this.okta.post(`${secretsPath(ownerId)}/${credentialId}/lifecycle/deactivate`);
    return idempotentDelete(() => this.okta.delete(`${secretsPath(ownerId)}/${credentialId}`));
  }

  /** Deactivates the service app: its client credentials stop working. */
  async disableServiceAccount({
    serviceAccountId,
  }: ActionInputs['disableServiceAccount']): Promise<ActionResult<void>> {
    const path = `/api/v1/apps/${encodeURIComponent(serviceAccountId)}`;
    const app = (await this.okta.get<{ status: string }>(path)).body;
    if (app.status === 'INACTIVE') return { outcome: 'already-done' };
    await this.okta.post(`${path}/lifecycle/deactivate`);
    return { outcome: 'done' };
  }

  async listFederationLinks({ subject }: ActionInputs['listFederationLinks']): Promise<ActionResult<FederationLink[]>> {
    const user = await this.user(subject);
    const idps = await this.okta.all(`/api/v1/users/${user.id}/idps`, linked, items<{ id: string }>);
    const links = await Promise.all(
      idps.map(async (idp) => {
        const linkedUser = (await this.okta.get<{ externalId?: string }>(`/api/v1/idps/${idp.id}/users/${user.id}`))
          .body;
        return { providerId: idp.id, externalUserId: linkedUser.externalId };
      }),
    );
    return { outcome: 'done', data: links };
  }

  async removeFederationLink({
    subject,
    providerId,
  }: ActionInputs['removeFederationLink']): Promise<ActionResult<void>> {
    const user = await this.user(subject);
    return idempotentDelete(() => this.okta.delete(`/api/v1/idps/${encodeURIComponent(providerId)}/users/${user.id}`));
  }

  protected async user(subject: Subject): Promise<OktaUser> {
    return (
      await this.okta.get<OktaUser>(`/api/v1/users/${encodeURIComponent(subject.accounts?.okta ?? subject.userName)}`)
    ).body;
  }

  private findUser(subject: Subject): Promise<OktaUser | undefined> {
    return unlessNotFound(() => this.user(subject));
  }

  /**
   * What can be granted and revoked directly: Okta-mastered group memberships
   * (not Everyone, not APP_GROUPs mastered by a directory or app), admin roles
   * assigned to the user (not those that come with a group), and app assignments.
   */
  protected async entitlementsOf({ id: userId }: OktaUser): Promise<Entitlement[]> {
    const [groups, roles, apps] = await Promise.all([
      this.okta.all(`/api/v1/users/${userId}/groups`, linked, items<OktaGroup>, { query: { limit: PAGE_LIMIT } }),
      this.okta.all(`/api/v1/users/${userId}/roles`, linked, items<OktaRole>),
      this.okta.all(`/api/v1/users/${userId}/appLinks`, linked, items<OktaAppLink>),
    ]);
    return [
      ...groups
        .filter((g) => g.type === 'OKTA_GROUP')
        .map((g) => ({ kind: 'group' as const, id: g.id, name: g.profile.name })),
      ...roles
        .filter((r) => r.assignmentType !== 'GROUP')
        .map((r) => ({ kind: 'role' as const, id: r.id, name: r.type })),
      ...uniqueApps(apps).map((a) => ({ kind: 'app' as const, id: a.appInstanceId, name: a.label })),
    ];
  }

  /** A role is named by its assignment id (as listed) or its type (SUPER_ADMIN, ...). */
  protected override sameEntitlement(held: Entitlement, wanted: EntitlementRef): boolean {
    return (
      super.sameEntitlement(held, wanted) || (held.kind === 'role' && wanted.kind === 'role' && held.name === wanted.id)
    );
  }

  protected async grant({ id: userId }: OktaUser, entitlement: EntitlementRef): Promise<void> {
    if (entitlement.kind === 'group')
      await this.okta.put(`/api/v1/groups/${encodeURIComponent(entitlement.id)}/users/${userId}`);
    else if (entitlement.kind === 'role')
      await this.okta.post(`/api/v1/users/${userId}/roles`, { type: entitlement.id });
    else if (entitlement.kind === 'app')
      await this.okta.post(`/api/v1/apps/${encodeURIComponent(entitlement.id)}/users`, { id: userId, scope: 'USER' });
    else
      throw new PlatformError('unsupported', `okta manages group, role and app entitlements, not ${entitlement.kind}`);
  }

  protected async revoke({ id: userId }: OktaUser, entitlement: Entitlement): Promise<void> {
    const path = {
      group: `/api/v1/groups/${entitlement.id}/users/${userId}`,
      role: `/api/v1/users/${userId}/roles/${entitlement.id}`,
      app: `/api/v1/apps/${entitlement.id}/users/${userId}`,
    }[entitlement.kind as 'group' | 'role' | 'app'];
    await idempotentDelete(() => this.okta.delete(path));
  }

  /** One page of a cursor-paged listing: the first (`path` with `query`) or the one a next link names. */
  private async page<T>(
    link: string | undefined,
    path: string,
    query: Record<string, string | number>,
  ): Promise<{ items: T[]; next?: string }> {
    const page = await this.okta.get<T[]>(link ?? path, link ? undefined : { query });
    return { items: page.body, next: linked(page) };
  }

  /** The owner is a service app when Okta knows it as one, otherwise a user. */
  private async credentialsOf(ownerId: string): Promise<CredentialInfo[]> {
    try {
      return await this.appSecrets(ownerId);
    } catch (err) {
      if (err instanceof PlatformError && err.kind === 'not-found') return this.userCredentials(ownerId);
      throw err;
    }
  }

  private async appSecrets(appId: string): Promise<CredentialInfo[]> {
    const secrets = (await this.okta.get<OktaClientSecret[]>(secretsPath(appId))).body;
    return secrets.map((s) => clientSecretInfo(appId, s));
  }

  private async userCredentials(userId: string): Promise<CredentialInfo[]> {
    const [tokens, grants] = await Promise.all([
      this.okta.all('/api/v1/api-tokens', linked, items<OktaApiToken>),
      this.okta.all(`/api/v1/users/${encodeURIComponent(userId)}/grants`, linked, items<OktaGrant>, {
        query: { limit: PAGE_LIMIT },
      }),
    ]);
    return [
      ...tokens.filter((t) => t.userId === userId).map(apiTokenInfo),
      ...grants.map((g): CredentialInfo => ({
        platform: 'okta',
        id: g.id,
        kind: 'oauth-grant',
        ownerId: userId,
        status: g.status === 'ACTIVE' ? 'active' : 'inactive',
        createdAt: g.created,
        description: g.scopeId,
      })),
    ];
  }
}

function secretsPath(appId: string): string {
  return `/api/v1/apps/${encodeURIComponent(appId)}/credentials/secrets`;
}

/** Okta lists only active API tokens; a token acts with its user's permissions, so the user owns it. */
function apiTokenInfo(t: OktaApiToken): CredentialInfo {
  return {
    platform: 'okta',
    id: t.id,
    kind: 'api-token',
    ownerId: t.userId,
    status: 'active',
    createdAt: t.created,
    description: t.name,
  };
}

function clientSecretInfo(appId: string, s: OktaClientSecret): CredentialInfo {
  return {
    platform: 'okta',
    id: s.id,
    kind: 'client-secret',
    ownerId: appId,
    status: s.status === 'ACTIVE' ? 'active' : 'inactive',
    createdAt: s.created,
  };
}

/** An Okta user as a reviewable account: the HR employee number as subject id where the profile has one. */
function accountOf({ id, lastLogin, profile }: OktaUser): Subject {
  const displayName =
    profile.displayName ?? ([profile.firstName, profile.lastName].filter(Boolean).join(' ') || undefined);
  const managerId = profile.managerId ?? profile.manager;
  return {
    subjectId: profile.employeeNumber ?? profile.login,
    userName: profile.login,
    ...(profile.email ? { email: profile.email } : {}),
    ...(displayName ? { displayName } : {}),
    ...(managerId ? { managerId } : {}),
    ...(lastLogin ? { lastActiveAt: lastLogin } : {}),
    accounts: { okta: id },
  };
}

/** listCredentialsPage's cursor: `api-tokens:` or `apps:`, then Okta's next link in that listing (empty: its first page). */
function credentialCursor(cursor: string | undefined): { phase: 'api-tokens' | 'apps'; link?: string } {
  if (cursor === undefined) return { phase: 'api-tokens' };
  const match = /^(api-tokens|apps):(.*)$/s.exec(cursor);
  if (!match) throw new PlatformError('invalid', 'okta credential cursor is not one this adapter issued');
  return { phase: match[1] as 'api-tokens' | 'apps', link: match[2] || undefined };
}

/** An app with several links (e.g. SAML and bookmark) is one assignment. */
function uniqueApps(links: OktaAppLink[]): OktaAppLink[] {
  return [...new Map(links.map((l) => [l.appInstanceId, l])).values()];
}
