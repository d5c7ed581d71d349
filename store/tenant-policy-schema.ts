import { z } from 'zod';
import type { TenantPolicy } from '../shared/runbooks';
import type { SameType } from '../shared/same-type';
import { REVIEW_VERDICTS } from '../shared/runs';
import { LEAVER_CREDENTIAL_POLICIES, REVIEW_CADENCES, REVIEW_CORRELATIONS } from '../shared/runbooks';

/** Ids that appear in URLs, workflow ids and visibility queries: no quotes, slashes or spaces. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,127}$/;
export const Id = (what: string) =>
  z.string().regex(ID_PATTERN, `not a valid ${what} (letters, digits and _ . @ : + -, at most 128)`);

/** A tenant's policy document; runbooks may override any part of it (TenantPolicySchema.partial()). */
export const TenantPolicySchema = z.strictObject({
  retentionDays: z.number().int().min(0).max(3650),
  rotationGracePeriodHours: z
    .number()
    .int()
    .min(0)
    .max(24 * 90),
  rotationMaxAgeDays: z.number().int().min(1).max(3650),
  leaverCredentials: z.enum(LEAVER_CREDENTIAL_POLICIES),
  reviewCadence: z.enum(REVIEW_CADENCES),
  reviewDefaultDecision: z.enum(REVIEW_VERDICTS),
  reviewDurationDays: z.number().int().min(1).max(365),
  reviewReminderEveryDays: z.number().int().min(1).max(365),
  fallbackReviewerId: Id('reviewer id'),
  reviewSecondStage: z
    .strictObject({
      reviewerId: Id('reviewer id'),
      decisions: z.array(z.enum(REVIEW_VERDICTS)).min(1),
      durationDays: z.number().int().min(1).max(365),
    })
    .optional(),
  approvers: z.array(Id('approver id')).max(100),
  blastRadius: z.strictObject({ maxShare: z.number().min(0).max(1), maxCount: z.number().int().min(0) }),
  privilegedAccessMaxMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60),
  manualRotationReminderHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .optional(),
  reviewIdleDays: z.number().int().min(1).max(3650).optional(),
  reviewCorrelateBy: z.enum(REVIEW_CORRELATIONS).optional(),
  privilegedEntitlements: z.array(z.string().min(1).max(512)).max(500).optional(),
});

/** The schema and shared/runbooks.ts TenantPolicy cannot drift apart: a difference fails `tsc`. */
export const POLICY_SCHEMA_MATCHES: SameType<z.infer<typeof TenantPolicySchema>, TenantPolicy> = true;
