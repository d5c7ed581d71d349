import { randomBytes } from 'node:crypto';
import type {
  ActionInputs,
  ActionResult,
  CredentialInfo,
  CredentialKind,
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
import { requiredCredential, requiredSetting } from '../connection-secrets';
import { EntitlementAdapter } from './entitlement-adapter';
import { PlatformError } from '../errors';
import { idempotentDelete, RestClient, unlessNotFound, type RestResponse } from './http/rest-client';
import {
  clientCredentialsAccepted,
  clientCredentialsToken,
  forgetClientCredentialsToken,
  type ClientCredentialsGrant,
} from './http/oauth';

/**
 * Microsoft Entra ID / Microsoft 365 through Microsoft Graph v1.0, as an app
 * registration with application permissions (User.ReadWrite.All,
 * GroupMember.ReadWrite.All, Application.ReadWrite.All, LicenseAssignment.ReadWrite.All,
 * RoleManagement.ReadWrite.Directory; UserAuthenticationMethod.ReadWrite.All for joiners'
 * Temporary Access Passes; AuditLog.Read.All for access reviews' last sign-in).
 * Connection: settings.tenantId, settings.clientId, credentials.clientSecret (a
 * reference); baseUrl and settings.authorityHost override the Graph and login
 * endpoints (national clouds, tests). *
 * Why no official SDK: retries belong to Temporal, not to the client. Each call is one attempt; a 429 or 5xx
 * becomes a classified PlatformError (with Retry-After as the next retry delay) and Temporal retries it, so
 * the run shows `retrying` with the attempt, the platform's error and the next attempt time. The Graph SDK's
 * middleware retries inside the activity as well; the client-credentials grant is http/oauth.ts.
 *
 * Not offered (removed from CAPABILITIES.entra): deactivateCredential — Graph cannot
 * suspend an application secret or certificate, only remove it.
 *
 * Access reviews also review the service principals that hold a directory role (as Entra ID
 * access reviews of privileged roles do): listAccounts lists them after the users, as subjects
 * `sp:<appId>`, and listEntitlements / removeEntitlement act on their role assignments.
 */
const GRAPH_URL = 'https://graph.microsoft.com/v1.0';
const AUTHORITY_HOST = 'https://login.microsoftonline.com';
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

interface GraphPage<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

interface GraphUser {
  id: string;
  userPrincipalName: string;
  displayName?: string;
  mail?: string | null;
  accountEnabled?: boolean;
  identities?: { signInType: string; issuer: string; issuerAssignedId?: string }[];
  licenseAssignmentStates?: { skuId: string; assignedByGroup?: string | null }[];
}

/** A user as the access-review listing selects it (employeeId and signInActivity come only when selected). */
interface ListedUser {
  id: string;
  userPrincipalName: string;
  displayName?: string | null;
  mail?: string | null;
  employeeId?: string | null;
  signInActivity?: { lastSignInDateTime?: string | null } | null;
  /** Expanded; absent when the user has no manager. */
  manager?: { id: string; userPrincipalName?: string } | null;
}

/** A service principal as the access-review listing selects it. */
interface ListedServicePrincipal {
  id: string;
  appId: string;
  displayName?: string | null;
  /** The tenant the application is registered in: Microsoft's for first-party service principals. */
  appOwnerOrganizationId?: string | null;
}

interface RoleAssignment {
  id: string;
  roleDefinitionId: string;
  /** '/' for the whole tenant, else an administrative unit or object the role is scoped to. */
  directoryScopeId?: string;
  /** Expanded. */
  roleDefinition?: { displayName?: string } | null;
}

/** Whom the entitlement actions act on: a user, or (access reviews) a service principal and its directory roles. */
type Principal = GraphUser | ListedServicePrincipal;

/** A user's appRoleAssignment: an app role of a resource (an enterprise application's service principal). */
interface AppRoleAssignment {
  id: string;
  appRoleId: string;
  resourceId: string;
  resourceDisplayName?: string;
}

interface DirectoryObject {
  id: string;
  '@odata.type'?: string;
  displayName?: string;
  groupTypes?: string[];
}

interface AppCredential {
  keyId: string;
  displayName?: string | null;
  startDateTime?: string;
  endDateTime?: string;
  secretText?: string;
}

interface TemporaryAccessPass {
  id: string;
  createdDateTime?: string;
  startDateTime?: string;
  lifetimeInMinutes?: number;
  isUsableOnce?: boolean;
  temporaryAccessPass?: string;
}

/** A Temporary Access Pass's credential id: the prefix tells deleteCredential it is a user's pass, not an app secret. */
const TAP_ID_PREFIX = 'tap:';
/** One working day to sign in for the first time and register passwordless methods; used once. */
const TAP_LIFETIME_MINUTES = 8 * 60;

interface CredentialHolder extends DirectoryObject {
  appId: string;
  passwordCredentials: AppCredential[];
  keyCredentials: AppCredential[];
}

const USER_FIELDS = 'id,userPrincipalName,displayName,mail,accountEnabled,identities,licenseAssignmentStates';
const ACCOUNT_QUERY = {
  $select: 'id,userPrincipalName,mail,displayName,employeeId,signInActivity',
  $expand: 'manager($select=id,userPrincipalName)',
};
const HOLDER_FIELDS = 'id,appId,displayName,passwordCredentials,keyCredentials';
const SERVICE_PRINCIPAL_FIELDS = 'id,appId,displayName,appOwnerOrganizationId';
const ROLE_ASSIGNMENTS = '/roleManagement/directory/roleAssignments';
/** A listAccounts cursor in its second phase, service principals: this prefix and the nextLink (nothing more for the first page). */
const SERVICE_PRINCIPAL_CURSOR = 'sp:';
/** A service principal's subject id: this prefix and its appId, so the entitlement actions know it is no user. */
const SERVICE_PRINCIPAL_SUBJECT = 'sp:';
/**
 * Microsoft's own tenants (Microsoft Services, Microsoft): a service principal whose application is registered there
 * is a first-party one (Exchange Online, Intune...) that Microsoft manages, so it is left out of reviews. The
 * tenant's own applications, managed identities and legacy service principals are reviewed.
 */
const MICROSOFT_TENANTS = new Set(['f8cdef31-a31e-4b4a-93e4-5f571e91255a', '72f988bf-86f1-41af-91ab-2d7cd011db47']);
/** Role checks in flight at once while listing a page of service principals. */
const ROLE_CHECKS_AT_ONCE = 4;
/** Graph's largest $top; with signInActivity selected, 500 (a larger one is a 400). */
const MAX_TOP = 999;
const MAX_TOP_WITH_SIGN_IN_ACTIVITY = 500;
/** Directory object types whose owners and credentials the adapter manages, by their Graph collection. */
const COLLECTION: Record<string, string> = {
  '#microsoft.graph.application': '/applications',
  '#microsoft.graph.servicePrincipal': '/servicePrincipals',
  '#microsoft.graph.group': '/groups',
};
const CREDENTIAL_HOLDERS = ['#microsoft.graph.application', '#microsoft.graph.servicePrincipal'];
const MEMBERSHIP_KIND: Record<string, Entitlement['kind']> = {
  '#microsoft.graph.group': 'group',
  '#microsoft.graph.directoryRole': 'role',
};

const nextPage = (page: RestResponse<GraphPage<unknown>>) => page.body['@odata.nextLink'];
const values = <T>(page: GraphPage<T>) => page.value;

export const entraAdapterFactory: AdapterFactory = (connection, readSecret) => {
  const tenantId = requiredSetting(connection, 'tenantId');
  const clientId = requiredSetting(connection, 'clientId');
  const clientSecret = requiredCredential(connection, 'clientSecret', readSecret);
  const tokenUrl = `${connection.settings?.authorityHost ?? AUTHORITY_HOST}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
  const grant = (): ClientCredentialsGrant => ({
    platform: 'entra',
    tokenUrl,
    clientId,
    clientSecret: clientSecret(),
    scope: GRAPH_SCOPE,
  });
  const graphUrl = connection.baseUrl ?? GRAPH_URL;
  const graph = new RestClient({
    platform: 'entra',
    baseUrl: graphUrl,
    headers: async () => ({ Authorization: `Bearer ${await clientCredentialsToken(grant())}` }),
    dropCachedAuth: () => forgetClientCredentialsToken(grant()),
  });
  return new EntraAdapter(graph, graphUrl, tokenUrl);
};

class EntraAdapter extends EntitlementAdapter<Principal> implements PlatformAdapter {
  readonly platform = 'entra' as const;

  constructor(
    private readonly graph: RestClient,
    private readonly graphUrl: string,
    private readonly tokenUrl: string,
  ) {
    super();
  }

  async createAccount({
    subject,
    entitlements = [],
  }: ActionInputs['createAccount']): Promise<ActionResult<AdapterOutputs['createAccount']>> {
    let user = await this.findUser(subject);
    const created = !user;
    user ??= (
      await this.graph.post<GraphUser>('/users', {
        accountEnabled: true,
        displayName: subject.displayName ?? subject.userName,
        userPrincipalName: subject.userName,
        mailNickname: subject.userName.split('@')[0],
        mail: subject.email,
        // Graph requires an initial password; it is random and discarded: the person signs in with a Temporary Access Pass or SSPR.
        passwordProfile: {
          forceChangePasswordNextSignIn: true,
          password: `${randomBytes(24).toString('base64url')}aA1!`,
        },
      })
    ).body;
    // A retry after a crash between creation and the grants still adds the missing ones.
    const granted = await this.grantMissing(user, entitlements);
    return { outcome: created || granted > 0 ? 'done' : 'already-done', data: { accountId: user.id } };
  }

  async updateAccount({ subject, changes }: ActionInputs['updateAccount']): Promise<ActionResult<void>> {
    const user = await this.graphUser(subject);
    const patch: Partial<GraphUser> = {};
    if (changes.displayName !== undefined && changes.displayName !== user.displayName)
      patch.displayName = changes.displayName;
    if (changes.email !== undefined && changes.email !== user.mail) patch.mail = changes.email;
    if (Object.keys(patch).length === 0) return { outcome: 'already-done' };
    await this.graph.patch(`/users/${user.id}`, patch);
    return { outcome: 'done' };
  }

  disableAccount({ subject }: ActionInputs['disableAccount']): Promise<ActionResult<void>> {
    return this.setUserEnabled(subject, false);
  }

  enableAccount({ subject }: ActionInputs['enableAccount']): Promise<ActionResult<void>> {
    return this.setUserEnabled(subject, true);
  }

  /** Moves the user to deleted items (restorable for 30 days); a deleted user is already done. */
  deleteAccount({ subject }: ActionInputs['deleteAccount']): Promise<ActionResult<void>> {
    return idempotentDelete(() => this.graph.delete(userPath(subject)));
  }

  /** Invalidates refresh tokens and session cookies. Graph cannot report open sessions, so a repeat revokes again (harmless) and says done. */
  async revokeSessions({ subject }: ActionInputs['revokeSessions']): Promise<ActionResult<void>> {
    await this.graph.post(`${userPath(subject)}/revokeSignInSessions`);
    return { outcome: 'done' };
  }

  /** Secrets and certificates of an application or service principal, or of every one the subject owns. */
  async listCredentials({
    subject,
    ownerId,
  }: ActionInputs['listCredentials']): Promise<ActionResult<CredentialInfo[]>> {
    const holders = ownerId ? [await this.credentialHolder(ownerId)] : await this.ownedCredentialHolders(subject);
    return { outcome: 'done', data: holders.flatMap(({ holder }) => credentialsOf(holder)) };
  }

  /**
   * Every application's secrets and certificates, a Graph page of applications at a time. Owner ids are object
   * ids, as listCredentials gives them, so rotation's createCredential and deleteCredential find the application.
   */
  async listCredentialsPage({ cursor, limit }: PageRequest): Promise<CredentialPage> {
    const page = await this.listingPage<CredentialHolder>('/applications', cursor, {
      $select: HOLDER_FIELDS,
      $top: Math.min(limit, MAX_TOP),
    });
    return { credentials: page.body.value.flatMap(credentialsOf), nextCursor: nextPage(page) };
  }

  /**
   * The directory's users as reviewable accounts, with their manager (expanded) and last interactive sign-in; after
   * the last page of users, the service principals that hold a directory role. A users cursor is the nextLink; a
   * service principals cursor is `sp:` and the nextLink (`sp:` alone for their first page).
   */
  async listAccounts({ cursor, limit }: PageRequest): Promise<AccountPage> {
    if (cursor?.startsWith(SERVICE_PRINCIPAL_CURSOR))
      return this.listRoleHolders(cursor.slice(SERVICE_PRINCIPAL_CURSOR.length) || undefined, limit);
    const page = await this.listingPage<ListedUser>('/users', cursor, {
      ...ACCOUNT_QUERY,
      $top: Math.min(limit, MAX_TOP_WITH_SIGN_IN_ACTIVITY),
    });
    return { accounts: page.body.value.map(accountOf), nextCursor: nextPage(page) ?? SERVICE_PRINCIPAL_CURSOR };
  }

  /**
   * A page of service principals, keeping those that hold at least one directory role and are not Microsoft's own
   * (first-party). They are service accounts with no manager: the campaign's fallback reviewer reviews them. A page
   * may keep none and still have a next one.
   */
  private async listRoleHolders(cursor: string | undefined, limit: number): Promise<AccountPage> {
    const page = await this.listingPage<ListedServicePrincipal>('/servicePrincipals', cursor, {
      $select: SERVICE_PRINCIPAL_FIELDS,
      $top: Math.min(limit, MAX_TOP),
    });
    const candidates = page.body.value.filter((sp) => !MICROSOFT_TENANTS.has(sp.appOwnerOrganizationId ?? ''));
    const holders: ListedServicePrincipal[] = [];
    for (let i = 0; i < candidates.length; i += ROLE_CHECKS_AT_ONCE) {
      const batch = candidates.slice(i, i + ROLE_CHECKS_AT_ONCE);
      const assignments = await Promise.all(batch.map((sp) => this.roleAssignments(sp.id)));
      holders.push(...batch.filter((_, j) => assignments[j]!.length > 0));
    }
    const next = nextPage(page);
    return {
      accounts: holders.map(servicePrincipalAccountOf),
      nextCursor: next === undefined ? undefined : `${SERVICE_PRINCIPAL_CURSOR}${next}`,
    };
  }

  /**
   * A listing's first page, or the one a cursor names: the previous page's @odata.nextLink, which carries its own
   * query (the RestClient follows it only to Graph's origin, so a tampered cursor cannot take the token elsewhere).
   */
  private listingPage<T>(
    path: string,
    cursor: string | undefined,
    query: Record<string, string | number>,
  ): Promise<RestResponse<GraphPage<T>>> {
    return this.graph.get<GraphPage<T>>(cursor ?? path, cursor === undefined ? { query } : undefined);
  }

  /**
   * addPassword on the application or service principal. The idempotency key is
   * written into the secret's display name: a repeat finds it and creates no
   * second secret (Graph returns a secret's value only at creation, so the
   * repeat returns no value; the first call's value is already in the secret store).
   */
  async createCredential({
    ownerId,
    kind,
    description,
    idempotencyKey,
  }: ActionInputs['createCredential']): Promise<ActionResult<AdapterOutputs['createCredential']>> {
    if (kind === 'temporary-access-pass') return this.createTemporaryAccessPass(ownerId);
    if (kind !== 'client-secret')
      throw new PlatformError(
        'unsupported',
        `entra creates client-secret credentials only (certificates need proof of possession), not ${kind}`,
      );
    const { path, holder } = await this.credentialHolder(ownerId);
    const marker = `[${idempotencyKey}]`;
    const existing = holder.passwordCredentials.find((c) => c.displayName?.endsWith(marker));
    if (existing)
      return {
        outcome: 'already-done',
        detail: `secret ${existing.keyId} was already created for this idempotency key`,
      };
    const displayName = `${description ?? 'identity-runbooks rotation'} ${marker}`;
    const created = (
      await this.graph.post<AppCredential>(`${path}/addPassword`, { passwordCredential: { displayName } })
    ).body;
    if (!created.secretText) throw new PlatformError('server', 'entra addPassword returned no secret');
    const { secretText, ...listed } = created;
    return {
      outcome: 'done',
      data: { credential: toCredentialInfo(holder.id, 'client-secret', listed), secret: secretText },
    };
  }

  /**
   * A joiner's Temporary Access Pass (ownerId: the user's id or UPN). A user holds at most one: an existing
   * pass is already done, without its value (Graph shows it only at creation); if an interrupted attempt
   * lost the value, the platform activity deletes the pass and asks for a new one.
   */
  private async createTemporaryAccessPass(userId: string): Promise<ActionResult<AdapterOutputs['createCredential']>> {
    const path = `/users/${encodeURIComponent(userId)}/authentication/temporaryAccessPassMethods`;
    const [existing] = values((await this.graph.get<GraphPage<TemporaryAccessPass>>(path)).body);
    if (existing) return { outcome: 'already-done', data: { credential: passInfo(userId, existing) } };
    const created = (
      await this.graph.post<TemporaryAccessPass>(path, { lifetimeInMinutes: TAP_LIFETIME_MINUTES, isUsableOnce: true })
    ).body;
    const { temporaryAccessPass, ...listed } = created;
    if (!temporaryAccessPass) throw new PlatformError('server', 'entra returned no Temporary Access Pass');
    return { outcome: 'done', data: { credential: passInfo(userId, listed), secret: temporaryAccessPass } };
  }

  /** A secret of a deleted application is gone with it: already done. */
  async deleteCredential({ ownerId, credentialId }: ActionInputs['deleteCredential']): Promise<ActionResult<void>> {
    if (credentialId.startsWith(TAP_ID_PREFIX)) {
      const methodId = credentialId.slice(TAP_ID_PREFIX.length);
      return idempotentDelete(() =>
        this.graph.delete(
          `/users/${encodeURIComponent(ownerId)}/authentication/temporaryAccessPassMethods/${encodeURIComponent(methodId)}`,
        ),
      );
    }
    const found = await unlessNotFound(() => this.credentialHolder(ownerId));
    if (!found) return { outcome: 'already-done' };
    const { path, holder } = found;
    if (holder.keyCredentials.some((c) => c.keyId === credentialId)) {
      throw new PlatformError(
        'unsupported',
        `entra certificate ${credentialId} can only be removed with proof of possession of its key (removeKey)`,
      );
    }
    if (!holder.passwordCredentials.some((c) => c.keyId === credentialId)) return { outcome: 'already-done' };
    await this.graph.post(`${path}/removePassword`, { keyId: credentialId });
    return { outcome: 'done' };
  }

  /**
   * Rotation's test step: does the application get a token with the new secret?
   * A fresh token request, never cached. Entra may take a few seconds to accept
   * a new secret, so `false` right after creation is worth a retry.
   */
  async verifyCredential(credential: CredentialInfo, secret: string): Promise<boolean> {
    if (credential.kind !== 'client-secret')
      throw new PlatformError('unsupported', `entra verifies client secrets only, not ${credential.kind}`);
    const { holder } = await this.credentialHolder(credential.ownerId);
    return clientCredentialsAccepted({
      platform: 'entra',
      tokenUrl: this.tokenUrl,
      clientId: holder.appId,
      clientSecret: secret,
      scope: GRAPH_SCOPE,
    });
  }

  /** A service principal with accountEnabled=false can no longer get tokens. */
  async disableServiceAccount({
    serviceAccountId,
  }: ActionInputs['disableServiceAccount']): Promise<ActionResult<void>> {
    const path = `/servicePrincipals/${encodeURIComponent(serviceAccountId)}`;
    const sp = (await this.graph.get<{ accountEnabled?: boolean }>(path, { query: { $select: 'id,accountEnabled' } }))
      .body;
    if (sp.accountEnabled === false) return { outcome: 'already-done' };
    await this.graph.patch(path, { accountEnabled: false });
    return { outcome: 'done' };
  }

  /** Federated sign-in identities (External ID / B2C `identities` with signInType federated). */
  async listFederationLinks({ subject }: ActionInputs['listFederationLinks']): Promise<ActionResult<FederationLink[]>> {
    const user = await this.graphUser(subject);
    const links = (user.identities ?? []).filter((i) => i.signInType === 'federated');
    return { outcome: 'done', data: links.map((i) => ({ providerId: i.issuer, externalUserId: i.issuerAssignedId })) };
  }

  async removeFederationLink({
    subject,
    providerId,
  }: ActionInputs['removeFederationLink']): Promise<ActionResult<void>> {
    const user = await this.graphUser(subject);
    const identities = user.identities ?? [];
    const kept = identities.filter((i) => !(i.signInType === 'federated' && i.issuer === providerId));
    if (kept.length === identities.length) return { outcome: 'already-done' };
    // Graph replaces the whole identities collection on update.
    await this.graph.patch(`/users/${user.id}`, { identities: kept });
    return { outcome: 'done' };
  }

  /** Makes the new owner an owner of every application, service principal and group the subject owns, then removes the subject. */
  async transferOwnership({ subject, newOwner }: ActionInputs['transferOwnership']): Promise<ActionResult<void>> {
    const [from, to] = await Promise.all([this.graphUser(subject), this.graphUser(newOwner)]);
    const owned = (await this.ownedObjects(from.id)).filter((o) => COLLECTION[o['@odata.type'] ?? '']);
    let changed = false;
    for (const object of owned) {
      const path = `${COLLECTION[object['@odata.type']!]}/${object.id}/owners`;
      const owners = await this.graph.all(path, nextPage, values<DirectoryObject>, { query: { $select: 'id' } });
      if (!owners.some((o) => o.id === to.id)) {
        await this.graph.post(`${path}/$ref`, this.ref(to.id));
        changed = true;
      }
      changed =
        (await idempotentDelete(() => this.graph.delete(`${path}/${from.id}/$ref`))).outcome === 'done' || changed;
    }
    return { outcome: changed ? 'done' : 'already-done' };
  }

  private async setUserEnabled(subject: Subject, enabled: boolean): Promise<ActionResult<void>> {
    const user = await this.graphUser(subject);
    if (user.accountEnabled === enabled) return { outcome: 'already-done' };
    await this.graph.patch(`/users/${user.id}`, { accountEnabled: enabled });
    return { outcome: 'done' };
  }

  /** The principal the entitlement actions act on: the service principal a `sp:` subject names (by object id), else the user. */
  protected async user(subject: Subject): Promise<Principal> {
    if (!subject.subjectId.startsWith(SERVICE_PRINCIPAL_SUBJECT)) return this.graphUser(subject);
    const id = subject.accounts?.entra;
    if (!id)
      throw new PlatformError(
        'invalid',
        `entra service principal ${subject.subjectId} has no object id (accounts.entra)`,
      );
    return (
      await this.graph.get<ListedServicePrincipal>(`/servicePrincipals/${encodeURIComponent(id)}`, {
        query: { $select: SERVICE_PRINCIPAL_FIELDS },
      })
    ).body;
  }

  private async graphUser(subject: Subject): Promise<GraphUser> {
    return (await this.graph.get<GraphUser>(userPath(subject), { query: { $select: USER_FIELDS } })).body;
  }

  private findUser(subject: Subject): Promise<GraphUser | undefined> {
    return unlessNotFound(() => this.graphUser(subject));
  }

  /** A principal's directory role assignments (Graph requires the principalId or roleDefinitionId filter), with the role's name. */
  private roleAssignments(principalId: string): Promise<RoleAssignment[]> {
    return this.graph.all(ROLE_ASSIGNMENTS, nextPage, values<RoleAssignment>, {
      query: { $filter: `principalId eq '${principalId}'`, $expand: 'roleDefinition' },
    });
  }

  /**
   * What can be granted and revoked directly: static group and directory-role
   * memberships (memberOf), directly assigned licenses and app role assignments (enterprise applications:
   * kind `app`, id `<resource service principal id>:<app role id>`). Dynamic-group
   * memberships and group-inherited licenses follow the user's attributes and
   * groups, so they are left out (revoking them directly fails). A service principal's are its directory role
   * assignments, one entitlement per assignment (id: the assignment's, as removing one deletes it).
   */
  protected async entitlementsOf(principal: Principal): Promise<Entitlement[]> {
    if (isServicePrincipal(principal)) return (await this.roleAssignments(principal.id)).map(roleAssignmentEntitlement);
    const user = principal;
    const [memberOf, licenses, appRoles] = await Promise.all([
      this.graph.all(`/users/${user.id}/memberOf`, nextPage, values<DirectoryObject>, {
        query: { $select: 'id,displayName,groupTypes' },
      }),
      this.graph.all(`/users/${user.id}/licenseDetails`, nextPage, values<{ skuId: string; skuPartNumber?: string }>),
      this.appRoleAssignments(user.id),
    ]);
    const memberships = memberOf.flatMap((o) => {
      const kind = MEMBERSHIP_KIND[o['@odata.type'] ?? ''];
      return kind && !o.groupTypes?.includes('DynamicMembership') ? [{ kind, id: o.id, name: o.displayName }] : [];
    });
    const states = user.licenseAssignmentStates;
    const direct = (skuId: string) => !states || states.some((s) => s.skuId === skuId && !s.assignedByGroup);
    return [
      ...memberships,
      ...licenses
        .filter((l) => direct(l.skuId))
        .map((l) => ({ kind: 'license' as const, id: l.skuId, name: l.skuPartNumber })),
      ...appRoles.map((a) => ({ kind: 'app' as const, id: appRoleRef(a), name: a.resourceDisplayName })),
    ];
  }

  private appRoleAssignments(userId: string): Promise<AppRoleAssignment[]> {
    return this.graph.all(`/users/${userId}/appRoleAssignments`, nextPage, values<AppRoleAssignment>);
  }

  protected async grant(principal: Principal, entitlement: EntitlementRef): Promise<void> {
    if (isServicePrincipal(principal))
      throw new PlatformError(
        'unsupported',
        `entra does not grant service principal ${principal.id} entitlements; access reviews only remove its role assignments`,
      );
    const userId = principal.id;
    if (entitlement.kind === 'license') {
      await this.graph.post(`/users/${userId}/assignLicense`, {
        addLicenses: [{ skuId: entitlement.id, disabledPlans: [] }],
        removeLicenses: [],
      });
    } else if (entitlement.kind === 'app') {
      const { resourceId, appRoleId } = parseAppRoleRef(entitlement.id);
      await this.graph.post(`/users/${userId}/appRoleAssignments`, { principalId: userId, resourceId, appRoleId });
    } else {
      await this.graph.post(`${membershipPath(entitlement)}/members/$ref`, this.ref(userId));
    }
  }

  protected async revoke(principal: Principal, entitlement: Entitlement): Promise<void> {
    if (isServicePrincipal(principal)) {
      await idempotentDelete(() => this.graph.delete(`${ROLE_ASSIGNMENTS}/${encodeURIComponent(entitlement.id)}`));
      return;
    }
    const userId = principal.id;
    if (entitlement.kind === 'license') {
      await this.graph.post(`/users/${userId}/assignLicense`, { addLicenses: [], removeLicenses: [entitlement.id] });
    } else if (entitlement.kind === 'app') {
      const assignments = (await this.appRoleAssignments(userId)).filter((a) => appRoleRef(a) === entitlement.id);
      for (const a of assignments)
        await idempotentDelete(() =>
          this.graph.delete(`/users/${userId}/appRoleAssignments/${encodeURIComponent(a.id)}`),
        );
    } else {
      await idempotentDelete(() => this.graph.delete(`${membershipPath(entitlement)}/members/${userId}/$ref`));
    }
  }

  private ownedObjects(userId: string): Promise<DirectoryObject[]> {
    return this.graph.all(`/users/${userId}/ownedObjects`, nextPage, values<DirectoryObject>);
  }

  private async ownedCredentialHolders(
    subject: Subject | undefined,
  ): Promise<{ path: string; holder: CredentialHolder }[]> {
    if (!subject) throw new PlatformError('invalid', 'listCredentials needs a subject or an ownerId');
    const owned = await this.ownedObjects((await this.graphUser(subject)).id);
    return Promise.all(
      owned.filter((o) => CREDENTIAL_HOLDERS.includes(o['@odata.type'] ?? '')).map((o) => this.credentialHolder(o.id)),
    );
  }

  /** An application or service principal by object id, with its credentials. */
  private async credentialHolder(objectId: string): Promise<{ path: string; holder: CredentialHolder }> {
    const object = (await this.graph.get<DirectoryObject>(`/directoryObjects/${encodeURIComponent(objectId)}`)).body;
    const type = object['@odata.type'] ?? '';
    if (!CREDENTIAL_HOLDERS.includes(type))
      throw new PlatformError(
        'invalid',
        `entra object ${objectId} is a ${type || 'directory object'}, not an application or service principal`,
      );
    const path = `${COLLECTION[type]}/${object.id}`;
    const holder = (await this.graph.get<CredentialHolder>(path, { query: { $select: HOLDER_FIELDS } })).body;
    return { path, holder };
  }

  private ref(objectId: string): { '@odata.id': string } {
    return { '@odata.id': `${this.graphUrl.replace(/\/$/, '')}/directoryObjects/${objectId}` };
  }
}

function userPath(subject: Subject): string {
  return `/users/${encodeURIComponent(subject.accounts?.entra ?? subject.userName)}`;
}

/**
 * An app role entitlement's id: the resource service principal and the app role, as granting one takes both
 * (the assignment's own id changes with every grant, so it cannot name the entitlement).
 */
function appRoleRef(a: Pick<AppRoleAssignment, 'resourceId' | 'appRoleId'>): string {
  return `${a.resourceId}:${a.appRoleId}`;
}

function parseAppRoleRef(id: string): { resourceId: string; appRoleId: string } {
  const [resourceId, appRoleId, ...rest] = id.split(':');
  if (!resourceId || !appRoleId || rest.length > 0)
    throw new PlatformError('invalid', `entra app role entitlement ${id} is not <resource id>:<app role id>`);
  return { resourceId, appRoleId };
}

function membershipPath(entitlement: EntitlementRef): string {
  if (entitlement.kind === 'group') return `/groups/${encodeURIComponent(entitlement.id)}`;
  if (entitlement.kind === 'role') return `/directoryRoles/${encodeURIComponent(entitlement.id)}`;
  throw new PlatformError(
    'unsupported',
    `entra manages group, role, app and license entitlements, not ${entitlement.kind}`,
  );
}

function credentialsOf(holder: CredentialHolder): CredentialInfo[] {
  return [
    ...holder.passwordCredentials.map((c) => toCredentialInfo(holder.id, 'client-secret', c)),
    ...holder.keyCredentials.map((c) => toCredentialInfo(holder.id, 'certificate', c)),
  ];
}

/** The subject id is the HR employee id where the directory has one, else the UPN; the manager is named by UPN (an org contact by id). */
function accountOf(u: ListedUser): Subject {
  const managerId = u.manager?.userPrincipalName ?? u.manager?.id;
  const lastActiveAt = u.signInActivity?.lastSignInDateTime;
  return {
    subjectId: u.employeeId ?? u.userPrincipalName,
    userName: u.userPrincipalName,
    ...(u.mail ? { email: u.mail } : {}),
    ...(u.displayName ? { displayName: u.displayName } : {}),
    ...(managerId ? { managerId } : {}),
    ...(lastActiveAt ? { lastActiveAt } : {}),
    accounts: { entra: u.id },
  };
}

/**
 * A role-holding service principal as a reviewable account: a service account named by its appId (the id its
 * sign-ins and app registration show), acted on by object id, with no manager (a service principal has none).
 */
function servicePrincipalAccountOf(sp: ListedServicePrincipal): Subject {
  return {
    subjectId: `${SERVICE_PRINCIPAL_SUBJECT}${sp.appId}`,
    userName: sp.displayName ?? sp.appId,
    ...(sp.displayName ? { displayName: sp.displayName } : {}),
    accounts: { entra: sp.id },
    service: true,
  };
}

function isServicePrincipal(principal: Principal): principal is ListedServicePrincipal {
  return 'appId' in principal;
}

/** A scoped assignment (an administrative unit) names its scope, so two of the same role are told apart. */
function roleAssignmentEntitlement(a: RoleAssignment): Entitlement {
  const role = a.roleDefinition?.displayName ?? a.roleDefinitionId;
  const scope = a.directoryScopeId && a.directoryScopeId !== '/' ? ` (scope ${a.directoryScopeId})` : '';
  return { kind: 'role', id: a.id, name: `${role}${scope}` };
}

/** Graph reports no last use for app credentials (that needs sign-in logs); expiry decides active. */
function passInfo(userId: string, pass: TemporaryAccessPass): CredentialInfo {
  return {
    platform: 'entra',
    id: `${TAP_ID_PREFIX}${pass.id}`,
    kind: 'temporary-access-pass',
    ownerId: userId,
    status: 'active',
    createdAt: pass.createdDateTime,
  };
}

function toCredentialInfo(ownerId: string, kind: CredentialKind, c: AppCredential): CredentialInfo {
  const expired = c.endDateTime !== undefined && Date.parse(c.endDateTime) <= Date.now();
  return {
    platform: 'entra',
    id: c.keyId,
    kind,
    ownerId,
    status: expired ? 'inactive' : 'active',
    createdAt: c.startDateTime,
    ...(c.endDateTime ? { expiresAt: c.endDateTime } : {}),
    description: c.displayName ?? undefined,
  };
}
