import { useEffect, useState } from 'react';
import { api, problemText, type paths } from '../api';

type Tenant = paths['/v1/tenants/{tenantId}']['get']['responses'][200]['content']['application/json'];
type Schedule =
  paths['/v1/tenants/{tenantId}/schedules']['get']['responses'][200]['content']['application/json']['items'][number];

/** The tenant as its admins see it: connections (secret references only, never values), policy, schedules. */
export function Tenants({ tenantId }: { tenantId: string }) {
  const [tenant, setTenant] = useState<Tenant>();
  const [schedules, setSchedules] = useState<Schedule[]>([]);
  const [error, setError] = useState<string>();
  useEffect(() => {
    void api.GET('/v1/tenants/{tenantId}', { params: { path: { tenantId } } }).then(({ data, error }) => {
      if (error) setError(problemText(error));
      else setTenant(data);
    });
    void api
      .GET('/v1/tenants/{tenantId}/schedules', { params: { path: { tenantId } } })
      .then(({ data }) => setSchedules(data?.items ?? []));
  }, [tenantId]);
  if (error)
    return (
      <p role="alert" className="error">
        {error}
      </p>
    );
  if (!tenant) return <p role="status">Loading…</p>;
  return (
    <section aria-labelledby="tenant-title">
      <h1 id="tenant-title">Tenant {tenant.tenantId}</h1>
      <table>
        <caption>Connections</caption>
        <thead>
          <tr>
            <th scope="col">Platform</th>
            <th scope="col">Address</th>
            <th scope="col">Credentials (references)</th>
          </tr>
        </thead>
        <tbody>
          {(tenant.connections ?? []).map((c) => (
            <tr key={c.platform}>
              <td>{c.platform}</td>
              <td>{c.baseUrl ?? 'the platform’s default'}</td>
              <td>{Object.keys(c.credentials ?? {}).join(', ') || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table>
        <caption>Schedules</caption>
        <thead>
          <tr>
            <th scope="col">Schedule</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {schedules.map((s) => (
            <tr key={s.scheduleId}>
              <td>{s.scheduleId}</td>
              <td>{s.paused ? 'paused' : 'active'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Policy</h2>
      <pre className="policy">{JSON.stringify(tenant.policy ?? {}, null, 2)}</pre>
    </section>
  );
}
