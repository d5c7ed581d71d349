import { randomBytes } from 'node:crypto';
import type { CredentialInfo, Entitlement, EntitlementRef, PlatformConnection, Subject } from '../../shared';
import {
  type AccountPage,
  type AdapterFactory,
  type PageRequest,
  type PlatformAdapter,
  credentialInfo,
  enc,
  splitOnce,
} from './adapter';
import { EntitlementAdapter } from './entitlement-adapter';
import type { SecretReader } from '../connection-secrets';
import { PlatformError, parseRetryAfter } from '../errors';
import {
  forgetServiceAccountToken,
  parseServiceAccountKey,
  serviceAccountToken,
  type ServiceAccountTokenOptions,
} from './http/google-service-account';
import { type FailedResponse, idempotentCreate, idempotentDelete, RestClient } from './http/rest-client';

/**
 * Google Workspace through the Admin SDK Directory API v1 and the Data Transfer API v1.
 * Connection: credentials.serviceAccountKey = `env:VAR` holding the service account's JSON
 * key; settings.adminSubject = the admin it impersonates (domain-wide delegation);
 * settings.domain (to form addresses from user names), settings.customerId (default my_customer),
 * settings.tokenUrl (token endpoint override), settings.driveApplicationId (skips a lookup).
 *
 * Not offered (see CAPABILITIES): Google has no API to create or deactivate a user's OAuth grants
 * or app passwords (only list and delete), per-user federation links do not exist (SSO profiles
 * are org-wide), and Cloud service accounts live in Cloud IAM, not in the Directory. *
 * Why no official SDK: retries belong to Temporal, not to the client. Each call is one attempt; a 429 or 5xx
 * becomes a classified PlatformError (with Retry-After as the next retry delay) and Temporal retries it, so
 * the run shows `retrying` with the attempt, the platform's error and the next attempt time. @googleapis/admin
 * (with googleapis-common, gaxios and google-auth-library) retries inside the client too, and weighs several
 * megabytes for the dozen Directory calls used here; the service-account JWT grant is http/google-service-account.ts.
 */
const SCOPES = [
  'https://www.googleapis.com/auth/admin.directory.user',
  'https://www.googleapis.com/auth/admin.directory.user.security',
  'https://www.googleapis.com/auth/admin.directory.group',
  'https://www.googleapis.com/auth/admin.datatransfer',
];
const DIRECTORY = '/admin/directory/v1';
const TRANSFER = '/admin/datatransfer/v1';
const THROTTLE_REASONS = /"reason"\s*:\s*"(rateLimitExceeded|userRateLimitExceeded|quotaExceeded)"/;

interface GoogleUser {
  id: string;
  primaryEmail: string;
  suspended?: boolean;
  name?: { givenName?: string; familyName?: string; fullName?: string };
  relations?: { type: string; value: string }[];
  externalIds?: { type: string; value: string }[];
  /** ISO; Google reports the epoch (1970-01-01) for a user who never signed in. */
  lastLoginTime?: string;
}
interface Page {
  nextPageToken?: string;
}
interface Token {
  clientId: string;
  displayText?: string;
  scopes?: string[];
}
interface Asp {
  codeId: number;
  name?: string;
  creationTime?: string;
  lastTimeUsed?: string;
}
interface DataTransfer {
  id: string;
  overallTransferStatusCode?: string;
  applicationDataTransfers?: { applicationId: string }[];
}

export const googleWorkspaceAdapterFactory: AdapterFactory = (connection, readSecret) =>
  new GoogleWorkspaceAdapter(connection, readSecret);

class GoogleWorkspaceAdapter extends EntitlementAdapter<GoogleUser> implements PlatformAdapter {
  readonly platform = 'google-workspace' as const;
  private readonly rest: RestClient;
  private readonly settings: Record<string, string>;

  constructor(connection: PlatformConnection, readSecret: SecretReader) {
    super();
    this.settings = connection.settings ?? {};
    const keyRef = connection.credentials?.serviceAccountKey;
    // The Directory API answers a service account only when it acts for an admin (domain-wide delegation).
    if (!keyRef || !this.settings.adminSubject)
      throw new PlatformError(
        'invalid',
        'google-workspace connection needs credentials.serviceAccountKey and settings.adminSubject',
      );
    const grant = (): ServiceAccountTokenOptions => ({
      key: parseServiceAccountKey(readSecret(keyRef)),
      scopes: SCOPES,
      subject: this.settings.adminSubject,
      tokenUrl: this.settings.tokenUrl,
    });
    this.rest = new RestClient({
      platform: 'google-workspace',
      baseUrl: connection.baseUrl ?? 'https://admin.googleapis.com/',
      classifyFailure: googleFailure,
      headers: async () => ({ Authorization: `Bearer ${await serviceAccountToken(grant())}` }),
      dropCachedAuth: () => forgetServiceAccountToken(grant()),
    });
  }

  async createAccount({ subject, entitlements = [] }: { subject: Subject; entitlements?: EntitlementRef[] }) {
    const email = this.userKey(subject);
    // Google requires a password; this one is never stored or shown: the joiner signs in through SSO or a reset.
    const created = await idempotentCreate(() =>
      this.rest.post(`${DIRECTORY}/users`, {
        primaryEmail: email,
        name: googleName(subject.displayName ?? subject.userName),
        password: randomBytes(24).toString('base64url'),
        changePasswordAtNextLogin: true,
        externalIds: [{ type: 'organization', value: subject.subjectId }],
      }),
    );
    const user = await this.user(subject);
    await this.grantMissing(user, entitlements);
    return { outcome: created.outcome, data: { accountId: user.id } };
  }

  async updateAccount({
    subject,
    changes,
  }: {
    subject: Subject;
    changes: Partial<Pick<Subject, 'email' | 'displayName' | 'managerId'>>;
  }) {
    const user = await this.user(subject);
    const patch: Partial<GoogleUser> = {};
    if (changes.email && changes.email !== user.primaryEmail) patch.primaryEmail = changes.email;
    if (changes.displayName && changes.displayName !== user.name?.fullName)
      patch.name = googleName(changes.displayName);
    const manager = user.relations?.find((r) => r.type === 'manager')?.value;
    if (changes.managerId && changes.managerId !== manager) {
      patch.relations = [
        ...(user.relations ?? []).filter((r) => r.type !== 'manager'),
        { type: 'manager', value: changes.managerId },
      ];
    }
    if (Object.keys(patch).length === 0) return { outcome: 'already-done' as const };
    await this.rest.patch(`${DIRECTORY}/users/${enc(user.id)}`, patch);
    return { outcome: 'done' as const };
  }

  disableAccount({ subject }: { subject: Subject }) {
    return this.setSuspended(subject, true);
  }

  enableAccount({ subject }: { subject: Subject }) {
    return this.setSuspended(subject, false);
  }

  async deleteAccount({ subject }: { subject: Subject }) {
    return idempotentDelete(() => this.rest.delete(`${DIRECTORY}/users/${enc(this.userKey(subject))}`));
  }

  /** Signs the user out of every web and device session (signOut). OAuth grants are credentials: see listCredentials. */
  async revokeSessions({ subject }: { subject: Subject }) {
    await this.rest.post(`${DIRECTORY}/users/${enc(this.userKey(subject))}/signOut`);
    // Google reports nothing about sessions, so a repeat cannot be told apart: signOut is harmless to repeat.
    return { outcome: 'done' as const };
  }

  /** Group memberships, over every page of groups?userKey. */
  protected async entitlementsOf(user: GoogleUser): Promise<Entitlement[]> {
    const groups: Entitlement[] = [];
    for await (const page of this.pages<Page & { groups?: { id: string; email: string; name?: string }[] }>(
      `${DIRECTORY}/groups`,
      { userKey: user.primaryEmail, maxResults: 200 },
    )) {
      for (const g of page.groups ?? []) groups.push({ kind: 'group', id: g.email, name: g.name });
    }
    return groups;
  }

  protected async grant(user: GoogleUser, entitlement: EntitlementRef): Promise<void> {
    groupOnly(entitlement);
    await idempotentCreate(() =>
      this.rest.post(`${DIRECTORY}/groups/${enc(entitlement.id)}/members`, {
        email: user.primaryEmail,
        role: 'MEMBER',
      }),
    );
  }

  protected async revoke(user: GoogleUser, entitlement: Entitlement): Promise<void> {
    await idempotentDelete(() =>
      this.rest.delete(`${DIRECTORY}/groups/${enc(entitlement.id)}/members/${enc(user.primaryEmail)}`),
    );
  }

  /** The user's OAuth grants to third-party apps (tokens) and application-specific passwords: credentials that outlive a suspension. */
  async listCredentials({ subject, ownerId }: { subject?: Subject; ownerId?: string }) {
    const owner = ownerId ?? (subject ? this.userKey(subject) : undefined);
    if (!owner) throw new PlatformError('invalid', 'listCredentials needs a subject or an ownerId');
    const [tokens, asps] = await Promise.all([
      this.rest.get<{ items?: Token[] }>(`${DIRECTORY}/users/${enc(owner)}/tokens`),
      this.rest.get<{ items?: Asp[] }>(`${DIRECTORY}/users/${enc(owner)}/asps`),
    ]);
    const credentials: CredentialInfo[] = [
      ...(tokens.body?.items ?? []).map((t) =>
        credentialInfo('google-workspace', owner, `oauth:${t.clientId}`, 'oauth-grant', { description: t.displayText }),
      ),
      ...(asps.body?.items ?? []).map((a) =>
        credentialInfo('google-workspace', owner, `asp:${a.codeId}`, 'password', {
          description: a.name,
          createdAt: epochMs(a.creationTime),
          lastUsedAt: epochMs(a.lastTimeUsed),
        }),
      ),
    ];
    return { outcome: 'done' as const, data: credentials };
  }

  /** Revokes an OAuth grant (tokens.delete) or deletes an app password (asps.delete); gone already = already done. */
  async deleteCredential({ ownerId, credentialId }: { ownerId: string; credentialId: string }) {
    const [kind, id] = splitOnce(credentialId, ':');
    if (!id || (kind !== 'oauth' && kind !== 'asp'))
      throw new PlatformError('invalid', `not a google-workspace credential id: ${credentialId}`);
    const collection = kind === 'oauth' ? 'tokens' : 'asps';
    return idempotentDelete(() => this.rest.delete(`${DIRECTORY}/users/${enc(ownerId)}/${collection}/${enc(id)}`));
  }

  /** Hands the leaver's Drive files to the new owner (Data Transfer API); an existing, not failed, transfer counts as done. */
  async transferOwnership({ subject, newOwner }: { subject: Subject; newOwner: Subject }) {
    const [from, to, applicationId] = await Promise.all([
      this.user(subject),
      this.user(newOwner),
      this.driveApplicationId(),
    ]);
    const query = { oldOwnerUserId: from.id, newOwnerUserId: to.id, customerId: this.customerId };
    for await (const page of this.pages<Page & { dataTransfers?: DataTransfer[] }>(`${TRANSFER}/transfers`, query)) {
      const existing = page.dataTransfers?.find(
        (t) =>
          t.overallTransferStatusCode !== 'failed' &&
          t.applicationDataTransfers?.some((a) => a.applicationId === applicationId),
      );
      if (existing)
        return {
          outcome: 'already-done' as const,
          detail: `transfer ${existing.id} is ${existing.overallTransferStatusCode ?? 'known'}`,
        };
    }
    const transfer = {
      oldOwnerUserId: from.id,
      newOwnerUserId: to.id,
      applicationDataTransfers: [
        { applicationId, applicationTransferParams: [{ key: 'PRIVACY_LEVEL', value: ['PRIVATE', 'SHARED'] }] },
      ],
    };
    const created = await this.rest.post<DataTransfer>(`${TRANSFER}/transfers`, transfer);
    return { outcome: 'done' as const, detail: `transfer ${created.body.id}` };
  }

  /**
   * The domain's users (suspended ones too) as reviewable accounts: the subject id from the organization external id
   * that createAccount writes (else the primary email), the manager from the manager relation, the last sign-in.
   * The account id is Google's immutable user id, so a rename between collection and revocation still resolves.
   */
  async listAccounts({ cursor, limit }: PageRequest): Promise<AccountPage> {
    const query = {
      customer: this.customerId,
      maxResults: Math.min(limit, 500),
      projection: 'full',
      pageToken: cursor,
    };
    const page = (await this.rest.get<Page & { users?: GoogleUser[] }>(`${DIRECTORY}/users`, { query })).body;
    const accounts = (page.users ?? []).map((u): Subject => {
      const manager = u.relations?.find((r) => r.type === 'manager')?.value;
      const lastActiveAt = signedInAt(u.lastLoginTime);
      return {
        subjectId: u.externalIds?.find((x) => x.type === 'organization')?.value ?? u.primaryEmail,
        userName: u.primaryEmail,
        email: u.primaryEmail,
        ...(u.name?.fullName ? { displayName: u.name.fullName } : {}),
        ...(manager ? { managerId: manager } : {}),
        accounts: { 'google-workspace': u.id },
        ...(lastActiveAt ? { lastActiveAt } : {}),
      };
    });
    return { accounts, nextCursor: page.nextPageToken };
  }

  private get customerId(): string {
    return this.settings.customerId ?? 'my_customer';
  }

  private async setSuspended(subject: Subject, suspended: boolean) {
    const user = await this.user(subject);
    if (Boolean(user.suspended) === suspended) return { outcome: 'already-done' as const };
    await this.rest.patch(`${DIRECTORY}/users/${enc(user.id)}`, { suspended });
    return { outcome: 'done' as const };
  }

  protected async user(subject: Subject): Promise<GoogleUser> {
    return (await this.rest.get<GoogleUser>(`${DIRECTORY}/users/${enc(this.userKey(subject))}`)).body;
  }

  /** Google's userKey: the known account id, else the primary email, else userName@domain. */
  private userKey(subject: Subject): string {
    const known = subject.accounts?.['google-workspace'] ?? subject.email;
    if (known) return known;
    return this.settings.domain && !subject.userName.includes('@')
      ? `${subject.userName}@${this.settings.domain}`
      : subject.userName;
  }

  private async driveApplicationId(): Promise<string> {
    if (this.settings.driveApplicationId) return this.settings.driveApplicationId;
    for await (const page of this.pages<Page & { applications?: { id: string; name: string }[] }>(
      `${TRANSFER}/applications`,
      { customerId: this.customerId },
    )) {
      const drive = page.applications?.find((a) => a.name === 'Drive and Docs');
      if (drive) return String(drive.id);
    }
    throw new PlatformError('not-found', 'google-workspace offers no "Drive and Docs" data transfer application');
  }

  /** Google's paging: the same request again with pageToken = the last page's nextPageToken. */
  private async *pages<P extends Page>(path: string, query: Record<string, string | number>): AsyncGenerator<P> {
    let pageToken: string | undefined;
    do {
      const page = (await this.rest.get<P>(path, { query: { ...query, pageToken } })).body;
      yield page;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }
}

/** Google reports per-user and per-project quota as 403 with a reason in the error body; those are retryable. */
function googleFailure(failure: FailedResponse): PlatformError | undefined {
  if (failure.status === 403 && THROTTLE_REASONS.test(failure.body)) {
    return new PlatformError(
      'throttled',
      failure.message,
      parseRetryAfter(failure.headers.get('retry-after')),
      failure.status,
    );
  }
  return undefined;
}

/** Google requires both name parts; a one-word name is used for both. */
function googleName(displayName: string): { givenName: string; familyName: string } {
  const [givenName = displayName, ...rest] = displayName.split(' ');
  return { givenName, familyName: rest.join(' ') || givenName };
}

function groupOnly(entitlement: EntitlementRef): void {
  if (entitlement.kind !== 'group')
    throw new PlatformError('invalid', `google-workspace entitlements are groups, not ${entitlement.kind}`);
}

/** Google reports a never-used sign-in as the epoch: that is no last activity. */
function signedInAt(value: string | undefined): string | undefined {
  return value && Date.parse(value) > 0 ? value : undefined;
}

/** Google reports app-password times as epoch milliseconds in a string; 0 means never. */
function epochMs(value: string | undefined): string | undefined {
  const ms = Number(value);
  return ms > 0 ? new Date(ms).toISOString() : undefined;
}
