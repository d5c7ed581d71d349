/**
 * Local supervisor behind `npm start`: the embedded default stack on loopback,
 * data kept in .data/ across restarts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { DEMO_REVIEW_ID, DEMO_TENANT } from '../runbooks/demo';
import { prepareDemo } from './demo';
import {
  assertPortsFree,
  ferretDbArgs,
  startProcess,
  temporalDevServerArgs,
  waitForPort,
  type Supervised,
} from './processes';

const root = resolve(__dirname, '..');
const dataDir = resolve(root, process.env.DATA_DIR ?? '.data');
const tools = resolve(root, '.tools/bin');
const env = process.env;

function portVar(name: string, fallback: number): number {
  const value = Number(env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    console.error(`invalid configuration: ${name} must be a port number (1-65535)`);
    process.exit(78);
  }
  return value;
}

/** The admin credential survives restarts; only its holder sees it (mode 600). */
function adminApiKey(): { key: string; generated: boolean } {
  if (env.ADMIN_API_KEY) return { key: env.ADMIN_API_KEY, generated: false };
  const file = resolve(dataDir, 'admin-api-key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), generated: true };
  const key = `irk_${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, generated: true };
}

/**
 * Encryption keys survive restarts (payload keys: histories written under them must stay readable;
 * secret-store keys: the sealed secrets must stay readable). Rotate by prepending a new `id:key`
 * to the file or the variable; keep the old ones.
 */
function encryptionKeys(variable: 'PAYLOAD_ENCRYPTION_KEYS' | 'SECRET_STORE_KEYS', fileName: string): string {
  const given = env[variable];
  if (given) return given;
  const file = resolve(dataDir, fileName);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const keys = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}:${randomBytes(32).toString('base64')}`;
  writeFileSync(file, `${keys}\n`, { mode: 0o600 });
  return keys;
}

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const apiPort = portVar('API_PORT', 3000);
  const temporalPort = portVar('TEMPORAL_PORT', 7233);
  const uiPort = portVar('TEMPORAL_UI_PORT', 8233);
  const ferretPort = portVar('FERRETDB_PORT', 27017);
  const ownTemporal = !env.TEMPORAL_ADDRESS;
  const ownStore = !env.MONGODB_URI;

  await assertPortsFree([
    { port: apiPort, what: 'the API', variable: 'API_PORT' },
    ...(ownTemporal
      ? [
          { port: temporalPort, what: 'Temporal', variable: 'TEMPORAL_PORT' },
          { port: uiPort, what: 'the Temporal UI', variable: 'TEMPORAL_UI_PORT' },
        ]
      : []),
    ...(ownStore ? [{ port: ferretPort, what: 'FerretDB', variable: 'FERRETDB_PORT' }] : []),
  ]);

  const children: Supervised[] = [];
  const temporalAddress = env.TEMPORAL_ADDRESS ?? `127.0.0.1:${temporalPort}`;
  const mongoUri = env.MONGODB_URI ?? `mongodb://127.0.0.1:${ferretPort}/`;

  if (ownTemporal) {
    children.push(
      startProcess(
        'temporal',
        resolve(tools, 'temporal'),
        temporalDevServerArgs({
          port: temporalPort,
          uiPort,
          dbFile: resolve(dataDir, 'temporal.db'),
          logLevel: 'warn',
        }),
      ),
    );
  }
  if (ownStore) {
    children.push(
      startProcess(
        'ferretdb',
        resolve(tools, 'ferretdb'),
        ferretDbArgs({ port: ferretPort, dataDir: resolve(dataDir, 'ferretdb') }),
      ),
    );
  }
  await Promise.all([
    ownTemporal ? waitForPort(temporalPort, 'Temporal') : undefined,
    ownStore ? waitForPort(ferretPort, 'FerretDB') : undefined,
  ]);

  const admin = adminApiKey();
  const demoTenant = env.DEMO_TENANT ?? DEMO_TENANT.tenantId;
  const serviceEnv = {
    ...env,
    TEMPORAL_ADDRESS: temporalAddress,
    MONGODB_URI: mongoUri,
    API_PORT: String(apiPort),
    // Readable in the terminal; a deployment logs JSON lines (the default).
    LOG_FORMAT: env.LOG_FORMAT ?? 'pretty',
    ADMIN_API_KEY: admin.key,
    // The demo company on the reference platform; DEMO_TENANT= (empty) starts without it.
    DEMO_TENANT: demoTenant || undefined,
    PAYLOAD_ENCRYPTION_KEYS: encryptionKeys('PAYLOAD_ENCRYPTION_KEYS', 'payload-encryption-keys'),
    SECRET_STORE_KEYS: encryptionKeys('SECRET_STORE_KEYS', 'secret-store-keys'),
  };
  // node with tsx's loader, not the tsx launcher: the launcher SIGKILLs its child when the child is slow to
  // acknowledge a SIGTERM (a busy machine), which would cut the graceful stop short.
  const service = (file: string) => ['--import', 'tsx', resolve(root, file)];
  children.push(startProcess('worker', process.execPath, service('workers/main.ts'), serviceEnv));
  children.push(startProcess('api', process.execPath, service('api/server.ts'), serviceEnv));
  await waitForPort(apiPort, 'the API');

  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const inCwd = relative(process.cwd(), dataDir);
  const shown = inCwd.startsWith('..') ? dataDir : inCwd || '.';
  const demo = demoTenant
    ? await prepareDemo({
        apiUrl,
        adminKey: admin.key,
        tenantId: demoTenant,
        keysFile: resolve(dataDir, 'demo-api-keys.json'),
      })
    : undefined;
  console.log(
    [
      '',
      'identity-runbooks is running:',
      `  Console       ${apiUrl}/console/  (sign in with the admin API key below, or a key you make)`,
      `  API           ${apiUrl}  (ready: ${apiUrl}/readyz)`,
      `  Temporal      ${temporalAddress}${ownTemporal ? `  UI: http://127.0.0.1:${uiPort}` : ''}`,
      `  MongoDB URI   ${mongoUri}${ownStore ? `  (embedded FerretDB, data in ${shown}/ferretdb)` : ''}`,
      admin.generated
        ? `  Admin API key ${admin.key}  (saved in ${shown}/admin-api-key)`
        : '  Admin API key from ADMIN_API_KEY',
      ...(demo
        ? [
            '',
            `Demo tenant "${demo.tenantId}" on the in-process reference platform (keys saved in ${shown}/demo-api-keys.json):`,
            `  Service desk  ${demo.keys.desk}  offboard bob in Service desk, watch the timeline`,
            `  Reviewer      ${demo.keys.reviewer}  decide ${DEMO_REVIEW_ID} in My reviews`,
            `  Approver      ${demo.keys.approver}  approve ada's elevation in Approvals`,
          ]
        : []),
      '',
      `  Ctrl-C stops everything; data stays in ${shown}/.`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // Services first (they finish in-flight work), then the servers they use.
    const services = children.filter((c) => c.name === 'api' || c.name === 'worker');
    await Promise.all(services.map((c) => c.stop()));
    await Promise.all(children.filter((c) => !services.includes(c)).map((c) => c.stop()));
    process.exit(code);
  };
  for (const child of children) {
    void child.exited.then((exitCode) => {
      if (stopping) return;
      console.error(`[${child.name}] exited unexpectedly (code ${exitCode}); stopping everything`);
      void stopAll(1);
    });
  }
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
