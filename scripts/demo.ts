/**
 * Prepares the demo tenant `npm start` offers (runbooks/demo.ts), through the API as an admin would:
 * the tenant on the reference platform, one API key per persona (kept in a file only its owner
 * reads), an access review waiting for the manager and an elevation waiting for the approver.
 * Safe to run on every start: what exists is kept.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DEMO_ELEVATION, DEMO_PERSONAS, DEMO_REVIEW_ID, DEMO_TENANT } from '../runbooks/demo';

export type DemoPersona = keyof typeof DEMO_PERSONAS;
export type DemoKeys = Record<DemoPersona, string>;

export interface DemoOptions {
  apiUrl: string;
  adminKey: string;
  /** Where the personas' keys are kept across restarts (mode 600). */
  keysFile: string;
  tenantId?: string;
  now?: () => Date;
}

const REVIEW_DAYS = 14;

export async function prepareDemo(opts: DemoOptions): Promise<{ tenantId: string; keys: DemoKeys }> {
  const tenantId = opts.tenantId ?? DEMO_TENANT.tenantId;
  const now = opts.now ?? (() => new Date());
  const call = async (method: string, path: string, key: string, body?: unknown): Promise<Response> =>
    fetch(`${opts.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const expect = async (res: Response, what: string, ok: number[]) => {
    if (!ok.includes(res.status)) throw new Error(`demo: ${what} answered ${res.status}: ${await res.text()}`);
    return res;
  };

  await expect(
    await call('POST', '/v1/tenants', opts.adminKey, {
      tenantId,
      name: DEMO_TENANT.name,
      connections: DEMO_TENANT.connections,
      policy: DEMO_TENANT.policy,
    }),
    'creating the demo tenant',
    [201, 409],
  );

  const keys = await personaKeys(opts, tenantId, call, expect);
  const tenantPath = `/v1/tenants/${encodeURIComponent(tenantId)}`;
  const deadline = new Date(now().getTime() + REVIEW_DAYS * 86_400_000).toISOString();
  // 202 when started or joined; 409 when a finished campaign with this id exists.
  await expect(
    await call('POST', `${tenantPath}/access-reviews`, keys.desk, { reviewId: DEMO_REVIEW_ID, deadline }),
    'starting the demo access review',
    [200, 202, 409],
  );
  await expect(
    await call('POST', `${tenantPath}/privileged-access`, keys.desk, DEMO_ELEVATION),
    'requesting the demo elevation',
    [200, 202, 409],
  );
  return { tenantId, keys };
}

/** The keys kept from an earlier start while the API still accepts them; new ones otherwise. */
async function personaKeys(
  opts: DemoOptions,
  tenantId: string,
  call: (method: string, path: string, key: string, body?: unknown) => Promise<Response>,
  expect: (res: Response, what: string, ok: number[]) => Promise<Response>,
): Promise<DemoKeys> {
  const kept = existsSync(opts.keysFile) ? (JSON.parse(readFileSync(opts.keysFile, 'utf8')) as Partial<DemoKeys>) : {};
  const keys = {} as DemoKeys;
  for (const persona of Object.keys(DEMO_PERSONAS) as DemoPersona[]) {
    const keptKey = kept[persona];
    if (keptKey && (await call('GET', '/v1/me', keptKey)).status === 200) {
      keys[persona] = keptKey;
      continue;
    }
    const { ownerId, role } = DEMO_PERSONAS[persona];
    const made = await expect(
      await call('POST', '/v1/api-keys', opts.adminKey, {
        name: `demo ${ownerId}`,
        ownerId,
        grants: [{ role, tenantId }],
      }),
      `making the ${persona} key`,
      [201],
    );
    keys[persona] = ((await made.json()) as { key: string }).key;
  }
  writeFileSync(opts.keysFile, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  chmodSync(opts.keysFile, 0o600); // a file that existed keeps its mode through writeFileSync
  return keys;
}
