import { useEffect, useState } from 'react';

export interface Route {
  screen: 'reviews' | 'approvals' | 'desk' | 'runs' | 'run' | 'tenant';
  runId?: string;
  tenantId?: string;
}

/** `#/run/<runId>`, `#/reviews`…: deep links (Slack, Teams, e-mail) open the exact screen. */
export function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const [screen, id] = path.split('/');
  const tenantId = new URLSearchParams(query).get('tenant') ?? undefined;
  if (screen === 'run' && id) return { screen: 'run', runId: decodeURIComponent(id), tenantId };
  if (screen === 'approvals' || screen === 'desk' || screen === 'runs' || screen === 'tenant' || screen === 'reviews')
    return { screen, tenantId };
  return { screen: 'reviews', tenantId };
}

export function useHashRoute(): [Route, (route: Route) => void] {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return [
    route,
    (next) => {
      window.location.hash =
        next.screen === 'run' && next.runId ? `#/run/${encodeURIComponent(next.runId)}` : `#/${next.screen}`;
    },
  ];
}
