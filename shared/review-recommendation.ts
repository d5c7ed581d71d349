import type { Entitlement } from './identity';
import { DAY_MS } from './runbooks';
import type { ReviewVerdict } from './runs';

/** "No sign-in for 30 days" recommends revoke (Entra access reviews' decision helper); a tenant sets its own (reviewIdleDays). */
export const UNUSED_ACCESS_DAYS = 30;

/**
 * Decision helper shown to the reviewer. Only usage the platform reports counts: when the permission itself
 * was last used (IAM's last-accessed data, say), else when the account last signed in or was used; with
 * neither there is no recommendation rather than a guess.
 */
export function recommend(
  entitlement: Pick<Entitlement, 'lastUsedAt'>,
  now: Date,
  account: { lastActiveAt?: string; idleDays?: number } = {},
): { recommendation?: ReviewVerdict; recommendationReason?: string } {
  const idleLimit = account.idleDays ?? UNUSED_ACCESS_DAYS;
  const [at, used, unused] = entitlement.lastUsedAt
    ? [entitlement.lastUsedAt, 'used', 'no sign-in']
    : account.lastActiveAt
      ? [account.lastActiveAt, 'account last active', 'account: no sign-in or use']
      : [undefined, '', ''];
  if (!at) return {};
  const idleDays = Math.floor((now.getTime() - Date.parse(at)) / DAY_MS);
  if (idleDays >= idleLimit)
    return { recommendation: 'revoke', recommendationReason: `${unused} for ${idleDays} days` };
  return { recommendation: 'approve', recommendationReason: `${used} ${idleDays} days ago` };
}
