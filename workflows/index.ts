// Every workflow the worker registers. Bundled for the Temporal sandbox: deterministic code only.
export { selfTest } from './self-test';
export { offboarding } from './offboarding';
export { onboarding } from './onboarding';
