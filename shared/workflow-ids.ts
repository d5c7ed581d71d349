import type { RunbookKind } from './runs';

/**
 * Workflow ids are derived from tenant, kind and subject, so a second request
 * for the same person while a run is open joins it instead of duplicating it.
 */
export function runWorkflowId(tenantId: string, kind: RunbookKind, subjectId: string): string {
  return `${tenantId}/${kind}/${subjectId}`;
}

export function reviewerWorkflowId(tenantId: string, reviewId: string, reviewerId: string): string {
  return `${tenantId}/access-review/${reviewId}/reviewer/${reviewerId}`;
}

export function parseRunWorkflowId(
  workflowId: string,
): { tenantId: string; kind: string; subjectId: string } | undefined {
  const [tenantId, kind, ...rest] = workflowId.split('/');
  if (!tenantId || !kind || rest.length === 0) return undefined;
  return { tenantId, kind, subjectId: rest.join('/') };
}
