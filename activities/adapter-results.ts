import type { ActionResult } from '../shared';
import type { AdapterOutputs } from './platform-adapter';

/** What a real adapter's action returns: the outcome and, where there is one, its data. */
export type AdapterResult<A extends keyof AdapterOutputs> = Promise<ActionResult<AdapterOutputs[A]>>;

export const done = (detail?: string) => ({ outcome: 'done' as const, detail });
export const alreadyDone = (detail?: string) => ({ outcome: 'already-done' as const, detail });
