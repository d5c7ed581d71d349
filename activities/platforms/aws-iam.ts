import { createHash } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteUserCommand,
  IAMClient,
  PutUserPolicyCommand,
  type Tag,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
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
import { awsCall, awsClientConfig, type AwsClientConfig } from './aws-client';
import { IamUserApi, REVOKE_SESSIONS_POLICY } from './aws-iam-user';
import { PlatformError } from '../errors';
import { EntitlementAdapter } from './entitlement-adapter';

/** User tags this adapter writes. The access-key description tag (key = AccessKeyId) follows the IAM console. */
const TAGS = {
  subjectId: 'identity-runbooks:subject-id',
  email: 'email',
  displayName: 'display-name',
  managerId: 'manager-id',
} as const;
/** Access keys deactivated by disableAccount, so enableAccount restores exactly those. */
const DISABLED_KEYS_TAG = 'identity-runbooks:disabled-access-keys';
/** createCredential's idempotency record: tag key per request, value = the access key it created. */
const REQUEST_TAG_PREFIX = 'identity-runbooks:request:';
const MAX_ACCESS_KEYS = 2;

/**
 * AWS IAM users as identities: console password (login profile), access keys
 * and other credentials, groups and policies. IAM has no per-user federation
 * links or ownership, so those actions are not in its catalogue.
 */
export const awsIamAdapterFactory: AdapterFactory = (connection, readSecret) =>
  new AwsIamAdapter(
    awsClientConfig(connection, readSecret),
    connection.settings?.serviceSpecificCredentials !== 'unsupported',
  );

/** Groups and managed or inline policies are its entitlements, on the shared idempotent EntitlementAdapter (the user is its name). */
export class AwsIamAdapter extends EntitlementAdapter<string> implements PlatformAdapter {
  readonly platform = 'aws-iam' as const;
  private readonly users: IamUserApi;

  constructor(
    private readonly config: AwsClientConfig,
    serviceSpecificCredentials = true,
  ) {
    super();
    this.users = new IamUserApi(new IAMClient(config), serviceSpecificCredentials);
  }

  async createAccount({ subject, entitlements = [] }: ActionInputs['createAccount']): AdapterResult<'createAccount'> {
    const userName = userNameOf(subject);
    let created = true;
    try {
      await awsCall('CreateUser', () =>
        this.iam.send(new CreateUserCommand({ UserName: userName, Tags: subjectTags(subject) })),
      );
    } catch (err) {
      if (!(err instanceof PlatformError && err.kind === 'conflict')) throw err;
      const owner = (await this.users.tags(userName)).get(TAGS.subjectId);
      if (owner !== undefined && owner !== tagValue(subject.subjectId))
        throw new PlatformError('conflict', `IAM user ${userName} belongs to another subject`);
      created = false;
    }
    const granted = await this.grantMissing(userName, entitlements);
    const result =
      created || granted > 0 ? done(granted ? `granted ${granted} entitlement(s)` : undefined) : alreadyDone();
    return { ...result, data: { accountId: userName } };
  }

  async updateAccount({ subject, changes }: ActionInputs['updateAccount']): AdapterResult<'updateAccount'> {
    const userName = userNameOf(subject);
    const current = await this.users.tags(userName);
    const fields: [string, string | undefined][] = [
      [TAGS.email, changes.email],
      [TAGS.displayName, changes.displayName],
      [TAGS.managerId, changes.managerId],
    ];
    const wanted: Tag[] = fields
      .filter((f): f is [string, string] => f[1] !== undefined)
      .map(([Key, value]) => ({ Key, Value: tagValue(value) }))
      .filter((t) => current.get(t.Key) !== t.Value);
    if (wanted.length === 0) return alreadyDone();
    await this.users.tag(userName, wanted);
    return done(`updated ${wanted.map((t) => t.Key).join(', ')}`);
  }

  disableAccount({ subject }: ActionInputs['disableAccount']): AdapterResult<'disableAccount'> {
    return this.disableUser(userNameOf(subject));
  }

  async enableAccount({ subject }: ActionInputs['enableAccount']): AdapterResult<'enableAccount'> {
    const userName = userNameOf(subject);
    const recorded = (await this.users.tags(userName)).get(DISABLED_KEYS_TAG);
    if (recorded === undefined) return alreadyDone('no access keys were deactivated by disableAccount');
    const ids = new Set(recorded.split(/\s+/).filter(Boolean));
    const keys = await this.users.accessKeys(userName);
    const restore = keys.filter((k) => ids.has(k.AccessKeyId!) && k.Status !== 'Active');
    for (const k of restore) await this.users.setAccessKeyStatus(userName, k.AccessKeyId!, 'Active');
    await this.users.untag(userName, [DISABLED_KEYS_TAG]);
    // A console password cannot be restored without choosing a new one: that stays a human step.
    return done(`reactivated ${restore.length} access key(s); console access needs a new password`);
  }

  async deleteAccount({ subject }: ActionInputs['deleteAccount']): AdapterResult<'deleteAccount'> {
    const userName = userNameOf(subject);
    if (!(await this.users.user(userName))) return alreadyDone('no such IAM user');
    // IAM refuses DeleteUser while any of these remain (DeleteConflict).
    await this.users.deleteLoginProfile(userName);
    for (const k of await this.users.accessKeys(userName)) await this.users.deleteAccessKey(userName, k.AccessKeyId!);
    for (const c of await this.users.otherCredentials(userName)) await this.users.delete(userName, c);
    await this.users.removeMfaDevices(userName);
    for (const e of await this.allPolicies(userName)) await this.users.revoke(userName, e);
    await awsCall('DeleteUser', () => this.iam.send(new DeleteUserCommand({ UserName: userName })));
    return done();
  }

  /**
   * The console's "Revoke active sessions": an inline deny for tokens issued
   * before now. A repeat is already-done when no credential of the user has
   * been used since the last revocation, so no newer session can exist.
   */
  async revokeSessions({ subject }: ActionInputs['revokeSessions']): AdapterResult<'revokeSessions'> {
    const userName = userNameOf(subject);
    const existing = await this.users.inlinePolicy(userName, REVOKE_SESSIONS_POLICY);
    if (existing !== undefined) {
      const revokedBefore = revokedBeforeOf(existing);
      const lastActivity = await this.lastCredentialActivity(userName);
      if (revokedBefore && (!lastActivity || lastActivity <= revokedBefore))
        return alreadyDone(`sessions issued before ${revokedBefore.toISOString()} are already denied`);
    }
    const before = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    await awsCall('PutUserPolicy', () =>
      this.iam.send(
        new PutUserPolicyCommand({
          UserName: userName,
          PolicyName: REVOKE_SESSIONS_POLICY,
          PolicyDocument: revokePolicy(before),
        }),
      ),
    );
    return done(`denied sessions issued before ${before}`);
  }

  protected user(subject: Subject): Promise<string> {
    return Promise.resolve(userNameOf(subject));
  }

  protected entitlementsOf(userName: string): Promise<Entitlement[]> {
    return this.users.entitlements(userName);
  }

  protected grant(userName: string, e: EntitlementRef): Promise<void> {
    return this.users.grant(userName, e);
  }

  protected revoke(userName: string, e: Entitlement): Promise<void> {
    return this.users.revoke(userName, e);
  }

  /** Only groups and policies: anything else is refused before a call. */
  protected override canonical<E extends EntitlementRef>(e: E): Promise<E> {
    checkKind(e);
    return Promise.resolve(e);
  }

  async listCredentials({ subject, ownerId }: ActionInputs['listCredentials']): AdapterResult<'listCredentials'> {
    const userName = ownerId ?? (subject && userNameOf(subject));
    if (!userName) throw new PlatformError('invalid', 'listCredentials needs a subject or an ownerId');
    return { outcome: 'done', data: await this.accessKeysOf(userName) };
  }

  /** Every user's access keys, with their last use, a page of users at a time. */
  async listCredentialsPage({ cursor, limit }: PageRequest): Promise<CredentialPage> {
    const page = await this.users.usersPage(cursor, Math.min(limit, 1000));
    const credentials = (await Promise.all(page.users.map((u) => this.accessKeysOf(u.UserName!)))).flat();
    return { credentials, nextCursor: page.marker };
  }

  /**
   * IAM users as reviewable accounts: the subject id, email, name and manager from the tags this adapter writes
   * (onboarding, or an admin tagging by hand), a user with no console password as a service account, and the
   * last console sign-in or access-key use IAM reports.
   */
  async listAccounts({ cursor, limit }: PageRequest): Promise<AccountPage> {
    const page = await this.users.usersPage(cursor, Math.min(limit, 1000));
    const accounts = await Promise.all(
      page.users.map(async (u): Promise<Subject> => {
        const [tags, console, keys] = await Promise.all([
          this.users.tags(u.UserName!),
          this.users.hasLoginProfile(u.UserName!),
          this.accessKeysOf(u.UserName!),
        ]);
        const email = tags.get(TAGS.email);
        const activity = [u.PasswordLastUsed?.toISOString(), ...keys.map((k) => k.lastUsedAt)]
          .filter((t): t is string => t !== undefined)
          .sort();
        return {
          ...(console ? {} : { service: true }),
          ...(activity.length ? { lastActiveAt: activity.at(-1) } : {}),
          subjectId: tags.get(TAGS.subjectId) ?? u.UserName!,
          userName: u.UserName!,
          ...(email ? { email } : {}),
          ...(tags.get(TAGS.displayName) ? { displayName: tags.get(TAGS.displayName) } : {}),
          ...(tags.get(TAGS.managerId) ? { managerId: tags.get(TAGS.managerId) } : {}),
          accounts: { 'aws-iam': u.UserName! },
        };
      }),
    );
    return { accounts, nextCursor: page.marker };
  }

  private async accessKeysOf(userName: string): Promise<CredentialInfo[]> {
    const [keys, tags] = await Promise.all([this.users.accessKeys(userName), this.users.tags(userName)]);
    return Promise.all(
      keys.map(async (k): Promise<CredentialInfo> => ({
        ...accessKeyInfo(userName, k, tags),
        lastUsedAt: (await this.users.accessKeyLastUsed(k.AccessKeyId!))?.toISOString(),
      })),
    );
  }

  /**
   * CreateAccessKey, idempotent per idempotencyKey through a user tag. IAM shows
   * a secret once, so a repeat reports already-done with the key but no secret. At the
   * two-key limit an inactive key (the previous rotation's) makes room.
   */
  async createCredential({
    ownerId,
    kind,
    description,
    idempotencyKey,
  }: ActionInputs['createCredential']): AdapterResult<'createCredential'> {
    if (kind !== 'access-key') throw new PlatformError('invalid', `aws-iam issues access keys, not ${kind}`);
    const requestTag = REQUEST_TAG_PREFIX + createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
    const [tags, keys] = await Promise.all([this.users.tags(ownerId), this.users.accessKeys(ownerId)]);
    const earlier = keys.find((k) => k.AccessKeyId === tags.get(requestTag));
    if (earlier) {
      // IAM shows a secret once: the activity finds it in the secret store (or replaces a key whose secret was lost).
      return {
        ...alreadyDone(`access key ${earlier.AccessKeyId} was already created for this request`),
        data: { credential: accessKeyInfo(ownerId, earlier, tags) },
      };
    }
    let detail: string | undefined;
    if (keys.length >= MAX_ACCESS_KEYS) {
      const inactive = keys
        .filter((k) => k.Status !== 'Active')
        .sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
      if (!inactive)
        throw new PlatformError(
          'conflict',
          `IAM user ${ownerId} already has two active access keys: deactivate one first`,
        );
      await this.deleteKey(ownerId, inactive.AccessKeyId!, tags);
      detail = `deleted inactive access key ${inactive.AccessKeyId} to stay within the two-key limit`;
    }
    const created = await awsCall('CreateAccessKey', () =>
      this.iam.send(new CreateAccessKeyCommand({ UserName: ownerId })),
    );
    const key = created.AccessKey!;
    const label = tagValue(description ?? 'created by identity-runbooks');
    try {
      await this.users.tag(ownerId, [
        { Key: requestTag, Value: key.AccessKeyId },
        { Key: key.AccessKeyId, Value: label },
      ]);
    } catch (err) {
      // Untracked, the key would block the retry at the two-key limit and its secret would be lost: remove it.
      await this.users.deleteAccessKey(ownerId, key.AccessKeyId!).catch(() => undefined);
      throw err;
    }
    return {
      ...done(detail),
      data: {
        credential: accessKeyInfo(ownerId, key, new Map([[key.AccessKeyId!, label]])),
        secret: key.SecretAccessKey!,
      },
    };
  }

  async deactivateCredential({
    ownerId,
    credentialId,
  }: ActionInputs['deactivateCredential']): AdapterResult<'deactivateCredential'> {
    const key = (await this.users.accessKeys(ownerId)).find((k) => k.AccessKeyId === credentialId);
    // A deleted key is as switched off as a deactivated one (a rotation run repeated after its delete step).
    if (!key) return alreadyDone(`IAM user ${ownerId} has no access key ${credentialId}`);
    if (key.Status !== 'Active') return alreadyDone();
    await this.users.setAccessKeyStatus(ownerId, credentialId, 'Inactive');
    return done();
  }

  async deleteCredential({
    ownerId,
    credentialId,
  }: ActionInputs['deleteCredential']): AdapterResult<'deleteCredential'> {
    if (!(await this.users.user(ownerId))) return alreadyDone('no such IAM user');
    return (await this.deleteKey(ownerId, credentialId, await this.users.tags(ownerId))) ? done() : alreadyDone();
  }

  /** An IAM user used as a service account: the same as disabling a person's user. */
  disableServiceAccount({
    serviceAccountId,
  }: ActionInputs['disableServiceAccount']): AdapterResult<'disableServiceAccount'> {
    return this.disableUser(serviceAccountId);
  }

  /** Rotation's test step: STS GetCallerIdentity signed with the new key must name its owner. */
  async verifyCredential(credential: CredentialInfo, secret: string): Promise<boolean> {
    const sts = new STSClient({ ...this.config, credentials: { accessKeyId: credential.id, secretAccessKey: secret } });
    try {
      const identity = await awsCall('GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({})));
      return (
        identity.Arn?.split(':').at(-1)?.split('/').at(-1) === credential.ownerId && identity.Arn.includes(':user/')
      );
    } catch (err) {
      if (err instanceof PlatformError && err.kind === 'forbidden') return false;
      throw err;
    } finally {
      sts.destroy();
    }
  }

  private get iam(): IAMClient {
    return this.users.client;
  }

  /** Removes console access and deactivates every credential; records the access keys for enableAccount. */
  private async disableUser(userName: string): Promise<ActionResult<void>> {
    const changed: string[] = [];
    if (await this.users.deleteLoginProfile(userName)) changed.push('console password removed');
    const active = (await this.users.accessKeys(userName))
      .filter((k) => k.Status === 'Active')
      .map((k) => k.AccessKeyId!);
    if (active.length > 0) {
      const recorded = (await this.users.tags(userName)).get(DISABLED_KEYS_TAG)?.split(/\s+/).filter(Boolean) ?? [];
      // Recorded before deactivating, so a retry after a crash still knows what to restore.
      await this.users.tag(userName, [
        { Key: DISABLED_KEYS_TAG, Value: [...new Set([...recorded, ...active])].join(' ') },
      ]);
      for (const id of active) await this.users.setAccessKeyStatus(userName, id, 'Inactive');
      changed.push(`${active.length} access key(s) deactivated`);
    }
    const others = (await this.users.otherCredentials(userName)).filter((c) => c.active);
    for (const c of others) await this.users.deactivate(userName, c);
    if (others.length > 0) changed.push(`${others.length} other credential(s) deactivated`);
    return changed.length ? done(changed.join('; ')) : alreadyDone();
  }

  /** Every policy, including the session-revocation deny, which must go before DeleteUser. */
  private async allPolicies(userName: string): Promise<Entitlement[]> {
    const held = await this.users.entitlements(userName);
    const revoke = await this.users.inlinePolicy(userName, REVOKE_SESSIONS_POLICY);
    return revoke === undefined ? held : [...held, { kind: 'policy', id: `inline:${REVOKE_SESSIONS_POLICY}` }];
  }

  private async deleteKey(userName: string, accessKeyId: string, tags: Map<string, string>): Promise<boolean> {
    const deleted = await this.users.deleteAccessKey(userName, accessKeyId);
    const stale = [...tags]
      .filter(([k, v]) => k === accessKeyId || (k.startsWith(REQUEST_TAG_PREFIX) && v === accessKeyId))
      .map(([k]) => k);
    await this.users.untag(userName, stale);
    return deleted;
  }

  private async lastCredentialActivity(userName: string): Promise<Date | undefined> {
    const user = await this.users.user(userName);
    const keys = await this.users.accessKeys(userName);
    const used = await Promise.all(keys.map((k) => this.users.accessKeyLastUsed(k.AccessKeyId!)));
    const times = [user?.PasswordLastUsed, ...used].filter((d): d is Date => d instanceof Date).map((d) => d.getTime());
    return times.length ? new Date(Math.max(...times)) : undefined;
  }
}

/** An access key as a credential; its description is the console's tag keyed by the key id. */
function accessKeyInfo(
  userName: string,
  key: { AccessKeyId?: string; Status?: string; CreateDate?: Date },
  tags: Map<string, string>,
): CredentialInfo {
  return {
    platform: 'aws-iam',
    id: key.AccessKeyId!,
    kind: 'access-key',
    ownerId: userName,
    status: key.Status === 'Inactive' ? 'inactive' : 'active',
    createdAt: key.CreateDate?.toISOString(),
    description: tags.get(key.AccessKeyId!),
  };
}

export function userNameOf(subject: Subject): string {
  return subject.accounts?.['aws-iam'] ?? subject.userName;
}

function checkKind(e: Entitlement | ActionInputs['addEntitlement']['entitlement']): Entitlement {
  if (e.kind !== 'group' && e.kind !== 'policy')
    throw new PlatformError('invalid', `aws-iam entitlements are groups and policies, not ${e.kind}`);
  return e;
}

/** IAM tag values allow letters, digits, spaces and _.:/=+-@ only. */
function tagValue(value: string): string {
  return value.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256);
}

function subjectTags(subject: Subject): Tag[] {
  const tags: Tag[] = [{ Key: TAGS.subjectId, Value: tagValue(subject.subjectId) }];
  if (subject.email) tags.push({ Key: TAGS.email, Value: tagValue(subject.email) });
  if (subject.displayName) tags.push({ Key: TAGS.displayName, Value: tagValue(subject.displayName) });
  if (subject.managerId) tags.push({ Key: TAGS.managerId, Value: tagValue(subject.managerId) });
  return tags;
}

function revokePolicy(issuedBefore: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Deny',
        Action: ['*'],
        Resource: ['*'],
        Condition: { DateLessThan: { 'aws:TokenIssueTime': issuedBefore } },
      },
    ],
  });
}

function revokedBeforeOf(policyDocument: string): Date | undefined {
  try {
    const doc = JSON.parse(policyDocument) as {
      Statement?: { Condition?: { DateLessThan?: Record<string, string> } }[];
    };
    const at = doc.Statement?.[0]?.Condition?.DateLessThan?.['aws:TokenIssueTime'];
    return at ? new Date(at) : undefined;
  } catch {
    return undefined;
  }
}
