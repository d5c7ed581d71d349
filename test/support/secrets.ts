import { randomBytes } from 'node:crypto';
import { SecretCipher } from '../../infra/secret-cipher';
import type { PlatformConnection } from '../../shared';
import type { SecretVault } from '../../store/secrets';

/** A fresh SECRET_STORE_KEYS for one test file's embedded secret store. */
export function testSecretCipher(): SecretCipher {
  return new SecretCipher([{ id: 'test', key: randomBytes(32) }]);
}

/**
 * What an MSP does with a client's platform credentials: puts each value into the
 * tenant's secret store and connects with `secret:` references. `connection` names
 * the values as `env:` references of this test process.
 */
export async function handedOver(
  vault: SecretVault,
  tenantId: string,
  connection: PlatformConnection,
): Promise<PlatformConnection> {
  const credentials: Record<string, string> = {};
  for (const [key, ref] of Object.entries(connection.credentials ?? {})) {
    const value = process.env[ref.replace(/^env:/, '')];
    if (!value) throw new Error(`test secret ${ref} is not set`);
    const name = `${connection.platform}-${key}`;
    await vault.put(tenantId, name, value);
    credentials[key] = `secret:${name}`;
  }
  return { ...connection, credentials };
}
