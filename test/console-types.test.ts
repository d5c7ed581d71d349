/**
 * The console's API types are generated from the OpenAPI document the API serves
 * (scripts/console-types.ts, openapi-typescript). A route or schema change that is not
 * regenerated fails here, and `tsc -p console` then shows where the console must follow.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..');

it('the committed console types are what the API’s OpenAPI document generates', async () => {
  const committed = readFileSync(join(ROOT, 'console', 'src', 'api-types.ts'), 'utf8');
  // openapi-typescript is an ES module: generated in a process of its own.
  const { stdout } = await promisify(execFile)(
    join(ROOT, 'node_modules', '.bin', 'tsx'),
    ['scripts/console-types.ts', '--print'],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  );
  // Fails with the differing lines; regenerate with `npm run console:types`.
  expect(committed.split('\n')).toEqual(stdout.split('\n'));
});
