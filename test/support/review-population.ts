import type { ReferencePlatform } from '../../activities/platforms/reference';

const DAY = 86_400_000;

/**
 * Seeds a reference-platform population for an access review: `subjects` people
 * spread over `managers` managers, each with `perSubject` groups; even-numbered
 * groups were last used 60 days ago (the decision helper recommends revoke).
 */
export function seedReviewPopulation(
  platform: ReferencePlatform,
  opts: { prefix: string; managers: number; subjects: number; perSubject: number },
): string[] {
  const managers = Array.from({ length: opts.managers }, (_, m) => `${opts.prefix}-mgr-${String(m).padStart(5, '0')}`);
  const now = Date.now();
  for (let s = 0; s < opts.subjects; s += 1) {
    platform.seedAccount({
      userName: `${opts.prefix}-user-${String(s).padStart(6, '0')}`,
      managerId: managers[s % managers.length],
      entitlements: Array.from({ length: opts.perSubject }, (_, g) => ({
        kind: 'group' as const,
        id: `g${g}`,
        name: `Group ${g}`,
        lastUsedAt: new Date(now - (g % 2 === 0 ? 60 : 1) * DAY).toISOString(),
      })),
    });
  }
  return managers;
}
