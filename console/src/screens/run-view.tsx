import { useEffect, useState } from 'react';
import { api, download, problemText, type paths } from '../api';

type Run = paths['/v1/tenants/{tenantId}/runs/{runId}']['get']['responses'][200]['content']['application/json'];
type Step = Run['steps'][number];

const OPEN = new Set(['running', 'waiting', 'waiting-for-approval', 'paused']);
const POLL_MS = 1500;

/** One step's state in words: retrying shows the attempt, the last error and when the next attempt is. */
function stepState(step: Step): string {
  const s = step as Step & { attempt?: number; maximumAttempts?: number; nextAttemptAt?: string };
  if (s.status === 'running' && s.lastError)
    return `retrying (attempt ${s.attempt ?? s.attempts}${s.maximumAttempts ? ` of ${s.maximumAttempts}` : ''}${
      s.nextAttemptAt ? `, next at ${new Date(s.nextAttemptAt).toLocaleTimeString()}` : ''
    })`;
  return s.status;
}

/** A run watched live: a timeline per platform and step, what a human must finish, legal hold, evidence. */
export function RunView({ tenantId, runId, permissions }: { tenantId: string; runId: string; permissions: string[] }) {
  const [run, setRun] = useState<Run>();
  const [error, setError] = useState<string>();
  const [holdReason, setHoldReason] = useState('');
  const [notice, setNotice] = useState<string>();
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const { data, error } = await api.GET('/v1/tenants/{tenantId}/runs/{runId}', {
        params: { path: { tenantId, runId } },
      });
      if (stopped) return;
      if (error) setError(problemText(error));
      else {
        setRun(data);
        if (!OPEN.has(data.status) && data.closedAt) return;
      }
      timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [tenantId, runId]);

  if (error)
    return (
      <p role="alert" className="error">
        {error}
      </p>
    );
  if (!run) return <p role="status">Loading…</p>;
  const platforms = [...new Set(run.steps.map((s) => s.platform))];
  const hold = async () => {
    const { error } = await api.POST('/v1/tenants/{tenantId}/runs/{runId}/legal-hold', {
      params: { path: { tenantId, runId } },
      body: { reason: holdReason },
    });
    setNotice(error ? `Not placed: ${problemText(error)}` : 'Legal hold placed: retention deletion will not happen');
  };
  const evidencePath = `/v1/tenants/${encodeURIComponent(tenantId)}/runs/${encodeURIComponent(runId)}/evidence`;

  return (
    <section aria-labelledby="run-title">
      <h1 id="run-title">
        {run.kind} of {run.subjectId}
      </h1>
      <p>
        Status: <strong data-testid="run-status">{run.status}</strong>
        {run.runbook && ` · runbook ${run.runbook.id} version ${run.runbook.version}`} · started{' '}
        <time dateTime={run.startedAt}>{new Date(run.startedAt).toLocaleString()}</time>
      </p>
      <p aria-live="polite" className="sr-only">
        {run.status}
      </p>
      {run.needsHuman.length > 0 && (
        <div className="card warn">
          <h2>What a human must finish</h2>
          <ul>
            {run.needsHuman.map((task) => (
              <li key={task}>{task}</li>
            ))}
          </ul>
        </div>
      )}
      {platforms.map((platform) => (
        <table key={platform} className="timeline">
          <caption>{platform}</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">State</th>
              <th scope="col">Attempts</th>
              <th scope="col">Detail or last error</th>
              <th scope="col">Finished</th>
            </tr>
          </thead>
          <tbody>
            {run.steps
              .filter((s) => s.platform === platform)
              .map((s) => (
                <tr key={s.stepId} className={`step-${s.status}`}>
                  <th scope="row">{s.action}</th>
                  <td>{stepState(s)}</td>
                  <td>{s.attempts}</td>
                  <td>{s.lastError ?? s.detail ?? ''}</td>
                  <td>{s.finishedAt ? new Date(s.finishedAt).toLocaleTimeString() : ''}</td>
                </tr>
              ))}
          </tbody>
        </table>
      ))}
      <div className="actions">
        <button type="button" onClick={() => void download(evidencePath, `evidence-${run.subjectId}.json`)}>
          Evidence (JSON)
        </button>
        <button type="button" onClick={() => void download(evidencePath, `evidence-${run.subjectId}.csv`, 'text/csv')}>
          Evidence (CSV)
        </button>
      </div>
      {run.kind === 'offboarding' && permissions.includes('runs:legal-hold') && OPEN.has(run.status) && (
        <div className="card">
          <h2>Legal hold</h2>
          <label htmlFor="hold-reason">Reason</label>
          <input id="hold-reason" value={holdReason} onChange={(e) => setHoldReason(e.target.value)} />
          <button type="button" onClick={() => void hold()} disabled={holdReason.trim().length < 3}>
            Place legal hold
          </button>
          {notice && <p role="status">{notice}</p>}
        </div>
      )}
    </section>
  );
}
