import { useEffect, type DependencyList } from 'react';

/**
 * Polls while the screen is open: `poll` runs at once, then every `intervalMs` for as long as it answers true.
 * It is told whether the screen is still mounted (`active`), so an answer arriving after it closed changes nothing.
 */
export function usePolling(
  poll: (active: () => boolean) => Promise<boolean>,
  intervalMs: number,
  deps: DependencyList,
) {
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const active = () => !stopped;
    const tick = async () => {
      if ((await poll(active)) && !stopped) timer = setTimeout(() => void tick(), intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // The caller lists what the poll reads.
  }, deps);
}
