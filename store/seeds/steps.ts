import type { Platform, PlatformAction } from '../../shared/platforms';
import type { RunbookStep } from '../../shared/runbooks';

/** One step per platform, ids like `disable-okta`, so seed runbooks stay short and uniform. */
export function onEach(platforms: readonly Platform[], action: PlatformAction, idPrefix: string, step: Omit<RunbookStep, 'id' | 'platform' | 'action'>): RunbookStep[] {
  return platforms.map((platform) => ({
    id: `${idPrefix}-${platform}`,
    platform,
    action,
    ...step,
    after: step.after?.map((dep) => `${dep}-${platform}`),
  }));
}
