import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/processes';
import { startEmulator, type Emulator } from './emulator';

const TOOLS = join(__dirname, '..', '..', '.tools');

export interface KeycloakServer extends Emulator {
  admin: { username: string; password: string };
}

/** The Keycloak distribution scripts/setup.sh --with-test-servers installed and built for dev mode. */
function keycloakHome(): { home: string; javaHome: string } {
  const built = existsSync(TOOLS)
    ? readdirSync(TOOLS).filter((d) => d.startsWith('keycloak-') && existsSync(join(TOOLS, d, '.dev-built')))
    : [];
  const dir = built.sort().at(-1);
  if (!dir) throw new Error(`no Keycloak in ${TOOLS}: run bash scripts/setup.sh --with-test-servers`);
  return { home: join(TOOLS, dir), javaHome: readFileSync(join(TOOLS, dir, '.java-home'), 'utf8').trim() };
}

/**
 * One Keycloak in dev mode for one test file, with an in-memory database and a
 * private transaction log folder, so parallel test files never share state.
 * Slow on 2 shared cores (half a minute or more): start it once per file.
 */
export async function startKeycloak(): Promise<KeycloakServer> {
  const { home, javaHome } = keycloakHome();
  const port = await freePort();
  const work = mkdtempSync(join(tmpdir(), 'irb-keycloak-'));
  const admin = { username: 'admin', password: randomBytes(12).toString('hex') };
  const url = `http://127.0.0.1:${port}`;
  const server = await startEmulator({
    name: 'keycloak',
    command: join(home, 'bin', 'kc.sh'),
    args: ['start-dev', '--db', 'dev-mem', '--http-host', '127.0.0.1', '--http-port', String(port)],
    env: {
      ...process.env,
      JAVA_HOME: javaHome,
      JAVA_OPTS_APPEND: `-Dquarkus.transaction-manager.object-store.directory=${join(work, 'tx')}`,
      KC_BOOTSTRAP_ADMIN_USERNAME: admin.username,
      KC_BOOTSTRAP_ADMIN_PASSWORD: admin.password,
    },
    url,
    probe: `${url}/realms/master`,
    timeoutMs: 300_000,
  });
  return {
    ...server,
    admin,
    stop: async () => {
      await server.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
