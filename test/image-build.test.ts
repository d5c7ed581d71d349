/**
 * The production image builds from what the repository holds. There is no Docker engine here, so this
 * replays the Dockerfile's build stage on exactly the files its COPY lines take (after .dockerignore):
 * the TypeScript build must succeed there, the entry points the image and compose file run must exist,
 * and nothing the build emits may require a package the image prunes (a devDependency).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(__dirname, '..');

/** The build stage's COPY instructions (sources, destination), up to the runtime stage. */
function buildStageCopies(): { sources: string[]; dest: string }[] {
  const lines = readFileSync(join(root, 'Dockerfile'), 'utf8')
    .split('\n')
    .map((l) => l.trim());
  const stages = lines.reduce<string[][]>(
    (acc, line) => (line.startsWith('FROM ') ? [...acc, []] : (acc.at(-1)?.push(line), acc)),
    [],
  );
  return stages[0]!
    .filter((l) => l.startsWith('COPY ') && !l.includes('--from'))
    .map((l) => {
      const parts = l.split(/\s+/).slice(1);
      return { sources: parts.slice(0, -1), dest: parts.at(-1)! };
    });
}

/** .dockerignore as Docker reads it here: patterns on paths from the context root, `*` within a segment, `!` re-includes. */
function ignored(): (path: string) => boolean {
  const rules = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const pattern = (negated ? l.slice(1) : l).replace(/\/$/, '');
      const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
      return { negated, regex };
    });
  return (path) => rules.reduce((out, rule) => (rule.regex.test(path) ? !rule.negated : out), false);
}

/** Copies `source` (relative to the context) to `target`, leaving out what .dockerignore excludes. */
function copyContext(source: string, target: string, isIgnored: (path: string) => boolean): void {
  const from = join(root, source);
  cpSync(from, target, {
    recursive: true,
    filter: (path) => relative(root, path) === '' || !isIgnored(relative(root, path)),
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

it('builds the image’s build stage from exactly the files the Dockerfile copies, with no devDependency needed at run time', () => {
  const context = mkdtempSync(join(tmpdir(), 'irb-image-'));
  const isIgnored = ignored();
  for (const { sources, dest } of buildStageCopies()) {
    for (const source of sources) {
      const target =
        dest.endsWith('/') || sources.length > 1 || source === '.'
          ? join(context, dest, source === '.' ? '' : source)
          : join(context, dest);
      copyContext(source, target, isIgnored);
    }
  }
  expect(existsSync(join(context, 'test'))).toBe(false);
  // `npm ci` from the same lock file: the repository's installed packages stand in for it.
  symlinkSync(join(root, 'node_modules'), join(context, 'node_modules'), 'dir');
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: context,
    stdio: 'pipe',
  });

  // The console, built from the same copied sources (the runtime stage copies console/dist).
  execFileSync(join(root, 'node_modules', '.bin', 'vite'), ['build', 'console', '--logLevel', 'error'], {
    cwd: context,
    stdio: 'pipe',
  });
  // What the image's CMD and the compose file's worker run, and the console the API serves.
  for (const entry of ['dist/api/server.js', 'dist/workers/main.js', 'console/dist/index.html'])
    expect(existsSync(join(context, entry))).toBe(true);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const runtime = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
  const required = filesUnder(join(context, 'dist'))
    .filter((f) => f.endsWith('.js'))
    .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)].map((m) => m[1]!));
  const packageOf = (name: string) =>
    (name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]!).replace(/^node:/, '');
  expect([...new Set(required.map(packageOf))].filter((name) => !runtime.has(name)).sort()).toEqual([]);
});
