import { z } from 'zod';
import { TenantPolicySchema } from './tenant-policy-schema';
import { CAPABILITIES, PLATFORM_ACTIONS, PLATFORMS, type Platform, type PlatformAction } from '../shared/platforms';
import { REQUIRED_STEP_PARAMS, type Runbook } from '../shared/runbooks';
import { RUNBOOK_KINDS } from '../shared/runs';
import { APPROVER_ROLES } from '../shared/runs';
import { FAILURE_MODES } from '../shared/runbooks';

/** Durations as Temporal accepts them ('30 seconds', '3 days', '1h'). */
const duration = z
  .string()
  .regex(
    /^\d+(\.\d+)?\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)$/,
    'must be a duration such as "30 seconds" or "3 days"',
  );

// platform and action are plain strings here: the semantic checks below name the known ones in their message.
const stepSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lower-case letters, digits and dashes (max 64)'),
    platform: z.string(),
    action: z.string(),
    params: z.record(z.string(), z.unknown()).optional(),
    phase: z.number().int().min(1).max(20).optional(),
    after: z.array(z.string()).max(50).optional(),
    onFailure: z.enum(FAILURE_MODES),
    retry: z
      .object({
        maximumAttempts: z.number().int().min(1).max(100).optional(),
        initialInterval: duration.optional(),
        maximumInterval: duration.optional(),
      })
      .strict()
      .optional(),
    approval: z
      .object({ approverRole: z.enum(APPROVER_ROLES), timeout: duration })
      .strict()
      .optional(),
    delay: duration.optional(),
    offsetDays: z.number().min(-365).max(365).optional(),
    roleProfiles: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

export const runbookDraftSchema = z
  .object({
    kind: z.enum(RUNBOOK_KINDS),
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
    steps: z.array(stepSchema).min(1).max(200),
    policy: TenantPolicySchema.partial().optional(),
  })
  .strict();

/** What a caller writes; the store adds tenant, id, version and authorship. */
export type RunbookDraft = Pick<Runbook, 'kind' | 'name' | 'description' | 'steps' | 'policy'>;

/** One thing wrong with a runbook, addressed like a JSON path (`steps.2.after.0`). */
export interface RunbookProblem {
  path: string;
  message: string;
}

export type RunbookValidation = { ok: true; draft: RunbookDraft } | { ok: false; problems: RunbookProblem[] };

/**
 * The one validation of a runbook, used by the store on write and by the API
 * (which returns every problem as a problem+json field error). Shape errors and
 * meaning errors (catalogue, parameters, dependencies) are all listed at once.
 */
export function validateRunbook(input: unknown): RunbookValidation {
  const parsed = runbookDraftSchema.safeParse(input);
  const shapeProblems = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  const { steps: rawSteps, kind } = (input ?? {}) as { steps?: unknown; kind?: unknown };
  const steps = Array.isArray(rawSteps) ? rawSteps.map(asLooseStep) : [];
  const problems = [...shapeProblems, ...stepProblems(steps), ...offsetProblems(kind, steps)];
  if (parsed.success && problems.length === 0) return { ok: true, draft: parsed.data as RunbookDraft };
  return { ok: false, problems };
}

interface LooseStep {
  id?: string;
  platform?: string;
  action?: string;
  params?: Record<string, unknown>;
  phase?: number;
  after?: unknown[];
  offsetDays?: unknown;
}

function asLooseStep(raw: unknown): LooseStep {
  const s = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    id: str(s.id),
    platform: str(s.platform),
    action: str(s.action),
    params: typeof s.params === 'object' && s.params !== null ? (s.params as Record<string, unknown>) : undefined,
    phase: typeof s.phase === 'number' ? s.phase : undefined,
    after: Array.isArray(s.after) ? s.after : undefined,
    offsetDays: s.offsetDays,
  };
}

/** offsetDays counts from the leave or start date: only the runbooks that have one may use it. */
function offsetProblems(kind: unknown, steps: LooseStep[]): RunbookProblem[] {
  if (kind === 'offboarding' || kind === 'onboarding') return [];
  return steps.flatMap((step, i) =>
    step.offsetDays === undefined
      ? []
      : [
          {
            path: `steps.${i}.offsetDays`,
            message: 'only offboarding (leave date) and onboarding (start date) runbooks have a date to count from',
          },
        ],
  );
}

function stepProblems(steps: LooseStep[]): RunbookProblem[] {
  const firstIndex = new Map<string, number>();
  const problems: RunbookProblem[] = [];
  steps.forEach((step, i) => {
    if (step.id === undefined) return;
    const first = firstIndex.get(step.id);
    if (first === undefined) firstIndex.set(step.id, i);
    else
      problems.push({
        path: `steps.${i}.id`,
        message: `duplicate step id "${step.id}" (first used by steps.${first})`,
      });
  });
  steps.forEach((step, i) =>
    problems.push(...catalogueProblems(step, i), ...dependencyProblems(step, i, steps, firstIndex)),
  );
  return [...problems, ...cycleProblems(steps, firstIndex)];
}

function catalogueProblems(step: LooseStep, i: number): RunbookProblem[] {
  const { platform, action } = step;
  if (platform === undefined || action === undefined) return [];
  if (!(PLATFORMS as readonly string[]).includes(platform)) {
    return [
      { path: `steps.${i}.platform`, message: `unknown platform "${platform}" (known: ${PLATFORMS.join(', ')})` },
    ];
  }
  if (!(PLATFORM_ACTIONS as readonly string[]).includes(action)) {
    return [{ path: `steps.${i}.action`, message: `unknown action "${action}"` }];
  }
  if (!CAPABILITIES[platform as Platform].includes(action as PlatformAction)) {
    return [
      {
        path: `steps.${i}.action`,
        message: `${platform} does not support ${action} (supported: ${CAPABILITIES[platform as Platform].join(', ')})`,
      },
    ];
  }
  return (REQUIRED_STEP_PARAMS[action as PlatformAction] ?? [])
    .filter((name) => step.params?.[name] === undefined)
    .map((name) => ({ path: `steps.${i}.params.${name}`, message: `required by ${action}` }));
}

function dependencyProblems(
  step: LooseStep,
  i: number,
  steps: LooseStep[],
  index: Map<string, number>,
): RunbookProblem[] {
  return (step.after ?? []).flatMap((dep, k): RunbookProblem[] => {
    if (typeof dep !== 'string') return [];
    const j = index.get(dep);
    if (j === undefined) return [{ path: `steps.${i}.after.${k}`, message: `unknown step id "${dep}"` }];
    const [mine, theirs] = [step.phase ?? 1, steps[j]!.phase ?? 1];
    // Phases run in order, so waiting for a step of a later phase could never finish.
    if (theirs > mine)
      return [
        {
          path: `steps.${i}.after.${k}`,
          message: `"${dep}" is in phase ${theirs}, later than this step's phase ${mine}`,
        },
      ];
    return [];
  });
}

/** Every dependency cycle, reported once at the step where the search closed it. */
function cycleProblems(steps: LooseStep[], index: Map<string, number>): RunbookProblem[] {
  const state = new Map<number, 'visiting' | 'done'>();
  const problems: RunbookProblem[] = [];
  const visit = (i: number, trail: number[]): void => {
    state.set(i, 'visiting');
    for (const dep of steps[i]!.after ?? []) {
      const j = typeof dep === 'string' ? index.get(dep) : undefined;
      if (j === undefined) continue;
      if (state.get(j) === 'visiting') {
        const path = [...trail, i];
        const cycle = [...path.slice(path.indexOf(j)), j].map((n) => steps[n]!.id).join(' → ');
        problems.push({ path: `steps.${i}.after`, message: `dependency cycle: ${cycle}` });
      } else if (!state.has(j)) {
        visit(j, [...trail, i]);
      }
    }
    state.set(i, 'done');
  };
  steps.forEach((_s, i) => state.has(i) || visit(i, []));
  return problems;
}
