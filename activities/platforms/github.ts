import type {
  CredentialInfo,
  CredentialKind,
  Entitlement,
  EntitlementRef,
  PlatformConnection,
  Subject,
} from '../../shared';
import {
  type AccountPage,
  type AdapterFactory,
  type CredentialPage,
  type PlatformAdapter,
  credentialInfo,
  enc,
  mapLimit,
  splitOnce,
} from './adapter';
import { EntitlementAdapter } from './entitlement-adapter';
import type { SecretReader } from '../connection-secrets';
import { PlatformError } from '../errors';
import { githubRestClient } from './http/github-client';
import { idempotentDelete, nextLink, type RestClient, unlessNotFound } from './http/rest-client';

/**
 * GitHub (REST API, api.github.com or GHES via baseUrl) for one organisation, settings.org,
 * authenticated as a GitHub App installation or with an owner's token (http/github-client.ts). *
 * Why no official SDK: retries belong to Temporal, not to the client. Each call is one attempt; a 429 or 5xx
 * becomes a classified PlatformError (with Retry-After as the next retry delay) and Temporal retries it, so
 * the run shows `retrying` with the attempt, the platform's error and the next attempt time. Octokit
 * would retry and throttle inside the activity (plugin-retry, plugin-throttling) where nobody sees it, and
 * @octokit/core 7 / @octokit/rest 22 ship as ES modules only, which this CommonJS service and its Jest runtime
 * cannot require without a second module system. GitHub App auth (a JWT, then an installation token, cached
 * and dropped on a 401) is 90 lines in http/github-client.ts.
 *
 * What an org owner can do, and so what this adapter offers (see CAPABILITIES):
 * - Accounts are personal and user-owned: "create" invites to the org; "disable" removes
 *   org membership (GitHub lets an owner reinstate a former member's access within three
 *   months); "delete" also removes outside-collaborator access.
 * - No API ends a member's web sessions. revokeSessions revokes what keeps working after
 *   removal: the user's SAML SSO credential authorizations (PATs and SSH keys authorized
 *   for the org) and the fine-grained PATs the org approved.
 * - SSH and GPG keys belong to the user: an owner cannot delete them, only revoke their SSO
 *   authorization for the org. Deploy keys belong to repositories: listed by who added them.
 * - Not offered: credential creation/deactivation, service accounts (GitHub has machine
 *   users, i.e. ordinary accounts), federation links (SAML identities are GraphQL-only).
 */
const PER_PAGE = 100;
const REPO_SCAN_CONCURRENCY = 4;
const FINE_GRAINED_HIDDEN =
  'fine-grained PAT grants not visible: GitHub shows them only to a GitHub App installation with organization personal access token permission';
const ORG_OWNER: EntitlementRef = { kind: 'role', id: 'org-owner' };
const OUTSIDE_COLLABORATOR: Entitlement = { kind: 'org-membership', id: 'outside-collaborator' };

interface Membership {
  state: 'active' | 'pending';
  role: 'admin' | 'member' | 'billing_manager';
}
interface Team {
  id: number;
  slug: string;
  name: string;
}
interface FineGrainedGrant {
  id: number;
  owner: { login: string };
  token_name?: string;
  token_expired?: boolean;
  access_granted_at?: string;
  token_last_used_at?: string | null;
}
interface CredentialAuthorization {
  login: string;
  credential_id: number;
  credential_type: string;
  credential_authorized_at?: string;
  credential_accessed_at?: string | null;
  authorized_credential_title?: string | null;
  authorized_credential_note?: string | null;
}
interface DeployKey {
  id: number;
  title: string;
  created_at?: string;
  last_used?: string | null;
  added_by?: string | null;
}

export const githubAdapterFactory: AdapterFactory = (connection, readSecret) =>
  new GitHubAdapter(connection, readSecret);

class GitHubAdapter extends EntitlementAdapter<string> implements PlatformAdapter {
  readonly platform = 'github' as const;
  private readonly rest: RestClient;
  private readonly org: string;

  constructor(connection: PlatformConnection, readSecret: SecretReader) {
    super();
    const org = connection.settings?.org;
    if (!org) throw new PlatformError('invalid', 'github connection needs settings.org');
    this.org = encodeURIComponent(org);
    this.rest = githubRestClient(connection, readSecret);
  }

  /** Invites the user to the org (with their teams); a member or a pending invitee is already done. */
  async createAccount({ subject, entitlements = [] }: { subject: Subject; entitlements?: EntitlementRef[] }) {
    const login = loginOf(subject);
    const teams = entitlements.filter((e) => e.kind === 'team');
    if (await this.membership(login)) {
      await this.grantMissing(login, teams);
      return { outcome: 'already-done' as const, data: { accountId: login } };
    }
    const user = await this.rest.get<{ id: number }>(`/users/${enc(login)}`);
    const teamIds = await Promise.all(
      teams.map(async (t) => (await this.rest.get<Team>(`/orgs/${this.org}/teams/${enc(t.id)}`)).body.id),
    );
    await this.rest.post(`/orgs/${this.org}/invitations`, {
      invitee_id: user.body.id,
      role: 'direct_member',
      team_ids: teamIds,
    });
    return { outcome: 'done' as const, data: { accountId: login } };
  }

  /** Removes org membership (or cancels the pending invitation). */
  async disableAccount({ subject }: { subject: Subject }) {
    const login = loginOf(subject);
    if (!(await this.membership(login))) return { outcome: 'already-done' as const };
    return idempotentDelete(() => this.rest.delete(`/orgs/${this.org}/memberships/${enc(login)}`));
  }

  /** Removes every trace of access: org membership and outside-collaborator access to the org's repositories. */
  async deleteAccount({ subject }: { subject: Subject }) {
    const login = loginOf(subject);
    const membership = await this.disableAccount({ subject });
    const collaborator = await this.isOutsideCollaborator(login);
    if (collaborator) await this.revoke(login, OUTSIDE_COLLABORATOR);
    return { outcome: membership.outcome === 'done' || collaborator ? ('done' as const) : ('already-done' as const) };
  }

  /** Revokes the user's SSO credential authorizations and org-approved fine-grained PATs (GitHub has no session API). */
  async revokeSessions({ subject }: { subject: Subject }) {
    const login = loginOf(subject);
    const [authorizations, grants] = await Promise.all([
      this.credentialAuthorizations(login),
      this.fineGrainedGrants(login),
    ]);
    const revocable = [...authorizations, ...(grants ?? []).filter((c) => c.status === 'active')];
    for (const credential of revocable) await this.deleteCredential({ ownerId: login, credentialId: credential.id });
    const detail = [`${revocable.length} token authorizations revoked`, ...(grants ? [] : [FINE_GRAINED_HIDDEN])].join(
      '; ',
    );
    return { outcome: revocable.length ? ('done' as const) : ('already-done' as const), detail };
  }

  /** The user's GitHub login: entitlements are looked up per login. */
  protected user(subject: Subject): Promise<string> {
    return Promise.resolve(loginOf(subject));
  }

  /** Team memberships, the org-owner role, and outside-collaborator status. */
  protected async entitlementsOf(login: string): Promise<Entitlement[]> {
    const entitlements: Entitlement[] = [];
    const membership = await this.membership(login);
    if (membership?.role === 'admin') entitlements.push({ ...ORG_OWNER, name: 'Organization owner' });
    for (const team of await this.all<Team>(`/orgs/${this.org}/teams`)) {
      if (await this.teamMembership(team.slug, login))
        entitlements.push({ kind: 'team', id: team.slug, name: team.name });
    }
    if (await this.isOutsideCollaborator(login))
      entitlements.push({ ...OUTSIDE_COLLABORATOR, name: 'Outside collaborator' });
    return entitlements;
  }

  protected async grant(login: string, entitlement: EntitlementRef): Promise<void> {
    if (this.sameEntitlement(entitlement, ORG_OWNER)) return this.setOrgRole(login, 'admin');
    if (entitlement.kind !== 'team')
      throw new PlatformError(
        'invalid',
        `github cannot grant ${entitlement.kind} ${entitlement.id} (teams and org-owner only)`,
      );
    await this.rest.put(`/orgs/${this.org}/teams/${enc(entitlement.id)}/memberships/${enc(login)}`, { role: 'member' });
  }

  protected async revoke(login: string, entitlement: Entitlement): Promise<void> {
    if (this.sameEntitlement(entitlement, ORG_OWNER)) return this.setOrgRole(login, 'member');
    const path = this.sameEntitlement(entitlement, OUTSIDE_COLLABORATOR)
      ? `/orgs/${this.org}/outside_collaborators/${enc(login)}`
      : `/orgs/${this.org}/teams/${enc(entitlement.id)}/memberships/${enc(login)}`;
    await idempotentDelete(() => this.rest.delete(path));
  }

  /**
   * A person's org-reachable credentials: SSO-authorized PATs and SSH keys, org-approved
   * fine-grained PATs, and deploy keys they added to the org's repositories.
   * `ownerId: "repo:<name>"` lists one repository's deploy keys instead.
   */
  async listCredentials({ subject, ownerId }: { subject?: Subject; ownerId?: string }) {
    const owner = ownerId ?? (subject ? loginOf(subject) : undefined);
    if (!owner) throw new PlatformError('invalid', 'listCredentials needs a subject or an ownerId');
    if (owner.startsWith('repo:'))
      return { outcome: 'done' as const, data: await this.deployKeys(owner.slice('repo:'.length)) };
    const [authorizations, grants, repos] = await Promise.all([
      this.credentialAuthorizations(owner),
      this.fineGrainedGrants(owner),
      this.all<{ name: string }>(`/orgs/${this.org}/repos`),
    ]);
    // Deploy keys have no org-wide listing: one request (or more) per repository, a few at a time.
    const deployKeys = (
      await mapLimit(repos, REPO_SCAN_CONCURRENCY, (repo) => this.deployKeys(repo.name, owner))
    ).flat();
    return {
      outcome: 'done' as const,
      data: [...authorizations, ...(grants ?? []), ...deployKeys],
      ...(grants ? {} : { detail: FINE_GRAINED_HIDDEN }),
    };
  }

  /** Revokes an SSO authorization or a fine-grained PAT's org access, or deletes a deploy key; gone already = already done. */
  async deleteCredential({ credentialId }: { ownerId: string; credentialId: string }) {
    const [kind, id] = splitOnce(credentialId, ':');
    if (kind === 'sso' && id)
      return idempotentDelete(() => this.rest.delete(`/orgs/${this.org}/credential-authorizations/${enc(id)}`));
    if (kind === 'fine-grained-pat' && id)
      return idempotentDelete(() =>
        this.rest.post(`/orgs/${this.org}/personal-access-tokens/${enc(id)}`, { action: 'revoke' }),
      );
    const [repo, keyId] = id ? splitOnce(id, '/') : [];
    if (kind === 'deploy-key' && repo && keyId)
      return idempotentDelete(() => this.rest.delete(`/repos/${this.org}/${enc(repo)}/keys/${enc(keyId)}`));
    throw new PlatformError('invalid', `not a github credential id: ${credentialId}`);
  }

  /** The org's members as reviewable accounts. GitHub knows no manager: their items go to the fallback reviewer. */
  async listAccounts(page: { cursor?: string; limit: number }): Promise<AccountPage> {
    const { items, nextCursor } = await this.page<{ login: string }>(`/orgs/${this.org}/members`, page);
    return {
      accounts: items.map((m) => ({ subjectId: m.login, userName: m.login, accounts: { github: m.login } })),
      nextCursor,
    };
  }

  /** Every fine-grained PAT the org approved (GitHub App installations only; a token connection is forbidden). */
  async listCredentialsPage(page: { cursor?: string; limit: number }): Promise<CredentialPage> {
    const { items, nextCursor } = await this.page<FineGrainedGrant>(`/orgs/${this.org}/personal-access-tokens`, page);
    return { credentials: items.map(grantInfo), nextCursor };
  }

  private async membership(login: string): Promise<Membership | undefined> {
    return unlessNotFound(
      async () => (await this.rest.get<Membership>(`/orgs/${this.org}/memberships/${enc(login)}`)).body,
    );
  }

  private async teamMembership(slug: string, login: string): Promise<Membership | undefined> {
    return unlessNotFound(
      async () =>
        (await this.rest.get<Membership>(`/orgs/${this.org}/teams/${enc(slug)}/memberships/${enc(login)}`)).body,
    );
  }

  private async setOrgRole(login: string, role: 'admin' | 'member'): Promise<void> {
    if (!(await this.membership(login)))
      throw new PlatformError('not-found', 'github user is not a member of the organisation');
    await this.rest.put(`/orgs/${this.org}/memberships/${enc(login)}`, { role });
  }

  private async isOutsideCollaborator(login: string): Promise<boolean> {
    const collaborators = await this.all<{ login: string }>(`/orgs/${this.org}/outside_collaborators`);
    return collaborators.some((c) => c.login.toLowerCase() === login.toLowerCase());
  }

  /** SAML SSO credential authorizations; an org without SAML SSO has none (404). */
  private async credentialAuthorizations(login: string): Promise<CredentialInfo[]> {
    const found = await unlessNotFound(() =>
      this.all<CredentialAuthorization>(`/orgs/${this.org}/credential-authorizations`, { login }),
    );
    return (found ?? [])
      .filter((a) => a.login.toLowerCase() === login.toLowerCase())
      .map((a) =>
        credentialInfo('github', login, `sso:${a.credential_id}`, ssoKind(a.credential_type), {
          createdAt: a.credential_authorized_at,
          lastUsedAt: a.credential_accessed_at ?? undefined,
          description: a.authorized_credential_title ?? a.authorized_credential_note ?? a.credential_type,
        }),
      );
  }

  /** Fine-grained PAT grants, or undefined when this connection may not see them (GitHub allows GitHub Apps only). */
  private async fineGrainedGrants(login: string): Promise<CredentialInfo[] | undefined> {
    let grants: FineGrainedGrant[];
    try {
      grants = await this.all<FineGrainedGrant>(`/orgs/${this.org}/personal-access-tokens`, { 'owner[]': login });
    } catch (err) {
      if (err instanceof PlatformError && err.kind === 'forbidden') return undefined;
      throw err;
    }
    // Filtered here too: the owner filter narrows the listing, the login check makes it exact.
    return grants.filter((g) => g.owner.login.toLowerCase() === login.toLowerCase()).map(grantInfo);
  }

  private async deployKeys(repo: string, addedBy?: string): Promise<CredentialInfo[]> {
    const keys = await this.all<DeployKey>(`/repos/${this.org}/${enc(repo)}/keys`);
    return keys
      .filter((k) => !addedBy || k.added_by?.toLowerCase() === addedBy.toLowerCase())
      .map((k) =>
        credentialInfo('github', addedBy ?? `repo:${repo}`, `deploy-key:${repo}/${k.id}`, 'deploy-key', {
          createdAt: k.created_at,
          lastUsedAt: k.last_used ?? undefined,
          description: k.title,
        }),
      );
  }

  /** Every item of a listing, following Link rel="next". */
  private async all<T>(path: string, query: Record<string, string> = {}): Promise<T[]> {
    const items: T[] = [];
    for await (const page of this.rest.pages<T[]>(path, (p) => nextLink(p.headers), {
      query: { ...query, per_page: PER_PAGE },
    }))
      items.push(...page);
    return items;
  }

  /** One page of a listing: the first from `path`, the next from the Link rel="next" URL the last one gave (the cursor; the client refuses another origin). */
  private async page<T>(
    path: string,
    { cursor, limit }: { cursor?: string; limit: number },
  ): Promise<{ items: T[]; nextCursor?: string }> {
    const res = cursor
      ? await this.rest.get<T[]>(cursor)
      : await this.rest.get<T[]>(path, { query: { per_page: Math.min(limit, PER_PAGE) } });
    return { items: res.body, nextCursor: nextLink(res.headers) };
  }
}

function loginOf(subject: Subject): string {
  return subject.accounts?.github ?? subject.userName;
}

function grantInfo(g: FineGrainedGrant): CredentialInfo {
  return credentialInfo('github', g.owner.login, `fine-grained-pat:${g.id}`, 'personal-access-token', {
    status: g.token_expired ? 'inactive' : 'active',
    createdAt: g.access_granted_at,
    lastUsedAt: g.token_last_used_at ?? undefined,
    description: g.token_name,
  });
}

function ssoKind(credentialType: string): CredentialKind {
  if (/ssh/i.test(credentialType)) return 'ssh-key';
  if (/oauth|app/i.test(credentialType)) return 'oauth-grant';
  return 'personal-access-token';
}
