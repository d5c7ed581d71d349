import { Context } from '@temporalio/activity';
import type { Platform } from '../shared';
import type { RotationCandidate, RotationCandidateStore } from '../store/rotation-candidates';
import { platformCall } from './errors';
import { CREDENTIALS_PER_PAGE, pagingGuard } from './platforms/paging';
import type { AdapterResolver } from './platforms/adapter';

export interface RotationCampaignDeps {
  candidates: RotationCandidateStore;
  resolveAdapter: AdapterResolver;
}

interface CampaignPlatform {
  tenantId: string;
  /** The campaign run's own id (workflow id and first run id): a later campaign never reads this one's chunks. */
  campaignId: string;
  platform: Platform;
}

interface CollectProgress {
  cursor?: string;
  chunks: number;
  active: number;
  due: number;
}

/** A rotation campaign's work on the platforms and the candidate store (store/rotation-candidates.ts). */
export function createRotationCampaignActivities({ candidates, resolveAdapter }: RotationCampaignDeps) {
  return {
    /**
     * Pages through the platform's tenant-wide credential inventory (listCredentialsPage) and stores, per page,
     * the active credentials created before `createdBefore` (epoch ms). Runs on the platform's queue; resumes
     * from its last heartbeat. A platform that cannot enumerate its credentials tenant-wide says so.
     */
    async collectRotationCandidates(
      input: CampaignPlatform & { createdBefore: number },
    ): Promise<CollectProgress & { enumerable: boolean }> {
      const adapter = await resolveAdapter(input.tenantId, input.platform);
      if (!adapter.listCredentialsPage) return { chunks: 0, active: 0, due: 0, enumerable: false };
      const resumed = Context.current().info.heartbeatDetails as CollectProgress | undefined;
      let { cursor, chunks, active, due } = resumed ?? { chunks: 0, active: 0, due: 0 };
      const guard = pagingGuard(`${input.platform} credentials`);
      do {
        const page = await platformCall(() => adapter.listCredentialsPage!({ cursor, limit: CREDENTIALS_PER_PAGE }));
        const live = page.credentials.filter((c) => c.status === 'active');
        const dueNow = live
          .filter((c) => c.createdAt !== undefined && Date.parse(c.createdAt) < input.createdBefore)
          .map(({ platform, ownerId, id, kind }): RotationCandidate => ({ platform, ownerId, credentialId: id, kind }));
        if (dueNow.length > 0) {
          await candidates.put(input.tenantId, input.campaignId, input.platform, chunks, dueNow);
          chunks += 1;
        }
        active += live.length;
        due += dueNow.length;
        guard(page.nextCursor);
        cursor = page.nextCursor;
        Context.current().heartbeat({ cursor, chunks, active, due } satisfies CollectProgress);
      } while (cursor !== undefined);
      return { chunks, active, due, enumerable: true };
    },

    /** One stored chunk of a campaign's candidates. */
    rotationCandidates(input: CampaignPlatform & { chunk: number }): Promise<RotationCandidate[]> {
      return candidates.get(input.tenantId, input.campaignId, input.platform, input.chunk);
    },
  };
}

export type RotationCampaignActivities = ReturnType<typeof createRotationCampaignActivities>;
