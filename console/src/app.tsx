import { useEffect, useState } from 'react';
import { api, problemText } from './api';
import { completeOidcSignIn, oidcSettings } from './oidc';
import { Approvals } from './screens/approvals';
import { MyReviews } from './screens/my-reviews';
import { RunView } from './screens/run-view';
import { Runs } from './screens/runs';
import { ServiceDesk } from './screens/service-desk';
import { SignIn } from './screens/sign-in';
import { Tenants } from './screens/tenants';
import { clearSession, loadSession } from './session';
import { useHashRoute, type Route } from './routing';

type Me = Awaited<ReturnType<typeof fetchMe>>;

async function fetchMe() {
  const { data, error } = await api.GET('/v1/me');
  if (error) throw new Error(problemText(error));
  return data;
}

/** Each screen and the permission on the chosen tenant that shows it: the console shows only what the roles allow. */
const SCREENS: { route: Route['screen']; label: string; permission: string }[] = [
  { route: 'reviews', label: 'My reviews', permission: 'reviews:decide' },
  { route: 'approvals', label: 'Approvals', permission: 'runs:approve' },
  { route: 'desk', label: 'Service desk', permission: 'runs:start' },
  { route: 'runs', label: 'Runs and campaigns', permission: 'runs:read' },
  { route: 'tenant', label: 'Tenant', permission: 'tenant:write' },
];

export function App() {
  const [signedIn, setSignedIn] = useState(() => loadSession() !== undefined);
  const [me, setMe] = useState<Me>();
  const [failure, setFailure] = useState<string>();
  const [route, navigate] = useHashRoute();
  const [tenantId, setTenantId] = useState<string>();

  useEffect(() => {
    // Back from the identity provider with ?code=...: exchange it, then drop it from the address bar.
    if (new URLSearchParams(window.location.search).has('code'))
      void oidcSettings()
        .then((settings) => (settings ? completeOidcSignIn(settings) : undefined))
        .then(() => setSignedIn(loadSession() !== undefined))
        .catch((err: Error) => setFailure(err.message));
  }, []);

  useEffect(() => {
    if (!signedIn) return;
    fetchMe()
      .then((who) => {
        setMe(who);
        setTenantId((current) => current ?? route.tenantId ?? who.tenants[0]?.tenantId);
      })
      .catch((err: Error) => {
        clearSession();
        setSignedIn(false);
        setFailure(err.message);
      });
  }, [signedIn, route.tenantId]);

  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} failure={failure} />;
  if (!me) return <p role="status">Loading…</p>;

  const tenant = me.tenants.find((t) => t.tenantId === tenantId);
  const allowed = SCREENS.filter((s) => tenant?.permissions.includes(s.permission));
  const screen =
    allowed.some((s) => s.route === route.screen) || route.screen === 'run' ? route.screen : allowed[0]?.route;

  return (
    <>
      <header className="top">
        <span className="brand">Identity runbooks</span>
        <label>
          Tenant{' '}
          <select value={tenantId ?? ''} onChange={(e) => setTenantId(e.target.value)}>
            {me.tenants.map((t) => (
              <option key={t.tenantId} value={t.tenantId}>
                {t.tenantId}
              </option>
            ))}
          </select>
        </label>
        <span className="who">
          Signed in as <strong>{me.actor.id}</strong>
        </span>
        <button
          type="button"
          onClick={() => {
            clearSession();
            setMe(undefined);
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <nav aria-label="Screens">
        <ul>
          {allowed.map((s) => (
            <li key={s.route}>
              <a href={`#/${s.route}`} aria-current={screen === s.route ? 'page' : undefined}>
                {s.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main>
        {!tenant || !screen ? (
          <p>You have no role on a tenant that this console can show.</p>
        ) : screen === 'reviews' ? (
          <MyReviews tenantId={tenant.tenantId} />
        ) : screen === 'approvals' ? (
          <Approvals tenantId={tenant.tenantId} me={me.actor.id} />
        ) : screen === 'desk' ? (
          <ServiceDesk tenantId={tenant.tenantId} onStarted={(runId) => navigate({ screen: 'run', runId })} />
        ) : screen === 'runs' ? (
          <Runs tenantId={tenant.tenantId} />
        ) : screen === 'run' && route.runId ? (
          <RunView tenantId={tenant.tenantId} runId={route.runId} permissions={tenant.permissions} />
        ) : (
          <Tenants tenantId={tenant.tenantId} permissions={tenant.permissions} />
        )}
      </main>
    </>
  );
}
