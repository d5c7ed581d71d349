/** The leavers the API benchmarks offboard, shared by the stack that seeds them and the load generator. */
import type { Subject } from '../../shared';

export const BENCH_RUNBOOK = 'bench-leaver';

export function leaverSubject(i: number): Subject {
  const userName = `leaver-${i}`;
  return { subjectId: `e-${i}`, userName, managerId: `${userName}-manager` };
}

/** The body of POST /v1/tenants/{tenantId}/offboardings for a leaver of the benchmark's tenant. */
export function offboardingBody(subject: Subject): Record<string, unknown> {
  return { runbookId: BENCH_RUNBOOK, subject, mode: 'immediate' };
}
