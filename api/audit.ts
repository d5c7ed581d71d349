import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../infra/logger';
import type { EvidenceStore } from '../store/evidence';
import { principalOf } from './access';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every mutating call of an authenticated caller goes into the evidence log
 * with the caller's identity and the outcome, including refusals. A call about
 * a run is filed under that run (res.locals.auditRunId) so it shows in the
 * run's evidence; others under the request id.
 */
export function auditMutations(evidence: EvidenceStore, log: Logger): RequestHandler {
  return (req, res, next) => {
    if (!MUTATING.has(req.method)) return next();
    res.on('finish', () => {
      const principal = principalOf(res);
      const route = req.route ? `${req.baseUrl}${String((req.route as { path: string }).path)}` : req.path;
      const tenantId = (res.locals.tenantId as string | undefined) ?? '*';
      evidence
        .append(`api:${randomUUID()}`, {
          tenantId,
          runId: (res.locals.auditRunId as string | undefined) ?? `request:${req.id as string}`,
          kind: 'api',
          subjectId: res.locals.auditSubjectId as string | undefined,
          at: new Date().toISOString(),
          actor: { id: principal.actor.id, kind: principal.actor.kind },
          event: `${req.method} ${route}`,
          outcome: String(res.statusCode),
          detail: { requestId: req.id, ...(res.locals.auditDetail as Record<string, unknown> | undefined) },
        })
        .catch((err: unknown) => log.error({ err, reqId: req.id }, 'audit record not written'));
    });
    next();
  };
}
