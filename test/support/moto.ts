import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../scripts/processes';
import type { PlatformConnection } from '../../shared';
import { startEmulator, type Emulator } from './emulator';

/** moto[server], installed by `scripts/setup.sh --with-test-servers` (npm test does that). */
export const MOTO_DIR = join(__dirname, '..', '..', '.tools', 'python', 'moto');

/** Credentials moto accepts (it checks no signatures); set in the test process so `env:` references resolve. */
export const MOTO_ENV = {
  MOTO_TEST_ACCESS_KEY_ID: 'AKIAMOTOTESTADMIN000',
  MOTO_TEST_SECRET_ACCESS_KEY: 'moto-test-secret',
};

/** One moto server (all AWS services on one port) for one test file. */
export async function startMoto(): Promise<Emulator> {
  if (!existsSync(join(MOTO_DIR, 'moto')))
    throw new Error(`moto is not installed in ${MOTO_DIR}: run bash scripts/setup.sh --with-test-servers`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startEmulator({
    name: 'moto',
    command: 'python3',
    args: ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
    env: { ...process.env, PYTHONPATH: MOTO_DIR, PYTHONDONTWRITEBYTECODE: '1' },
    url,
    probe: `${url}/moto-api/`,
    timeoutMs: 60_000,
  });
}

/** A tenant's AWS connection pointing at moto, with its credentials as `env:` references. */
export function motoConnection<P extends PlatformConnection['platform']>(
  platform: P,
  endpoint: string,
): PlatformConnection & { platform: P } {
  Object.assign(process.env, MOTO_ENV);
  return {
    platform,
    baseUrl: endpoint,
    // moto 5.2.5 does not implement ListServiceSpecificCredentials.
    settings: { region: 'eu-west-1', serviceSpecificCredentials: 'unsupported' },
    credentials: { accessKeyId: 'env:MOTO_TEST_ACCESS_KEY_ID', secretAccessKey: 'env:MOTO_TEST_SECRET_ACCESS_KEY' },
  };
}
