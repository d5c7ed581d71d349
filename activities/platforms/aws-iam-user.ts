import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  DeleteUserPolicyCommand,
  DeleteVirtualMFADeviceCommand,
  DetachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  ListServiceSpecificCredentialsCommand,
  ListUsersCommand,
  paginateListAccessKeys,
  paginateListAttachedUserPolicies,
  paginateListGroupsForUser,
  paginateListMFADevices,
  paginateListSigningCertificates,
  paginateListSSHPublicKeys,
  paginateListUserPolicies,
  paginateListUserTags,
  RemoveUserFromGroupCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
  UpdateServiceSpecificCredentialCommand,
  UpdateSigningCertificateCommand,
  UpdateSSHPublicKeyCommand,
  type AccessKeyMetadata,
  type IAMClient,
  type Tag,
  type User,
} from '@aws-sdk/client-iam';
import type { Entitlement } from '../../shared';
import { awsCall } from './aws-client';
import { PlatformError } from '../errors';

/** The inline policy the IAM console's "Revoke active sessions" writes; not an entitlement. */
export const REVOKE_SESSIONS_POLICY = 'AWSRevokeOlderSessions';
const INLINE = 'inline:';

/**
 * The IAM calls the adapter composes, one method per question or change about a
 * user, with paging and error classification done once. `undefined` / `false`
 * answers mean "not there", so callers can report already-done.
 */
export class IamUserApi {
  constructor(
    readonly client: IAMClient,
    /** Off only for IAM-compatible endpoints without the API (moto 5 answers it with a 500). */
    private readonly serviceSpecificCredentials = true,
  ) {}

  private send<T = unknown>(operation: string, command: object): Promise<T> {
    // One typed entry point for many commands: callers name the output shape they read.
    return awsCall(operation, () => this.client.send(command as never) as Promise<T>);
  }

  private async all<P, T>(
    operation: string,
    pages: AsyncIterable<P>,
    pick: (page: P) => T[] | undefined,
  ): Promise<T[]> {
    return awsCall(operation, async () => {
      const items: T[] = [];
      for await (const page of pages) items.push(...(pick(page) ?? []));
      return items;
    });
  }

  async user(userName: string): Promise<User | undefined> {
    return orUndefined(
      this.send<{ User?: User }>('GetUser', new GetUserCommand({ UserName: userName })).then((r) => r.User),
    );
  }

  /** One page of the account's users (IAM's Marker paging). */
  async usersPage(marker: string | undefined, maxItems: number): Promise<{ users: User[]; marker?: string }> {
    const page = await this.send<{ Users?: User[]; IsTruncated?: boolean; Marker?: string }>(
      'ListUsers',
      new ListUsersCommand({ Marker: marker, MaxItems: maxItems }),
    );
    return { users: page.Users ?? [], marker: page.IsTruncated ? page.Marker : undefined };
  }

  async tags(userName: string): Promise<Map<string, string>> {
    const tags = await this.all(
      'ListUserTags',
      paginateListUserTags({ client: this.client }, { UserName: userName }),
      (p) => p.Tags,
    );
    return new Map(tags.map((t) => [t.Key!, t.Value ?? '']));
  }

  async tag(userName: string, tags: Tag[]): Promise<void> {
    if (tags.length > 0) await this.send('TagUser', new TagUserCommand({ UserName: userName, Tags: tags }));
  }

  async untag(userName: string, keys: string[]): Promise<void> {
    if (keys.length > 0) await this.send('UntagUser', new UntagUserCommand({ UserName: userName, TagKeys: keys }));
  }

  /** Whether the user can sign in to the console (a person, as opposed to a service user with keys only). */
  async hasLoginProfile(userName: string): Promise<boolean> {
    return (
      (await orUndefined(this.send('GetLoginProfile', new GetLoginProfileCommand({ UserName: userName })))) !==
      undefined
    );
  }

  /** true when a console password existed and was removed. */
  async deleteLoginProfile(userName: string): Promise<boolean> {
    return ifFound(this.send('DeleteLoginProfile', new DeleteLoginProfileCommand({ UserName: userName })));
  }

  accessKeys(userName: string): Promise<AccessKeyMetadata[]> {
    return this.all(
      'ListAccessKeys',
      paginateListAccessKeys({ client: this.client }, { UserName: userName }),
      (p) => p.AccessKeyMetadata,
    );
  }

  async setAccessKeyStatus(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<void> {
    await this.send(
      'UpdateAccessKey',
      new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }),
    );
  }

  async deleteAccessKey(userName: string, accessKeyId: string): Promise<boolean> {
    return ifFound(
      this.send('DeleteAccessKey', new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId })),
    );
  }

  async accessKeyLastUsed(accessKeyId: string): Promise<Date | undefined> {
    const r = await this.send<{ AccessKeyLastUsed?: { LastUsedDate?: Date } }>(
      'GetAccessKeyLastUsed',
      new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }),
    );
    return r.AccessKeyLastUsed?.LastUsedDate;
  }

  /** SSH keys (CodeCommit), signing certificates and service-specific credentials: the user's other ways in. */
  async otherCredentials(userName: string): Promise<OtherCredential[]> {
    const [ssh, certs, specific] = await Promise.all([
      this.all(
        'ListSSHPublicKeys',
        paginateListSSHPublicKeys({ client: this.client }, { UserName: userName }),
        (p) => p.SSHPublicKeys,
      ),
      this.all(
        'ListSigningCertificates',
        paginateListSigningCertificates({ client: this.client }, { UserName: userName }),
        (p) => p.Certificates,
      ),
      this.serviceSpecificCredentials
        ? this.send<{ ServiceSpecificCredentials?: { ServiceSpecificCredentialId?: string; Status?: string }[] }>(
            'ListServiceSpecificCredentials',
            new ListServiceSpecificCredentialsCommand({ UserName: userName }),
          ).then((r) => r.ServiceSpecificCredentials ?? [])
        : [],
    ]);
    return [
      ...ssh.map((k) => ({ type: 'ssh-key' as const, id: k.SSHPublicKeyId!, active: k.Status === 'Active' })),
      ...certs.map((c) => ({
        type: 'signing-certificate' as const,
        id: c.CertificateId!,
        active: c.Status === 'Active',
      })),
      ...specific.map((s) => ({
        type: 'service-specific-credential' as const,
        id: s.ServiceSpecificCredentialId!,
        active: s.Status === 'Active',
      })),
    ];
  }

  async deactivate(userName: string, c: OtherCredential): Promise<void> {
    const status = 'Inactive';
    if (c.type === 'ssh-key')
      await this.send(
        'UpdateSSHPublicKey',
        new UpdateSSHPublicKeyCommand({ UserName: userName, SSHPublicKeyId: c.id, Status: status }),
      );
    if (c.type === 'signing-certificate')
      await this.send(
        'UpdateSigningCertificate',
        new UpdateSigningCertificateCommand({ UserName: userName, CertificateId: c.id, Status: status }),
      );
    if (c.type === 'service-specific-credential') {
      await this.send(
        'UpdateServiceSpecificCredential',
        new UpdateServiceSpecificCredentialCommand({
          UserName: userName,
          ServiceSpecificCredentialId: c.id,
          Status: status,
        }),
      );
    }
  }

  async delete(userName: string, c: OtherCredential): Promise<void> {
    if (c.type === 'ssh-key')
      await this.send(
        'DeleteSSHPublicKey',
        new DeleteSSHPublicKeyCommand({ UserName: userName, SSHPublicKeyId: c.id }),
      );
    if (c.type === 'signing-certificate')
      await this.send(
        'DeleteSigningCertificate',
        new DeleteSigningCertificateCommand({ UserName: userName, CertificateId: c.id }),
      );
    if (c.type === 'service-specific-credential') {
      await this.send(
        'DeleteServiceSpecificCredential',
        new DeleteServiceSpecificCredentialCommand({ UserName: userName, ServiceSpecificCredentialId: c.id }),
      );
    }
  }

  /** Deactivates and deletes every MFA device; virtual devices are deleted too (IAM requires it before DeleteUser). */
  async removeMfaDevices(userName: string): Promise<number> {
    const devices = await this.all(
      'ListMFADevices',
      paginateListMFADevices({ client: this.client }, { UserName: userName }),
      (p) => p.MFADevices,
    );
    for (const d of devices) {
      await this.send(
        'DeactivateMFADevice',
        new DeactivateMFADeviceCommand({ UserName: userName, SerialNumber: d.SerialNumber }),
      );
      if (d.SerialNumber?.startsWith('arn:')) {
        await ifFound(
          this.send('DeleteVirtualMFADevice', new DeleteVirtualMFADeviceCommand({ SerialNumber: d.SerialNumber })),
        );
      }
    }
    return devices.length;
  }

  /** Groups, attached managed policies and inline policies (except the session-revocation deny). */
  async entitlements(userName: string): Promise<Entitlement[]> {
    const [groups, attached, inline] = await Promise.all([
      this.all(
        'ListGroupsForUser',
        paginateListGroupsForUser({ client: this.client }, { UserName: userName }),
        (p) => p.Groups,
      ),
      this.all(
        'ListAttachedUserPolicies',
        paginateListAttachedUserPolicies({ client: this.client }, { UserName: userName }),
        (p) => p.AttachedPolicies,
      ),
      this.all(
        'ListUserPolicies',
        paginateListUserPolicies({ client: this.client }, { UserName: userName }),
        (p) => p.PolicyNames,
      ),
    ]);
    return [
      ...groups.map((g): Entitlement => ({ kind: 'group', id: g.GroupName!, name: g.Arn })),
      ...attached.map((p): Entitlement => ({ kind: 'policy', id: p.PolicyArn!, name: p.PolicyName })),
      ...inline
        .filter((name) => name !== REVOKE_SESSIONS_POLICY)
        .map((name): Entitlement => ({ kind: 'policy', id: `${INLINE}${name}`, name })),
    ];
  }

  async grant(userName: string, e: Entitlement): Promise<void> {
    if (e.kind === 'group')
      await this.send('AddUserToGroup', new AddUserToGroupCommand({ UserName: userName, GroupName: e.id }));
    else if (e.id.startsWith(INLINE))
      throw new PlatformError(
        'invalid',
        'an inline policy cannot be granted by name: grant a managed policy ARN or a group',
      );
    else await this.send('AttachUserPolicy', new AttachUserPolicyCommand({ UserName: userName, PolicyArn: e.id }));
  }

  async revoke(userName: string, e: Entitlement): Promise<void> {
    if (e.kind === 'group')
      await this.send('RemoveUserFromGroup', new RemoveUserFromGroupCommand({ UserName: userName, GroupName: e.id }));
    else if (e.id.startsWith(INLINE))
      await this.send(
        'DeleteUserPolicy',
        new DeleteUserPolicyCommand({ UserName: userName, PolicyName: e.id.slice(INLINE.length) }),
      );
    else await this.send('DetachUserPolicy', new DetachUserPolicyCommand({ UserName: userName, PolicyArn: e.id }));
  }

  async inlinePolicy(userName: string, policyName: string): Promise<string | undefined> {
    const r = await orUndefined(
      this.send<{ PolicyDocument?: string }>(
        'GetUserPolicy',
        new GetUserPolicyCommand({ UserName: userName, PolicyName: policyName }),
      ),
    );
    // IAM returns policy documents URL-encoded.
    return r?.PolicyDocument === undefined ? undefined : decodeURIComponent(r.PolicyDocument);
  }
}

export interface OtherCredential {
  type: 'ssh-key' | 'signing-certificate' | 'service-specific-credential';
  id: string;
  active: boolean;
}

async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof PlatformError && err.kind === 'not-found') return undefined;
    throw err;
  }
}

/** Runs a delete; false when IAM says it was already gone. */
async function ifFound(call: Promise<unknown>): Promise<boolean> {
  try {
    await call;
    return true;
  } catch (err) {
    if (err instanceof PlatformError && err.kind === 'not-found') return false;
    throw err;
  }
}
