import { useEffect, useState } from 'react';
import { api, problemText, type paths } from '../api';

type Query = NonNullable<paths['/v1/tenants/{tenantId}/runs']['get']['parameters']['query']>;
type Summary =
  paths['/v1/tenants/{tenantId}/runs']['get']['responses'][200]['content']['application/json']['items'][number];

const KINDS = ['offboarding', 'onboarding', 'credential-rotation', 'access-review', 'privileged-access'] as const;
const STATUSES = ['running', 'completed', 'failed', 'cancelled', 'terminated', 'timed-out'] as const;

/** Runs and campaigns, newest first, filtered by kind, status and subject. */
export function Runs({ tenantId }: { tenantId: string }) {
  const [filter, setFilter] = useState<{ kind: string; status: string; subject: string }>({
    kind: '',
    status: '',
    subject: '',
  });
  const [items, setItems] = useState<Summary[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const query: Query = {};
    if (filter.kind) query.kind = filter.kind as Query['kind'];
    if (filter.status) query.status = filter.status as Query['status'];
    if (filter.subject.trim()) query.subject = filter.subject.trim();
    void api.GET('/v1/tenants/{tenantId}/runs', { params: { path: { tenantId }, query } }).then(({ data, error }) => {
      if (error) setError(problemText(error));
      else {
        setError(undefined);
        setItems(data.items);
      }
    });
  }, [tenantId, filter]);

  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs and campaigns</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Kind{' '}
          <select value={filter.kind} onChange={(e) => setFilter({ ...filter, kind: e.target.value })}>
            <option value="">any</option>
            {KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select value={filter.status} onChange={(e) => setFilter({ ...filter, status: e.target.value })}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Subject <input value={filter.subject} onChange={(e) => setFilter({ ...filter, subject: e.target.value })} />
        </label>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {items && (
        <table>
          <caption>{items.length} runs</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Subject</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.runId}>
                <td>{r.kind}</td>
                <td>
                  <a href={`#/run/${encodeURIComponent(r.runId)}`}>{r.subjectId}</a>
                </td>
                <td>{r.status}</td>
                <td>
                  <time dateTime={r.startedAt}>{new Date(r.startedAt).toLocaleString()}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
