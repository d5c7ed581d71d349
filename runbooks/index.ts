import type { SeedRunbook } from '../store/runbooks';
import { REFERENCE_OFFBOARDING, STANDARD_OFFBOARDING } from './offboarding';
import { REFERENCE_ONBOARDING, STANDARD_ONBOARDING } from './onboarding';

/** Runbooks shipped with the product, loaded on first start (RunbookStore.loadSeeds is idempotent). */
export const SEED_RUNBOOKS: readonly SeedRunbook[] = [
  STANDARD_OFFBOARDING,
  REFERENCE_OFFBOARDING,
  STANDARD_ONBOARDING,
  REFERENCE_ONBOARDING,
];
