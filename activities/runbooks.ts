import { ApplicationFailure } from '@temporalio/common';
import type { Runbook } from '../shared/runbooks';
import type { RunbookKind } from '../shared/runs';
import type { RunbookStore } from '../store/runbooks';

export interface RunbookActivityDeps {
  runbooks: RunbookStore;
}

/**
 * The runbook reaches a workflow through this activity: its result is recorded
 * in history, so the run keeps the version it started with (editing the runbook
 * never changes a run in flight, and replay never reads today's database).
 */
export function createRunbookActivities({ runbooks }: RunbookActivityDeps) {
  return {
    async loadRunbook(tenantId: string, kind: RunbookKind, runbookId?: string, version?: number): Promise<Runbook> {
      const runbook = await runbooks.resolve(tenantId, kind, runbookId, version);
      const name = runbookId ?? `default ${kind} runbook`;
      if (!runbook)
        throw ApplicationFailure.create({
          type: 'RunbookNotFound',
          message: `${name} not found for tenant ${tenantId}`,
          nonRetryable: true,
        });
      if (runbook.kind !== kind) {
        throw ApplicationFailure.create({
          type: 'RunbookKindMismatch',
          message: `${name} is a ${runbook.kind} runbook, not ${kind}`,
          nonRetryable: true,
        });
      }
      if (runbook.archived && version === undefined) {
        throw ApplicationFailure.create({
          type: 'RunbookArchived',
          message: `${name} is archived`,
          nonRetryable: true,
        });
      }
      return runbook;
    },
  };
}

export type RunbookActivities = ReturnType<typeof createRunbookActivities>;
