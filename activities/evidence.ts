import type { EvidenceRecord } from '../shared/runbooks';
import type { EvidenceStore } from '../store/evidence';

export interface EvidenceActivityDeps {
  evidence: EvidenceStore;
}

/** Evidence is written by activities (never from workflow code), keyed so a retry writes nothing twice. */
export function createEvidenceActivities({ evidence }: EvidenceActivityDeps) {
  return {
    async recordEvidence(input: { key: string; record: EvidenceRecord }): Promise<void> {
      await evidence.append(input.key, input.record);
    },
  };
}

export type EvidenceActivities = ReturnType<typeof createEvidenceActivities>;
