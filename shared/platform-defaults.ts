import type { Platform } from './platforms';

/**
 * Per-platform activity defaults in one place: the workflows use the timeouts
 * and retry policy, the workers use the rate limit for the platform's task queue.
 * A runbook step can override the retry policy.
 */
export interface PlatformDefaults {
  startToCloseTimeout: string;
  scheduleToCloseTimeout: string;
  retry: { initialInterval: string; backoffCoefficient: number; maximumInterval: string; maximumAttempts: number };
  /** Activities per second across all workers of the platform's task queue. */
  maxActivitiesPerSecond: number;
}

const standard: PlatformDefaults = {
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '30 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 8 },
  maxActivitiesPerSecond: 20,
};

export const PLATFORM_DEFAULTS: Readonly<Record<Platform, PlatformDefaults>> = {
  // Graph throttles per tenant and app; stay well under its documented limits.
  entra: { ...standard, maxActivitiesPerSecond: 10 },
  // IAM is eventually consistent and rate-limited per account.
  'aws-iam': { ...standard, maxActivitiesPerSecond: 10 },
  okta: { ...standard, maxActivitiesPerSecond: 10 },
  'google-workspace': { ...standard, maxActivitiesPerSecond: 10 },
  // GitHub's secondary rate limits punish bursts of mutations.
  github: { ...standard, maxActivitiesPerSecond: 5 },
  keycloak: standard,
  scim: standard,
  ticketing: { ...standard, maxActivitiesPerSecond: 5 },
  notification: { ...standard, maxActivitiesPerSecond: 5, retry: { ...standard.retry, maximumAttempts: 5 } },
  // The call returns at once; the callback may take days.
  'http-callback': { ...standard, startToCloseTimeout: '7 days', scheduleToCloseTimeout: '14 days' },
  reference: {
    ...standard,
    maxActivitiesPerSecond: 1000,
    retry: { ...standard.retry, initialInterval: '100 milliseconds' },
  },
};
