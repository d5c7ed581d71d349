/**
 * Payload encryption: the codec alone (round trip, key rotation, tampering),
 * the configuration's one-line errors, and a real run on the dev server whose
 * stored history must not contain the subject's email or name.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowIdConflictPolicy, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { AesGcmPayloadCodec, encryptingDataConverter, parseEncryptionKeys } from '../infra/codec';
import { parseConfig } from '../infra/config';
import type { OnboardingRequest, OffboardingRequest } from '../shared';
import { RUNBOOK_KIND, SUBJECT_ID, TENANT_ID } from '../shared/search-attributes';
import { runWorkflowId } from '../shared/workflow-ids';
import type { offboarding } from '../workflows/offboarding';
import type { onboarding } from '../workflows/onboarding';
import { workflowEnv, type WorkflowEnv } from './support/workflow-env';

const keyText = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const payload = defaultPayloadConverter.toPayload({ email: 'ada@example.com' });

describe('AES-256-GCM payload codec', () => {
  it('round-trips a payload and hides its content', async () => {
    const codec = new AesGcmPayloadCodec(parseEncryptionKeys(keyText('k1')));
    const [encoded] = await codec.encode([payload]);
    expect(Buffer.from(encoded!.data!).toString('latin1')).not.toContain('ada@example.com');
    expect(Buffer.from(encoded!.metadata!['encryption-key-id']!).toString()).toBe('k1');
    expect(defaultPayloadConverter.fromPayload((await codec.decode([encoded!]))[0]!)).toEqual({
      email: 'ada@example.com',
    });
  });

  it('decrypts with an older key after rotation and encrypts with the first', async () => {
    const [k2, k1] = [keyText('k2'), keyText('k1')];
    const before = new AesGcmPayloadCodec(parseEncryptionKeys(k1));
    const after = new AesGcmPayloadCodec(parseEncryptionKeys(`${k2},${k1}`));
    const [old] = await before.encode([payload]);
    expect(defaultPayloadConverter.fromPayload((await after.decode([old!]))[0]!)).toEqual({ email: 'ada@example.com' });
    const [fresh] = await after.encode([payload]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe('k2');
    await expect(before.decode([fresh!])).rejects.toThrow('payload encrypted with unknown key id "k2"');
  });

  it('refuses a tampered payload or a swapped key id', async () => {
    const codec = new AesGcmPayloadCodec(parseEncryptionKeys(`${keyText('a')},${keyText('b')}`));
    const [encoded] = await codec.encode([payload]);
    const tampered = Buffer.from(encoded!.data!);
    tampered.writeUInt8(tampered.readUInt8(20) ^ 1, 20);
    await expect(codec.decode([{ ...encoded!, data: tampered }])).rejects.toThrow(/auth/i);
    const relabelled = { ...encoded!, metadata: { ...encoded!.metadata, 'encryption-key-id': Buffer.from('b') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/auth/i);
  });

  it('rejects bad key configuration in one line that names the variable and never the key', () => {
    const short = `k1:${Buffer.alloc(16).toString('base64')}`;
    expect(() => parseConfig({ PAYLOAD_ENCRYPTION_KEYS: short })).toThrow(
      /^invalid configuration: PAYLOAD_ENCRYPTION_KEYS key "k1" must be 32 bytes of base64 \(got 16\)$/,
    );
    expect(() => parseConfig({ PAYLOAD_ENCRYPTION_KEYS: 'no-colon' })).toThrow(
      'invalid configuration: PAYLOAD_ENCRYPTION_KEYS entry 1 must be <key id>:<base64 key>',
    );
    const k = keyText('k1');
    expect(() => parseConfig({ PAYLOAD_ENCRYPTION_KEYS: `${k},${k}` })).toThrow(
      'invalid configuration: PAYLOAD_ENCRYPTION_KEYS key id "k1" appears twice',
    );
    expect(parseConfig({ PAYLOAD_ENCRYPTION_KEYS: k }).PAYLOAD_ENCRYPTION_KEYS?.[0]?.id).toBe('k1');
    expect(() => parseConfig({ WORKER_PLATFORMS: 'okta,myspace' })).toThrow(
      /^invalid configuration: WORKER_PLATFORMS unknown platform myspace/,
    );
  });
});

describe('on the dev server', () => {
  let encrypted: WorkflowEnv;
  let plain: WorkflowEnv;

  beforeAll(async () => {
    [encrypted, plain] = await Promise.all([
      workflowEnv('codec', {
        devServer: true,
        dataConverter: encryptingDataConverter(parseEncryptionKeys(keyText('test'))),
      }),
      workflowEnv('plain', { devServer: true }),
    ]);
  });
  afterAll(() => Promise.all([encrypted.teardown(), plain.teardown()]));

  async function onboard(w: WorkflowEnv, name: string): Promise<Buffer> {
    const tenantId = await w.tenant();
    const request: OnboardingRequest = {
      tenantId,
      requestedBy: { id: 'hr-1', kind: 'user' },
      runbookId: 'reference-onboarding',
      subject: { subjectId: `e-${name}`, userName: name, email: `${name}@example.com`, displayName: 'Zoë Secretname' },
      roleProfile: 'sales',
    };
    const handle = await w.client.workflow.start<typeof onboarding>('onboarding', {
      args: [request],
      taskQueue: w.queues.workflows,
      workflowId: runWorkflowId(tenantId, 'onboarding', `e-${name}`),
    });
    await handle.result();
    // Started without search attributes: the workflow upserted them.
    const { typedSearchAttributes } = await handle.describe();
    expect([
      typedSearchAttributes.get(TENANT_ID),
      typedSearchAttributes.get(RUNBOOK_KIND),
      typedSearchAttributes.get(SUBJECT_ID),
    ]).toEqual([tenantId, 'onboarding', `e-${name}`]);
    return historyBytes(handle);
  }

  it('keeps subject emails and names out of the stored history', async () => {
    const history = await onboard(encrypted, 'zoe');
    // The worker decrypted the input: the account has the email.
    expect(encrypted.reference.accounts.get('zoe')?.email).toBe('zoe@example.com');
    expect(history.includes('zoe@example.com')).toBe(false);
    expect(history.includes('Secretname')).toBe(false);
    // The same run without the codec: the search finds them, so the check above can fail.
    const control = await onboard(plain, 'zed');
    expect(control.includes('zed@example.com')).toBe(true);
    expect(control.includes('Secretname')).toBe(true);
  });

  it('keeps failure messages out of the stored history, and the client still reads them', async () => {
    const fail = async (w: WorkflowEnv, marker: string) => {
      const tenantId = await w.tenant();
      const request: OnboardingRequest = {
        tenantId,
        requestedBy: { id: 'hr-1', kind: 'user' },
        runbookId: 'reference-onboarding',
        subject: { subjectId: `e-${marker}`, userName: marker },
        roleProfile: `profile-${marker}`,
      };
      const handle = await w.client.workflow.start<typeof onboarding>('onboarding', {
        args: [request],
        taskQueue: w.queues.workflows,
        workflowId: runWorkflowId(tenantId, 'onboarding', `e-${marker}`),
      });
      await expect(handle.result()).rejects.toMatchObject({
        cause: { message: expect.stringContaining(`no role profile "profile-${marker}"`) },
      });
      return historyBytes(handle);
    };
    expect((await fail(encrypted, 'quokka')).includes('profile-quokka')).toBe(false);
    // Without the codec the message stands in the history: the check above can fail.
    expect((await fail(plain, 'wombat')).includes('profile-wombat')).toBe(true);
  });

  it('joins the running offboarding when the same leaver is requested twice', async () => {
    const w = encrypted;
    const tenantId = await w.tenant({ retentionDays: 30 });
    w.reference.seedAccount({ userName: 'gus' });
    const subject = { subjectId: 'e-gus', userName: 'gus' };
    const request = (by: string): OffboardingRequest => ({
      tenantId,
      requestedBy: { id: by, kind: 'user' },
      runbookId: 'reference-offboarding',
      subject,
      mode: 'immediate',
    });
    const start = (by: string) =>
      w.client.workflow.start<typeof offboarding>('offboarding', {
        args: [request(by)],
        taskQueue: w.queues.workflows,
        workflowId: runWorkflowId(tenantId, 'offboarding', subject.subjectId),
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
    const first = await start('desk-1');
    const second = await start('desk-2');
    expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
    expect((await w.client.workflow.getHandle(first.workflowId).describe()).runId).toBe(first.firstExecutionRunId);
    await first.terminate('test done');
  });
});

async function historyBytes(handle: WorkflowHandle): Promise<Buffer> {
  const history = await handle.fetchHistory();
  return Buffer.from(temporal.api.history.v1.History.encode(history).finish());
}
