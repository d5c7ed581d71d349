import { ApplicationFailure } from '@temporalio/common';

/** Credentials asked for per page of a tenant-wide credential listing (listCredentialsPage). */
export const CREDENTIALS_PER_PAGE = 100;

/** Pages one listing may take: 10,000 pages of 100 to 500 is more than any tenant's directory. */
export const MAX_PAGES = 10_000;

/**
 * Guards a cursor-paged listing against a platform, or a host a tenant pointed a connection at, that never
 * stops paging: a cursor seen before, or more than MAX_PAGES pages, ends the listing (non-retryable) before
 * it can fill a shared worker's memory or the store.
 */
export function pagingGuard(what: string, pagesSoFar = 0): (nextCursor: string | undefined) => void {
  const seen = new Set<string>();
  let pages = pagesSoFar;
  return (nextCursor) => {
    pages += 1;
    if (nextCursor === undefined) return;
    if (seen.has(nextCursor) || pages >= MAX_PAGES) {
      throw ApplicationFailure.create({
        type: 'EndlessPaging',
        message: `${what}: the platform kept paging (${pages} pages${seen.has(nextCursor) ? ', a cursor repeated' : ''}); stopped`,
        nonRetryable: true,
      });
    }
    seen.add(nextCursor);
  };
}
