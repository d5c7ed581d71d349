import { useEffect, useState } from 'react';
import { api, problemText, type paths } from '../api';

type Tenant = paths['/v1/tenants/{tenantId}']['get']['responses'][200]['content']['application/json'];
type Check =
  paths['/v1/tenants/{tenantId}/connections/{platform}/test']['post']['responses'][200]['content']['application/json'];
type Platform = Check['platform'];
type Schedule =
  paths['/v1/tenants/{tenantId}/schedules']['get']['responses'][200]['content']['application/json']['items'][number];

/** The tenant as its admins see it: connections (secret references only, never values), policy, schedules. */
export function Tenants({ tenantId, permissions }: { tenantId: string; permissions: string[] }) {
  const [tenant, setTenant] = useState<Tenant>();
  const [schedules, setSchedules] = useState<Schedule[]>([]);
  const [error, setError] = useState<string>();
  const [checks, setChecks] = useState<Partial<Record<Platform, Check | string>>>({});
  const canTest = permissions.includes('tenant:write');
  const testConnection = async (platform: Platform) => {
    setChecks((c) => ({ ...c, [platform]: 'testing' }));
    const { data, error } = await api.POST('/v1/tenants/{tenantId}/connections/{platform}/test', {
      params: { path: { tenantId, platform } },
    });
    setChecks((c) => ({ ...c, [platform]: data ?? `Not tested: ${problemText(error)}` }));
  };
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
            <th scope="col">Health</th>
          </tr>
        </thead>
        <tbody>
          {(tenant.connections ?? []).map((c) => (
            <tr key={c.platform}>
              <td>{c.platform}</td>
              <td>{c.baseUrl ?? 'the platform’s default'}</td>
              <td>{Object.keys(c.credentials ?? {}).join(', ') || '—'}</td>
              <td>
                {canTest && (
                  <button
                    type="button"
                    onClick={() => void testConnection(c.platform)}
                    disabled={checks[c.platform] === 'testing'}
                  >
                    Test connection<span className="sr-only"> to {c.platform}</span>
                  </button>
                )}{' '}
                <span role="status">{checkText(checks[c.platform])}</span>
              </td>
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

/** A connection test's answer in words: ok, failed and why, or that the platform cannot be tested. */
function checkText(check: Check | string | undefined): string {
  if (check === undefined) return '';
  if (check === 'testing') return 'Testing…';
  if (typeof check === 'string') return check;
  const when = new Date(check.checkedAt).toLocaleTimeString();
  if (check.status === 'ok') return `OK at ${when}: ${check.detail}`;
  if (check.status === 'not-supported') return `Not testable: ${check.detail}`;
  return `Failed at ${when} (${check.failure ?? 'error'}): ${check.detail}`;
}
