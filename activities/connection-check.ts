import { ApplicationFailure } from '@temporalio/common';
import { PlatformError, toActivityFailure } from './errors';
import type { AdapterResolver } from './platforms/adapter';
import type { Platform } from '../shared';
import { connectionCheckAnswer, type ConnectionCheck } from '../shared/connection-check';

/**
 * The connection test of one platform queue: one read-only call with the tenant's own connection (the first
 * page of accounts, one account long), so a bad secret, a wrong address or a missing permission shows before
 * a leaver's offboarding depends on it. Answers with what it found instead of failing, so it is never retried.
 */
export function createConnectionCheckActivities(platform: Platform, resolveAdapter: AdapterResolver) {
  return {
    async checkConnection({ tenantId }: { tenantId: string }): Promise<ConnectionCheck> {
      try {
        const adapter = await resolveAdapter(tenantId, platform);
        if (!adapter.listAccounts)
          return connectionCheckAnswer(
            platform,
            'not-supported',
            `${platform} has no read-only call to test the connection with; its steps show whether it works`,
          );
        const page = await adapter.listAccounts({ limit: 1 });
        return connectionCheckAnswer(
          platform,
          'ok',
          `signed in and listed accounts (${page.accounts.length ? 'at least one' : 'none'} found)`,
        );
      } catch (err) {
        const failure = toActivityFailure(err);
        // Classified failures carry messages written for people (method, path, status); anything else (a library's
        // own error) could quote what the far end sent, so it is reported in fixed words.
        const written = err instanceof PlatformError || err instanceof ApplicationFailure;
        return connectionCheckAnswer(
          platform,
          'failed',
          written ? failure.message : `${platform} could not be reached or answered unexpectedly`,
          failure.type ?? 'Unknown',
        );
      }
    },
  };
}

export type ConnectionCheckActivities = ReturnType<typeof createConnectionCheckActivities>;
