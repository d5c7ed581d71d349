/**
 * The signed-in credential: an API key pasted once, or an OIDC access token from the
 * authorization-code flow with PKCE (oidc.ts). Kept in sessionStorage only, so it ends
 * with the browser tab and is never rendered.
 */
const KEY = 'irb.session';

export interface Session {
  token: string;
  method: 'api-key' | 'oidc';
  /** Epoch ms; OIDC tokens expire, API keys do not here. */
  expiresAt?: number;
}

export function loadSession(): Session | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return undefined;
  const session = JSON.parse(raw) as Session;
  if (session.expiresAt !== undefined && session.expiresAt < Date.now()) {
    sessionStorage.removeItem(KEY);
    return undefined;
  }
  return session;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
