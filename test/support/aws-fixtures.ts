import {
  AttachUserPolicyCommand,
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetLoginProfileCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MOTO_ENV } from './moto';

const READ_ONLY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:Get*'], Resource: ['*'] }],
});

/** SDK clients on moto for seeding and checking state behind the adapter's back. */
export function awsClients(endpoint: string) {
  const config = {
    endpoint,
    region: 'eu-west-1',
    credentials: {
      accessKeyId: MOTO_ENV.MOTO_TEST_ACCESS_KEY_ID,
      secretAccessKey: MOTO_ENV.MOTO_TEST_SECRET_ACCESS_KEY,
    },
  };
  return { iam: new IAMClient(config), secrets: new SecretsManagerClient(config) };
}

export interface SeededIamUser {
  userName: string;
  accessKeyIds: string[];
  groups: string[];
  policyArn: string;
  mfaSerial: string;
}

/**
 * A realistic leaver in IAM: console password, two access keys, two groups, an
 * attached managed policy, an inline policy and a virtual MFA device. Names are
 * unique per call, so tests sharing one moto do not collide.
 */
export async function seedIamUser(iam: IAMClient, userName: string): Promise<SeededIamUser> {
  await iam.send(
    new CreateUserCommand({
      UserName: userName,
      Tags: [{ Key: 'identity-runbooks:subject-id', Value: `e-${userName}` }],
    }),
  );
  await iam.send(
    new CreateLoginProfileCommand({
      UserName: userName,
      Password: `Pw-${userName}-0123456789!`,
      PasswordResetRequired: false,
    }),
  );
  const accessKeyIds: string[] = [];
  for (let i = 0; i < 2; i++)
    accessKeyIds.push((await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!.AccessKeyId!);
  const groups = [`${userName}-engineering`, `${userName}-oncall`];
  for (const group of groups) {
    await iam.send(new CreateGroupCommand({ GroupName: group }));
    await iam.send(new AddUserToGroupCommand({ GroupName: group, UserName: userName }));
  }
  const policy = await iam.send(new CreatePolicyCommand({ PolicyName: `${userName}-read`, PolicyDocument: READ_ONLY }));
  await iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: policy.Policy!.Arn }));
  await iam.send(new PutUserPolicyCommand({ UserName: userName, PolicyName: 'adhoc-s3', PolicyDocument: READ_ONLY }));
  const mfa = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: `${userName}-phone` }));
  const mfaSerial = mfa.VirtualMFADevice!.SerialNumber!;
  await iam.send(
    new EnableMFADeviceCommand({
      UserName: userName,
      SerialNumber: mfaSerial,
      AuthenticationCode1: '123456',
      AuthenticationCode2: '654321',
    }),
  );
  return { userName, accessKeyIds, groups, policyArn: policy.Policy!.Arn!, mfaSerial };
}

/** What an offboarding must have left: read straight from IAM. */
export async function iamUserState(iam: IAMClient, userName: string) {
  const [keys, groups, attached, inline, mfa] = await Promise.all([
    iam.send(new ListAccessKeysCommand({ UserName: userName })),
    iam.send(new ListGroupsForUserCommand({ UserName: userName })),
    iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName })),
    iam.send(new ListUserPoliciesCommand({ UserName: userName })),
    iam.send(new ListMFADevicesCommand({ UserName: userName })),
  ]);
  const loginProfile = await iam.send(new GetLoginProfileCommand({ UserName: userName })).then(
    () => true,
    (err: Error) => (err.name === 'NoSuchEntityException' ? false : Promise.reject(err)),
  );
  return {
    loginProfile,
    accessKeys: (keys.AccessKeyMetadata ?? []).map((k) => ({ id: k.AccessKeyId!, status: k.Status })),
    groups: (groups.Groups ?? []).map((g) => g.GroupName),
    attachedPolicies: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn),
    inlinePolicies: inline.PolicyNames ?? [],
    mfaDevices: (mfa.MFADevices ?? []).map((d) => d.SerialNumber),
  };
}
