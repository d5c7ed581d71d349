import type { ReferencePlatform } from '../../activities/platforms/reference';
import type { Subject } from '../../shared';

/**
 * The suite's one leaver: on the reference platform, an account with sessions, a group, an access key, a
 * federation link and a document, and their manager (who receives the document). Returns the subject to offboard.
 */
export function seedLeaver(platform: ReferencePlatform, name: string): Subject {
  platform.seedAccount({ userName: `${name}-manager` });
  platform.seedAccount({
    userName: name,
    email: `${name}@example.com`,
    sessions: 2,
    entitlements: [{ kind: 'group', id: 'engineering' }],
    federation: [{ providerId: 'github-sso' }],
    owned: [`${name}-roadmap.doc`],
  });
  platform.seedCredential({ id: `${name}-key`, kind: 'access-key', ownerId: name, status: 'active' });
  return {
    subjectId: `e-${name}`,
    userName: name,
    email: `${name}@example.com`,
    displayName: `Leaver ${name}`,
    managerId: `${name}-manager`,
  };
}
