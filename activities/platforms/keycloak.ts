import { createHash } from 'node:crypto';
import type { ActionInputs, ActionResult, CredentialInfo, Entitlement, EntitlementRef, Subject } from '../../shared';
import {
  type AccountPage,
  type AdapterFactory,
  type AdapterResult,
  type CredentialPage,
  type PageRequest,
  type PlatformAdapter,
  alreadyDone,
  done,
} from './adapter';
import { PlatformError } from '../errors';
import { EntitlementAdapter } from './entitlement-adapter';
import { idempotentDelete, type RestClient } from './http/rest-client';
import { keycloakAdminApi, keycloakRealm, keycloakSecretAccepted, type KeycloakRealm } from './keycloak-client';

interface UserRep {
  id: string;
  username: string;
  enabled: boolean;
  email?: string;
  firstName?: string;
  lastName?: string;
  [field: string]: unknown;
}
interface GroupRep {
  id: string;
  name: string;
  path: string;
}
interface RoleRep {
  id: string;
  name: string;
}
interface RoleMappings {
  realmMappings?: RoleRep[];
  clientMappings?: Record<string, { id: string; client: string; mappings: RoleRep[] }>;
}
interface ClientRep {
  id: string;
  clientId: string;
  enabled: boolean;
  publicClient?: boolean;
  serviceAccountsEnabled?: boolean;
  attributes?: Record<string, string>;
  [field: string]: unknown;
}

/** Client attribute recording which createCredential request produced the current secret. */
const REQUEST_ATTRIBUTE = 'identity-runbooks.credential-request';
/** Keycloak's own record of when the current client secret was generated (epoch seconds). */
const SECRET_CREATED_ATTRIBUTE = 'client.secret.creation.time';
const PAGE = 100;

/**
 * Keycloak users, groups, role mappings, brokered (federated) identity links
 * and confidential clients as service accounts, over the Admin REST API of
 * one realm. Secrets: the connection's client secret and rotated client
 * secrets, which only the secret store ever receives.
 */
export const keycloakAdapterFactory: AdapterFactory = (connection, readSecret) =>
  new KeycloakAdapter(keycloakRealm(connection, readSecret));

/** Groups (by path) and realm and client roles are its entitlements, on the shared idempotent EntitlementAdapter. */
export class KeycloakAdapter extends EntitlementAdapter<UserRep> implements PlatformAdapter {
  readonly platform = 'keycloak' as const;
  private readonly api: RestClient;

  constructor(private readonly realm: KeycloakRealm) {
    super();
    this.api = keycloakAdminApi(realm);
  }

  async createAccount({ subject, entitlements = [] }: ActionInputs['createAccount']): AdapterResult<'createAccount'> {
    let user = await this.findUser(subject);
    const created = !user;
    if (!user) {
      await this.api.post('users', {
        username: subject.userName,
        email: subject.email,
        enabled: true,
        ...names(subject.displayName),
      });
      user = await this.requireUser({ ...subject, accounts: undefined });
    }
    const granted = await this.grantMissing(user, entitlements);
    const result =
      created || granted > 0 ? done(granted ? `granted ${granted} entitlement(s)` : undefined) : alreadyDone();
    return { ...result, data: { accountId: user.id } };
  }

  async updateAccount({ subject, changes }: ActionInputs['updateAccount']): AdapterResult<'updateAccount'> {
    const user = await this.requireUser(subject);
    const wanted: Partial<UserRep> = {
      ...(changes.email !== undefined && { email: changes.email }),
      ...(changes.displayName !== undefined && names(changes.displayName)),
    };
    const changed = Object.entries(wanted).filter(([field, value]) => user[field] !== value);
    if (changed.length === 0)
      return alreadyDone(changes.managerId === undefined ? undefined : 'keycloak keeps no manager');
    await this.api.put(`users/${user.id}`, { ...user, ...wanted });
    return done(`updated ${changed.map(([field]) => field).join(', ')}`);
  }

  disableAccount({ subject }: ActionInputs['disableAccount']): AdapterResult<'disableAccount'> {
    return this.setUserEnabled(subject, false);
  }

  enableAccount({ subject }: ActionInputs['enableAccount']): AdapterResult<'enableAccount'> {
    return this.setUserEnabled(subject, true);
  }

  async deleteAccount({ subject }: ActionInputs['deleteAccount']): AdapterResult<'deleteAccount'> {
    const user = await this.findUser(subject);
    if (!user) return alreadyDone('no such keycloak user');
    return idempotentDelete(() => this.api.delete(`users/${user.id}`));
  }

  /** Logs out every browser session and revokes consents with their offline tokens (refresh tokens die with both). */
  async revokeSessions({ subject }: ActionInputs['revokeSessions']): AdapterResult<'revokeSessions'> {
    const user = await this.requireUser(subject);
    const [sessions, consents] = await Promise.all([
      this.api.get<unknown[]>(`users/${user.id}/sessions`).then((r) => r.body),
      this.api.get<{ clientId: string }[]>(`users/${user.id}/consents`).then((r) => r.body),
    ]);
    if (sessions.length === 0 && consents.length === 0) return alreadyDone();
    await this.api.post(`users/${user.id}/logout`);
    for (const c of consents)
      await idempotentDelete(() => this.api.delete(`users/${user.id}/consents/${encodeURIComponent(c.clientId)}`));
    return done(`ended ${sessions.length} session(s), revoked ${consents.length} consent(s) and offline token(s)`);
  }

  async listFederationLinks({ subject }: ActionInputs['listFederationLinks']): AdapterResult<'listFederationLinks'> {
    const user = await this.requireUser(subject);
    const links = (
      await this.api.get<{ identityProvider: string; userId?: string }[]>(`users/${user.id}/federated-identity`)
    ).body;
    return { outcome: 'done', data: links.map((l) => ({ providerId: l.identityProvider, externalUserId: l.userId })) };
  }

  async removeFederationLink({
    subject,
    providerId,
  }: ActionInputs['removeFederationLink']): AdapterResult<'removeFederationLink'> {
    const user = await this.requireUser(subject);
    // Keycloak answers 404 for a link that is not there: a repeat is already done.
    return idempotentDelete(() =>
      this.api.delete(`users/${user.id}/federated-identity/${encodeURIComponent(providerId)}`),
    );
  }

  /**
   * A confidential client's credential: its current secret, dated by Keycloak's creation-time attribute.
   * A person (subject) owns no API credential in Keycloak: their password and OTP die with disableAccount.
   */
  async listCredentials({ subject, ownerId }: ActionInputs['listCredentials']): AdapterResult<'listCredentials'> {
    if (!ownerId) {
      if (!subject) throw new PlatformError('invalid', 'listCredentials needs a subject or a client id as ownerId');
      await this.requireUser(subject);
      return {
        outcome: 'done',
        data: [],
        detail: 'keycloak users own no API credentials; client secrets are listed by client id',
      };
    }
    const client = await this.requireClient(ownerId);
    return { outcome: 'done', data: client.attributes?.[SECRET_CREATED_ATTRIBUTE] ? [secretInfo(client)] : [] };
  }

  /** Every confidential client with a service account: its current secret (Keycloak's first/max paging). */
  async listCredentialsPage({ cursor, limit }: PageRequest): Promise<CredentialPage> {
    const first = Number(cursor ?? 0);
    const clients = (await this.api.get<ClientRep[]>('clients', { query: { first, max: limit } })).body;
    const credentials = clients
      .filter((c) => c.serviceAccountsEnabled && !c.publicClient && c.attributes?.[SECRET_CREATED_ATTRIBUTE])
      .map(secretInfo);
    return { credentials, nextCursor: clients.length === limit ? String(first + limit) : undefined };
  }

  /**
   * The realm's users as reviewable accounts (service-account users of clients left out: their clients are
   * credentials). The manager is the `manager` user attribute (the user profile's, as an HR sync writes it);
   * the subject id is the `employeeId` attribute where there is one, else the user name.
   */
  async listAccounts({ cursor, limit }: PageRequest): Promise<AccountPage> {
    const first = Number(cursor ?? 0);
    const users = (
      await this.api.get<(UserRep & { attributes?: Record<string, string[]>; serviceAccountClientLink?: string })[]>(
        'users',
        { query: { first, max: limit, briefRepresentation: false } },
      )
    ).body;
    const accounts = users
      .filter((u) => !u.serviceAccountClientLink)
      .map((u): Subject => {
        const manager = u.attributes?.manager?.[0];
        const displayName = [u.firstName, u.lastName].filter(Boolean).join(' ');
        return {
          subjectId: u.attributes?.employeeId?.[0] ?? u.username,
          userName: u.username,
          ...(u.email ? { email: u.email } : {}),
          ...(displayName ? { displayName } : {}),
          ...(manager ? { managerId: manager } : {}),
          accounts: { keycloak: u.id },
        };
      });
    return { accounts, nextCursor: users.length === limit ? String(first + limit) : undefined };
  }

  /**
   * Regenerates the client secret (the old one stops working at once). A repeat
   * of the same request returns the secret it produced, read back from Keycloak.
   */
  async createCredential({
    ownerId,
    kind,
    idempotencyKey,
  }: ActionInputs['createCredential']): AdapterResult<'createCredential'> {
    if (kind !== 'client-secret') throw new PlatformError('invalid', `keycloak issues client secrets, not ${kind}`);
    const request = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
    let client = await this.requireClient(ownerId);
    if (client.attributes?.[REQUEST_ATTRIBUTE] === request) {
      const secret = (await this.api.get<{ value: string }>(`clients/${client.id}/client-secret`)).body.value;
      return {
        ...alreadyDone('the secret of this request was already generated'),
        data: { credential: secretInfo(client), secret },
      };
    }
    const secret = (await this.api.post<{ value: string }>(`clients/${client.id}/client-secret`)).body.value;
    client = await this.requireClient(ownerId);
    await this.api.put(`clients/${client.id}`, {
      ...client,
      attributes: { ...client.attributes, [REQUEST_ATTRIBUTE]: request },
    });
    return { ...done(), data: { credential: secretInfo(client), secret } };
  }

  /** A regenerated secret is already dead; the current one can only be replaced, not switched off. */
  async deactivateCredential({
    ownerId,
    credentialId,
  }: ActionInputs['deactivateCredential']): AdapterResult<'deactivateCredential'> {
    const client = await this.requireClient(ownerId);
    if (secretInfo(client).id === credentialId)
      throw new PlatformError(
        'conflict',
        `${credentialId} is the current secret of ${ownerId}: regenerate it or disable the client`,
      );
    return alreadyDone('a replaced keycloak client secret no longer authenticates');
  }

  deleteCredential(input: ActionInputs['deleteCredential']): AdapterResult<'deleteCredential'> {
    return this.deactivateCredential(input);
  }

  async disableServiceAccount({
    serviceAccountId,
  }: ActionInputs['disableServiceAccount']): AdapterResult<'disableServiceAccount'> {
    const client = await this.requireClient(serviceAccountId);
    if (!client.enabled) return alreadyDone();
    await this.api.put(`clients/${client.id}`, { ...client, enabled: false });
    return done();
  }

  /** Rotation's test step: the client_credentials grant with the new secret. */
  verifyCredential(credential: CredentialInfo, secret: string): Promise<boolean> {
    return keycloakSecretAccepted(this.realm, credential.ownerId, secret);
  }

  private async findUser(subject: Subject): Promise<UserRep | undefined> {
    const id = subject.accounts?.keycloak;
    if (id) {
      try {
        return (await this.api.get<UserRep>(`users/${encodeURIComponent(id)}`)).body;
      } catch (err) {
        if (err instanceof PlatformError && err.kind === 'not-found') return undefined;
        throw err;
      }
    }
    const found = await this.api.get<UserRep[]>('users', { query: { username: subject.userName, exact: true } });
    return found.body.find((u) => u.username === subject.userName.toLowerCase());
  }

  private async requireUser(subject: Subject): Promise<UserRep> {
    const user = await this.findUser(subject);
    if (!user)
      throw new PlatformError(
        'not-found',
        `keycloak realm ${this.realm.realm} has no user ${subject.accounts?.keycloak ?? subject.userName}`,
        undefined,
        404,
      );
    return user;
  }

  private async requireClient(clientId: string): Promise<ClientRep> {
    const found = await this.api.get<ClientRep[]>('clients', { query: { clientId } });
    const client = found.body.find((c) => c.clientId === clientId);
    if (!client)
      throw new PlatformError(
        'not-found',
        `keycloak realm ${this.realm.realm} has no client ${clientId}`,
        undefined,
        404,
      );
    return client;
  }

  private async setUserEnabled(subject: Subject, enabled: boolean): Promise<ActionResult<void>> {
    const user = await this.requireUser(subject);
    if (user.enabled === enabled) return alreadyDone();
    await this.api.put(`users/${user.id}`, { ...user, enabled });
    return done();
  }

  protected user(subject: Subject): Promise<UserRep> {
    return this.requireUser(subject);
  }

  /** Groups by path; realm roles by name; client roles as `clientId/role`. The realm's default roles are not entitlements. */
  protected async entitlementsOf({ id: userId }: UserRep): Promise<Entitlement[]> {
    const [groups, roles] = await Promise.all([
      this.groupsOf(userId),
      this.api.get<RoleMappings>(`users/${userId}/role-mappings`).then((r) => r.body),
    ]);
    const defaultRoles = `default-roles-${this.realm.realm}`.toLowerCase();
    return [
      ...groups.map((g): Entitlement => ({ kind: 'group', id: g.path, name: g.name })),
      ...(roles.realmMappings ?? [])
        .filter((r) => r.name !== defaultRoles)
        .map((r): Entitlement => ({ kind: 'role', id: r.name, name: r.name })),
      ...Object.values(roles.clientMappings ?? {}).flatMap((c) =>
        c.mappings.map((r): Entitlement => ({ kind: 'role', id: `${c.client}/${r.name}`, name: r.name })),
      ),
    ];
  }

  private async groupsOf(userId: string): Promise<GroupRep[]> {
    const groups: GroupRep[] = [];
    for (let first = 0; ; first += PAGE) {
      const page = (await this.api.get<GroupRep[]>(`users/${userId}/groups`, { query: { first, max: PAGE } })).body;
      groups.push(...page);
      if (page.length < PAGE) return groups;
    }
  }

  protected async grant({ id: userId }: UserRep, e: EntitlementRef): Promise<void> {
    if (e.kind === 'group') {
      const group = (
        await this.api.get<GroupRep>(`group-by-path/${e.id.slice(1).split('/').map(encodeURIComponent).join('/')}`)
      ).body;
      await this.api.put(`users/${userId}/groups/${group.id}`);
    } else {
      const { path, role } = await this.role(e.id);
      await this.api.post(`users/${userId}/role-mappings/${path}`, [role]);
    }
  }

  /** Groups may be named by path or by id; entitlements are listed (and compared) by path. */
  protected override async canonical<E extends EntitlementRef>(e: E): Promise<E> {
    checkKind(e);
    if (e.kind !== 'group' || e.id.startsWith('/')) return e;
    return { ...e, id: (await this.api.get<GroupRep>(`groups/${encodeURIComponent(e.id)}`)).body.path };
  }

  protected async revoke({ id: userId }: UserRep, e: Entitlement): Promise<void> {
    if (e.kind === 'group') {
      const group = (await this.groupsOf(userId)).find((g) => g.path === e.id);
      if (group) await idempotentDelete(() => this.api.delete(`users/${userId}/groups/${group.id}`));
      return;
    }
    const { path, role } = await this.role(e.id);
    await this.api.delete(`users/${userId}/role-mappings/${path}`, { body: [role] });
  }

  /** Resolves a role entitlement id to its role-mapping path and representation. */
  private async role(id: string): Promise<{ path: string; role: RoleRep }> {
    const slash = id.lastIndexOf('/');
    if (slash < 0)
      return { path: 'realm', role: (await this.api.get<RoleRep>(`roles/${encodeURIComponent(id)}`)).body };
    const client = await this.requireClient(id.slice(0, slash));
    const role = (await this.api.get<RoleRep>(`clients/${client.id}/roles/${encodeURIComponent(id.slice(slash + 1))}`))
      .body;
    return { path: `clients/${client.id}`, role };
  }
}

/** Keycloak has first and last names; a display name is split at its first space. */
function names(displayName: string | undefined): Partial<UserRep> {
  if (displayName === undefined) return {};
  const [firstName, ...rest] = displayName.trim().split(/\s+/);
  return { firstName, lastName: rest.join(' ') };
}

function checkKind<E extends { kind: string }>(e: E): E {
  if (e.kind !== 'group' && e.kind !== 'role')
    throw new PlatformError('invalid', `keycloak entitlements are groups and roles, not ${e.kind}`);
  return e;
}

function secretInfo(client: ClientRep): CredentialInfo {
  const createdSeconds = Number(client.attributes?.[SECRET_CREATED_ATTRIBUTE] ?? 0);
  return {
    platform: 'keycloak',
    id: `client-secret@${createdSeconds}`,
    kind: 'client-secret',
    ownerId: client.clientId,
    status: client.enabled ? 'active' : 'inactive',
    createdAt: createdSeconds ? new Date(createdSeconds * 1000).toISOString() : undefined,
  };
}
