/**
 * The production compose file must stay valid. Validated with Debian's
 * docker-compose (`config -q`); there is no Docker engine here, so nothing starts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const compose = ['docker-compose', 'docker'].find((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);
const composeArgs = compose === 'docker' ? ['compose'] : [];
const hasCompose =
  compose === 'docker-compose' || (compose === 'docker' && spawnSync('docker', ['compose', 'version']).status === 0);

function validate(dir: string): { status: number | null; output: string } {
  const result = spawnSync(compose!, [...composeArgs, 'config', '-q'], { cwd: dir, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function projectDir(): string {
  // A copy with .env made from .env.example, as an operator would set it up.
  const dir = mkdtempSync(join(tmpdir(), 'irb-compose-'));
  copyFileSync(join(root, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
  copyFileSync(join(root, '.env.example'), join(dir, '.env'));
  return dir;
}

(hasCompose ? describe : describe.skip)('docker-compose.yml', () => {
  it('validates with docker-compose config -q', () => {
    const result = validate(projectDir());
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('holds no secret values: passwords and keys come from .env', () => {
    const file = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    expect(file).not.toMatch(/^\s*[A-Z_]*(PASSWORD|PWD|API_KEY|SECRET)[A-Z_]*\s*:\s*(?!\$\{)\S+/m);
    const dir = projectDir();
    execFileSync('sh', ['-c', "sed -i '/POSTGRES_PASSWORD/d' .env"], { cwd: dir });
    expect(validate(dir).output).toMatch(/POSTGRES_PASSWORD/);
  });
});

if (!hasCompose) {
  it.skip('docker-compose.yml validation skipped: no compose tool installed (apt-get install docker-compose)', () =>
    undefined);
}
