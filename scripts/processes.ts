import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes';

export interface Supervised {
  name: string;
  exited: Promise<number>;
  stop(): Promise<number>;
  /** SIGKILL at once: the process crashes, its open connections drop. */
  kill(): Promise<number>;
}

/** Starts a child whose output lines are prefixed with its name; stop() sends SIGTERM, then SIGKILL after 15 s; kill() SIGKILL. */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Supervised {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
  const exited = new Promise<number>((resolveExit) => {
    child.on('exit', (code, signal) => resolveExit(code ?? (signal ? 128 : 1)));
    child.on('error', (err) => {
      process.stderr.write(`[${name}] could not start: ${err.message}\n`);
      resolveExit(127);
    });
  });
  return {
    name,
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      }
      return exited;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer()
      .once('error', () => resolveFree(false))
      .once('listening', () => server.close(() => resolveFree(true)))
      .listen(port, '127.0.0.1');
  });
}

/** Fails with one line per taken port, naming the variable that moves it. */
export async function assertPortsFree(ports: { port: number; what: string; variable: string }[]): Promise<void> {
  const taken = [];
  for (const p of ports) if (!(await isFree(p.port))) taken.push(p);
  if (taken.length === 0) return;
  throw new Error(
    taken.map((p) => `port ${p.port} (${p.what}) is already in use: set ${p.variable} to a free port`).join('\n'),
  );
}

export async function waitForPort(port: number, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolveOpen) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolveOpen(true)));
      socket.once('error', () => resolveOpen(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not start listening on port ${port} within ${timeoutMs / 1000} s`);
}

/** A port the OS says is free now (for tests and benchmarks that start their own servers). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** The embedded FerretDB (SQLite backend) on loopback, its data in `dataDir`. */
export function ferretDbArgs(opts: { port: number; dataDir: string }): string[] {
  return ['-listen-addr', `127.0.0.1:${opts.port}`, '-data-dir', opts.dataDir];
}

/** The Temporal CLI dev server on loopback with a persistent database and this project's search attributes. */
export function temporalDevServerArgs(opts: {
  port: number;
  uiPort: number;
  dbFile: string;
  logLevel: string;
}): string[] {
  return [
    ...['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--ui-port', String(opts.uiPort)],
    ...['--db-filename', opts.dbFile, '--log-level', opts.logLevel],
    ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=Keyword`]),
  ];
}
