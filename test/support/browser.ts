/**
 * Debian's Chromium driven by playwright-core (no browser download: scripts/setup.sh
 * --with-test-servers installs the `chromium` package where the machine allows).
 * CHROMIUM_PATH overrides where it is.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = join(__dirname, '..', '..');
/** Screenshots and measurements of browser tests: ignored by git, kept by CI as artifacts. */
export const ARTIFACTS = join(ROOT, 'test-results', 'console');

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path))
    throw new Error(
      `no Chromium at ${path}: run bash scripts/setup.sh --with-test-servers (as root) or set CHROMIUM_PATH`,
    );
  return path;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // The machine's network is closed: nothing in the background may try to reach out.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Builds the console from its sources into a folder of the test's own; returns it and the bundle's sizes. */
export function buildConsole(): { dir: string; bytes: { js: number; css: number } } {
  const dir = mkdtempSync(join(tmpdir(), 'irb-console-'));
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'vite'),
    ['build', 'console', '--outDir', dir, '--logLevel', 'error'],
    // Jest sets NODE_ENV=test, which would build React's development bundle.
    { cwd: ROOT, stdio: 'pipe', env: { ...process.env, NODE_ENV: 'production' } },
  );
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const sizeOf = (ext: string) =>
    [...html.matchAll(new RegExp(`/console/(assets/[^"]+\\.${ext})`, 'g'))].reduce(
      (sum, m) => sum + statSync(join(dir, m[1]!)).size,
      0,
    );
  return { dir, bytes: { js: sizeOf('js'), css: sizeOf('css') } };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

interface AxeResult {
  violations: { id: string; impact?: string; help: string; nodes: { target: unknown[] }[] }[];
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core on the page as it is now: the serious and critical violations (WCAG 2.x A and AA rules). */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated through the debugging protocol, so the page's strict CSP needs no exception for it.
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(
    () =>
      (globalThis as unknown as { axe: { run(o: object): Promise<unknown> } }).axe.run({
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      }) as Promise<AxeResult>,
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export function writeArtifact(name: string, value: unknown): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, name), `${JSON.stringify(value, null, 2)}\n`);
}
