import type { Platform } from './platforms';

/** The platform answered the tenant's credentials, refused them, or cannot be tested. */
export const CONNECTION_CHECK_STATUSES = ['ok', 'failed', 'not-supported'] as const;

/** What a connection test found (POST /v1/tenants/{tenantId}/connections/{platform}/test). */
export interface ConnectionCheck {
  platform: Platform;
  status: (typeof CONNECTION_CHECK_STATUSES)[number];
  /** The failure's class (e.g. PlatformForbidden, NotConnected), when it failed. */
  failure?: string;
  /** What was tried and what came back, in words; never a secret (platform errors never carry one). */
  detail: string;
  checkedAt: string;
}

/** A connection test's answer, stamped now. */
export function connectionCheckAnswer(
  platform: Platform,
  status: ConnectionCheck['status'],
  detail: string,
  failure?: string,
): ConnectionCheck {
  return { platform, status, ...(failure ? { failure } : {}), detail, checkedAt: new Date().toISOString() };
}
