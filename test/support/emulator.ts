import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A platform emulator started by one test file (moto, Keycloak). */
export interface Emulator {
  url: string;
  /** How long it took to answer its readiness probe. */
  startupMs: number;
  stop(): Promise<void>;
}

/**
 * Starts a chatty server quietly: its output is kept (last lines only) and shown
 * only if it fails to become ready. Ready = `probe` answers 2xx. stop() sends
 * SIGTERM, then SIGKILL after 10 s (a JVM still booting ignores SIGTERM).
 */
export async function startEmulator(opts: {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  url: string;
  probe: string;
  timeoutMs: number;
}): Promise<Emulator> {
  const started = Date.now();
  const child = spawn(opts.command, opts.args, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(kill);
    }
  };
  while (Date.now() - started < opts.timeoutMs) {
    if (exitedEarly) break;
    const ok = await fetch(opts.probe, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url: opts.url, startupMs: Date.now() - started, stop };
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(`${opts.name} did not become ready within ${opts.timeoutMs / 1000} s:\n${tail.join('\n')}`);
}
