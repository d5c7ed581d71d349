import { useState } from 'react';
import { api, download, problemText, type paths } from '../api';
import { usePolling } from '../polling';

type Run = paths['/v1/tenants/{tenantId}/runs/{runId}']['get']['responses'][200]['content']['application/json'];
type Step = Run['steps'][number];
type ReviewerShare =
  paths['/v1/tenants/{tenantId}/reviews/{reviewId}/reviewers']['get']['responses'][200]['content']['application/json']['items'][number];

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
  const [goAheadComment, setGoAheadComment] = useState('');
  const [goAheadNotice, setGoAheadNotice] = useState<string>();
  usePolling(
    async (active) => {
      const { data, error } = await api.GET('/v1/tenants/{tenantId}/runs/{runId}', {
        params: { path: { tenantId, runId } },
      });
      if (!active()) return false;
      if (error) {
        setError(problemText(error));
        return true;
      }
      setRun(data);
      return OPEN.has(data.status) || !data.closedAt;
    },
    POLL_MS,
    [tenantId, runId],
  );

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
  const goAhead = async () => {
    const { error } = await api.POST('/v1/tenants/{tenantId}/runs/{runId}/go-ahead', {
      params: { path: { tenantId, runId } },
      body: goAheadComment.trim() ? { comment: goAheadComment.trim() } : {},
    });
    setGoAheadNotice(error ? `Not sent: ${problemText(error)}` : 'Go-ahead sent: the campaign continues');
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
      {run.status === 'paused' && permissions.includes('runs:approve') && (
        <div className="card warn">
          <h2>Blast-radius brake</h2>
          <p>
            The campaign stopped before revoking: more would be revoked than the tenant’s policy allows at once. Check
            the decisions, then let it continue.
          </p>
          <label htmlFor="go-ahead-comment">Comment (optional)</label>
          <input id="go-ahead-comment" value={goAheadComment} onChange={(e) => setGoAheadComment(e.target.value)} />
          <button type="button" onClick={() => void goAhead()}>
            Go ahead
          </button>
          {goAheadNotice && <p role="status">{goAheadNotice}</p>}
        </div>
      )}
      {run.kind === 'access-review' && permissions.includes('reviews:read-all') && (
        <ReviewerProgress tenantId={tenantId} reviewId={run.subjectId} open={OPEN.has(run.status)} />
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

/**
 * A campaign's progress per reviewer as a bar chart: decided, defaulted at the deadline and pending out of each
 * share, overdue shares first and marked. Each bar carries its numbers as text for screen readers.
 */
function ReviewerProgress({ tenantId, reviewId, open }: { tenantId: string; reviewId: string; open: boolean }) {
  const [shares, setShares] = useState<ReviewerShare[]>();
  const [error, setError] = useState<string>();
  usePolling(
    async (active) => {
      const { data, error } = await api.GET('/v1/tenants/{tenantId}/reviews/{reviewId}/reviewers', {
        params: { path: { tenantId, reviewId } },
      });
      if (!active()) return false;
      if (error) setError(problemText(error));
      else setShares(data.items);
      return open;
    },
    POLL_MS * 2,
    [tenantId, reviewId, open],
  );
  if (error) return <p className="error">{error}</p>;
  if (!shares) return null;
  const sorted = [...shares].sort(
    (a, b) =>
      Number(b.overdue) - Number(a.overdue) || b.pending - a.pending || a.reviewerId.localeCompare(b.reviewerId),
  );
  const sum = (f: (s: ReviewerShare) => number) => shares.reduce((n, s) => n + f(s), 0);
  const total = sum((s) => s.total);
  const pct = (n: number, of: number) => (of ? `${(100 * n) / of}%` : '0');
  return (
    <div className="card">
      <h2 id="reviewer-progress">Progress per reviewer</h2>
      <p>
        {sum((s) => s.decided)} decided, {sum((s) => s.defaulted)} defaulted, {sum((s) => s.pending)} pending of {total}{' '}
        items; {shares.filter((s) => s.overdue).length} reviewers overdue.
      </p>
      <ul className="bars" aria-labelledby="reviewer-progress">
        {sorted.map((s) => (
          <li key={s.reviewerId} className={s.overdue ? 'overdue' : undefined}>
            <span className="bar-label">
              {s.reviewerId}
              {s.overdue && <strong> overdue</strong>}
            </span>
            <span className="bar" aria-hidden="true">
              <span className="bar-decided" style={{ width: pct(s.decided, s.total) }} />
              <span className="bar-defaulted" style={{ width: pct(s.defaulted, s.total) }} />
            </span>
            <span className="bar-numbers">
              {s.decided} decided, {s.defaulted} defaulted, {s.pending} pending of {s.total}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
