import { createHash } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { PlatformConnection, SecretRef } from '../../shared';
import { awsCall, awsClientConfig } from '../platforms/aws-client';
import type { SecretReader } from '../connection-secrets';
import { PlatformError } from '../errors';
import type { SecretStore } from '../secret-store';

const PENDING = 'AWSPENDING';
const CURRENT = 'AWSCURRENT';

/**
 * A tenant's AWS Secrets Manager with its real staging labels: a rotated value
 * is put as AWSPENDING, promotion moves AWSCURRENT to it (Secrets Manager
 * labels the old version AWSPREVIOUS), a failed test removes AWSPENDING.
 * `settings.namePrefix` keeps one tenant's rotated secrets under one path.
 */
export function awsSecretsManagerStoreFactory(connection: PlatformConnection, readSecret: SecretReader): SecretStore {
  return new AwsSecretsManagerStore(
    new SecretsManagerClient(awsClientConfig(connection, readSecret)),
    connection.settings?.namePrefix ?? '',
  );
}

export class AwsSecretsManagerStore implements SecretStore {
  readonly name = 'aws-secrets-manager';

  constructor(
    private readonly sm: SecretsManagerClient,
    private readonly namePrefix = '',
  ) {}

  /**
   * PutSecretValue with ClientRequestToken derived from the idempotency key (the
   * token becomes the version id). A repeat finds that version and returns it;
   * the same key with another value is a conflict, never an overwrite.
   */
  async putPending(secretName: string, value: string, idempotencyKey: string): Promise<SecretRef> {
    const id = this.secretId(secretName);
    const versionId = requestToken(idempotencyKey);
    const stages = await this.stages(id);
    if (stages?.[versionId]) {
      if ((await this.reveal({ store: this.name, name: secretName, versionId })) !== value) {
        throw new PlatformError('conflict', `secret ${secretName} already has a different value for this request`);
      }
      return { store: this.name, name: secretName, versionId };
    }
    if (!stages) {
      // Created without a value; Secrets Manager labels the first version put AWSCURRENT as well as AWSPENDING.
      await awsCall('CreateSecret', () =>
        this.sm.send(new CreateSecretCommand({ Name: id, Description: 'rotated by identity-runbooks' })),
      ).catch(ignore('conflict'));
    }
    const put = await awsCall('PutSecretValue', () =>
      this.sm.send(
        new PutSecretValueCommand({
          SecretId: id,
          SecretString: value,
          ClientRequestToken: versionId,
          VersionStages: [PENDING],
        }),
      ),
    );
    return { store: this.name, name: secretName, versionId: put.VersionId };
  }

  async promote(ref: SecretRef): Promise<void> {
    const id = this.secretId(ref.name);
    const version = versionOf(ref);
    const stages = await this.stages(id);
    if (!stages?.[version]) throw new PlatformError('not-found', `secret ${ref.name} has no version ${version}`);
    const current = versionWith(stages, CURRENT);
    if (current !== version) {
      await awsCall('UpdateSecretVersionStage', () =>
        this.sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId: id,
            VersionStage: CURRENT,
            MoveToVersionId: version,
            RemoveFromVersionId: current,
          }),
        ),
      );
    }
    if (stages[version].includes(PENDING)) await this.removeStage(id, PENDING, version);
  }

  async discardPending(ref: SecretRef): Promise<void> {
    const id = this.secretId(ref.name);
    const stages = await this.stages(id);
    if (stages?.[versionOf(ref)]?.includes(PENDING)) await this.removeStage(id, PENDING, versionOf(ref));
  }

  async current(secretName: string): Promise<SecretRef | undefined> {
    const stages = await this.stages(this.secretId(secretName));
    const versionId = stages && versionWith(stages, CURRENT);
    return versionId ? { store: this.name, name: secretName, versionId } : undefined;
  }

  async versionFor(secretName: string, idempotencyKey: string): Promise<SecretRef | undefined> {
    const versionId = requestToken(idempotencyKey);
    const stages = await this.stages(this.secretId(secretName));
    return stages?.[versionId] ? { store: this.name, name: secretName, versionId } : undefined;
  }

  async reveal(ref: SecretRef): Promise<string> {
    const got = await awsCall('GetSecretValue', () =>
      this.sm.send(new GetSecretValueCommand({ SecretId: this.secretId(ref.name), VersionId: ref.versionId })),
    );
    if (got.SecretString === undefined) throw new PlatformError('invalid', `secret ${ref.name} holds no string value`);
    return got.SecretString;
  }

  /** Version id → staging labels, or undefined when the secret does not exist. */
  private async stages(id: string): Promise<Record<string, string[]> | undefined> {
    try {
      const described = await awsCall('DescribeSecret', () =>
        this.sm.send(new DescribeSecretCommand({ SecretId: id })),
      );
      return described.VersionIdsToStages ?? {};
    } catch (err) {
      if (err instanceof PlatformError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  private async removeStage(id: string, stage: string, version: string): Promise<void> {
    await awsCall('UpdateSecretVersionStage', () =>
      this.sm.send(
        new UpdateSecretVersionStageCommand({ SecretId: id, VersionStage: stage, RemoveFromVersionId: version }),
      ),
    );
  }

  private secretId(secretName: string): string {
    return this.namePrefix + secretName;
  }
}

function versionOf(ref: SecretRef): string {
  if (!ref.versionId) throw new PlatformError('invalid', `secret reference ${ref.name} names no version`);
  return ref.versionId;
}

function versionWith(stages: Record<string, string[]>, stage: string): string | undefined {
  return Object.entries(stages).find(([, labels]) => labels.includes(stage))?.[0];
}

/** ClientRequestToken must be 32–64 characters: short or odd keys are hashed (deterministically, so repeats match). */
function requestToken(idempotencyKey: string): string {
  return /^[A-Za-z0-9-]{32,64}$/.test(idempotencyKey)
    ? idempotencyKey
    : createHash('sha256').update(idempotencyKey).digest('hex');
}

function ignore(kind: PlatformError['kind']) {
  return (err: unknown) => {
    if (!(err instanceof PlatformError && err.kind === kind)) throw err;
  };
}
