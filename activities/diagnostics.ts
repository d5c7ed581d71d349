import type { Db } from 'mongodb';

export interface DiagnosticsDeps {
  db: Db;
}

export function createDiagnosticsActivities({ db }: DiagnosticsDeps) {
  return {
    /** Proves the worker reaches the store; read-only, so safe to repeat. */
    async checkStore(): Promise<{ reachable: boolean; version: string }> {
      const info = await db.admin().command({ buildInfo: 1 });
      return { reachable: true, version: String(info.version) };
    },
  };
}

export type DiagnosticsActivities = ReturnType<typeof createDiagnosticsActivities>;
