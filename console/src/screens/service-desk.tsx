import { useEffect, useState, type FormEvent } from 'react';
import { api, problemText, type paths } from '../api';

type Runbook =
  paths['/v1/tenants/{tenantId}/runbook-choices']['get']['responses'][200]['content']['application/json']['items'][number];

/** Start an offboarding: person, reason, immediate or on a date, the runbook and its version shown before confirming. */
export function ServiceDesk({ tenantId, onStarted }: { tenantId: string; onStarted: (runId: string) => void }) {
  const [runbooks, setRunbooks] = useState<Runbook[]>([]);
  const [form, setForm] = useState({
    subjectId: '',
    userName: '',
    email: '',
    managerId: '',
    reason: '',
    mode: 'standard',
    leaveDate: '',
    ticketRef: '',
    runbookId: '',
  });
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    void api
      .GET('/v1/tenants/{tenantId}/runbook-choices', { params: { path: { tenantId }, query: { kind: 'offboarding' } } })
      .then(({ data, error }) => (error ? setError(problemText(error)) : setRunbooks(data.items)));
  }, [tenantId]);
  const runbook = runbooks.find((r) => r.runbookId === form.runbookId) ?? runbooks[0];
  const set = (field: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [field]: e.target.value });

  const review = (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setConfirming(true);
  };
  const start = async () => {
    const { data, error, response } = await api.POST('/v1/tenants/{tenantId}/offboardings', {
      params: { path: { tenantId } },
      body: {
        subject: {
          subjectId: form.subjectId,
          userName: form.userName || form.subjectId,
          ...(form.email ? { email: form.email } : {}),
          ...(form.managerId ? { managerId: form.managerId } : {}),
        },
        mode: form.mode as 'standard' | 'immediate',
        ...(form.leaveDate ? { leaveDate: form.leaveDate } : {}),
        ...(form.ticketRef ? { ticketRef: form.ticketRef } : {}),
        ...(form.reason.trim() ? { reason: form.reason.trim() } : {}),
        ...(runbook ? { runbookId: runbook.runbookId } : {}),
      },
    });
    setConfirming(false);
    if (error) return setError(problemText(error));
    const runId = (data as { runId?: string } | undefined)?.runId ?? response.headers.get('Location')?.split('/').pop();
    if (runId) onStarted(runId);
  };

  return (
    <section aria-labelledby="desk-title">
      <h1 id="desk-title">Service desk: offboard a leaver</h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <form onSubmit={review} className="card">
        <label htmlFor="subjectId">Person (subject id)</label>
        <input id="subjectId" required value={form.subjectId} onChange={set('subjectId')} />
        <label htmlFor="userName">User name</label>
        <input id="userName" value={form.userName} onChange={set('userName')} placeholder="the subject id when empty" />
        <label htmlFor="email">E-mail</label>
        <input id="email" type="email" value={form.email} onChange={set('email')} />
        <label htmlFor="managerId">Manager (receives owned data)</label>
        <input id="managerId" value={form.managerId} onChange={set('managerId')} />
        <label htmlFor="reason">Reason</label>
        <input id="reason" value={form.reason} onChange={set('reason')} />
        <fieldset>
          <legend>When</legend>
          <label>
            <input
              type="radio"
              name="mode"
              value="immediate"
              checked={form.mode === 'immediate'}
              onChange={set('mode')}
            />{' '}
            Immediately (contain now)
          </label>
          <label>
            <input
              type="radio"
              name="mode"
              value="standard"
              checked={form.mode === 'standard'}
              onChange={set('mode')}
            />{' '}
            On the leave date
          </label>
          <label htmlFor="leaveDate">Leave date</label>
          <input
            id="leaveDate"
            type="date"
            value={form.leaveDate}
            onChange={set('leaveDate')}
            disabled={form.mode === 'immediate'}
          />
        </fieldset>
        <label htmlFor="runbook">Runbook</label>
        <select id="runbook" value={runbook?.runbookId ?? ''} onChange={set('runbookId')}>
          {runbooks.map((r) => (
            <option key={r.runbookId} value={r.runbookId}>
              {r.name ?? r.runbookId} ({r.runbookId}, version {r.version}
              {r.source === 'product' ? ', product default' : ''})
            </option>
          ))}
        </select>
        <label htmlFor="ticketRef">Ticket reference</label>
        <input id="ticketRef" value={form.ticketRef} onChange={set('ticketRef')} />
        <button type="submit" className="primary">
          Review and start
        </button>
      </form>
      {confirming && (
        <div role="dialog" aria-modal="true" aria-labelledby="confirm-title" className="card confirm">
          <h2 id="confirm-title">Offboard {form.subjectId}?</h2>
          <p>
            Runbook{' '}
            <strong>{runbook ? `${runbook.runbookId} version ${runbook.version}` : 'the tenant’s default'}</strong>,{' '}
            {form.mode === 'immediate'
              ? 'contained immediately'
              : form.leaveDate
                ? `on ${form.leaveDate}`
                : 'on the standard schedule'}
            {form.reason && `, because: ${form.reason}`}
            {form.ticketRef && ` (ticket ${form.ticketRef})`}.
          </p>
          {runbook && (
            <ul>
              {runbook.steps.map((s) => (
                <li key={s.id}>
                  {s.platform}: {s.action}
                </li>
              ))}
            </ul>
          )}
          <div className="actions">
            <button type="button" className="danger" onClick={() => void start()} autoFocus>
              Confirm offboarding
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Back
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
