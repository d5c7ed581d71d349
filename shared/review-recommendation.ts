import type { Entitlement } from './identity';
import { DAY_MS } from './runbooks';
import type { ReviewVerdict } from './runs';

/** "No sign-in for 30 days" recommends revoke (Entra access reviews' decision helper). */
export const UNUSED_ACCESS_DAYS = 30;

/**
 * Decision helper shown to the reviewer. Only usage the platform reports counts:
 * an entitlement with no lastUsedAt gets no recommendation rather than a guess.
 */
export function recommend(entitlement: Pick<Entitlement, 'lastUsedAt'>, now: Date): { recommendation?: ReviewVerdict; recommendationReason?: string } {
  if (!entitlement.lastUsedAt) return {};
  const idleDays = (now.getTime() - Date.parse(entitlement.lastUsedAt)) / DAY_MS;
  if (idleDays >= UNUSED_ACCESS_DAYS) return { recommendation: 'revoke', recommendationReason: `no sign-in for ${Math.floor(idleDays)} days` };
  return { recommendation: 'approve', recommendationReason: `used ${Math.floor(idleDays)} days ago` };
}
