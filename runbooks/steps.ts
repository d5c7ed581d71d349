import { supports, type Platform, type PlatformAction } from '../shared/platforms';
import type { RunbookStep } from '../shared/runbooks';

/**
 * One step per platform that supports the action (AWS IAM has no per-user federation links), ids like
 * `disable-okta`, so seed runbooks stay short and uniform.
 */
export function onEach(
  platforms: readonly Platform[],
  action: PlatformAction,
  idPrefix: string,
  step: Omit<RunbookStep, 'id' | 'platform' | 'action'>,
): RunbookStep[] {
  return platforms
    .filter((platform) => supports(platform, action))
    .map((platform) => ({
      id: `${idPrefix}-${platform}`,
      platform,
      action,
      ...step,
      after: step.after?.map((dep) => `${dep}-${platform}`),
    }));
}
