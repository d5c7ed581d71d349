/**
 * The suite's one polling loop: tests wait for an effect to become visible (a query's answer, a platform's state,
 * audit records written after a response, visibility indexing), never for a fixed time.
 */
const INTERVAL_MS = 100;

/**
 * Polls `probe` until it yields a value; a probe that throws ends the wait with its error. A shorter interval
 * is for tests that must act the moment something begins (kill a worker as a step starts).
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string | (() => string),
  timeoutMs = 10_000,
  intervalMs = INTERVAL_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Polls a read (a query) until `ready` holds; a read that fails (not yet answerable) is tried again. */
export async function waitFor<T>(read: () => Promise<T>, ready: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  let last: T | undefined;
  return eventually(
    async () => {
      const value = await read().catch(() => undefined);
      if (value === undefined) return undefined;
      last = value;
      return ready(value) ? value : undefined;
    },
    () => `the condition; last value ${JSON.stringify(last)}`,
    timeoutMs,
  );
}
