import type { CredentialInfo, CredentialKind, Platform } from '../shared';

/** A CredentialInfo with only the fields the platform reported (no undefined keys in workflow payloads). */
export function credentialInfo(
  platform: Platform,
  ownerId: string,
  id: string,
  kind: CredentialKind,
  extra: Partial<CredentialInfo> = {},
): CredentialInfo {
  const reported = Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined && v !== null));
  return { platform, id, kind, ownerId, status: 'active', ...reported };
}

/** Splits a composite id such as `oauth:<clientId>` at its first separator. */
export function splitOnce(value: string, separator: string): [string, string | undefined] {
  const at = value.indexOf(separator);
  return at < 0 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
}

/** A path segment from a user-supplied value. */
export const enc = encodeURIComponent;

/** Maps with at most `limit` calls in flight: faster than one by one, gentler on rate limits than all at once. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
