/**
 * OIDC sign-in: authorization code with PKCE (RFC 7636), a public client, no secret in the
 * browser. The API accepts the resulting access token as it accepts any token of its issuer.
 */
import { saveSession } from './session';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  scope: string;
}

const PENDING = 'irb.oidc.pending';

export async function oidcSettings(): Promise<OidcSettings | undefined> {
  const res = await fetch('/console/config.json');
  if (!res.ok) return undefined;
  const config = (await res.json()) as { oidc?: OidcSettings };
  return config.oidc;
}

async function endpoints(issuer: string): Promise<{ authorization_endpoint: string; token_endpoint: string }> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`the identity provider's configuration cannot be read (${res.status})`);
  return (await res.json()) as { authorization_endpoint: string; token_endpoint: string };
}

function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return btoa(String.fromCharCode(...view))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

const redirectUri = () => `${window.location.origin}/console/`;

export async function beginOidcSignIn(settings: OidcSettings): Promise<void> {
  const { authorization_endpoint } = await endpoints(settings.issuer);
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, hash: window.location.hash }));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: settings.clientId,
    redirect_uri: redirectUri(),
    scope: settings.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
}

/** Back from the provider: checks the state, exchanges the code with the verifier, keeps the access token. */
export async function completeOidcSignIn(settings: OidcSettings): Promise<void> {
  const params = new URLSearchParams(window.location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as {
    verifier: string;
    state: string;
    hash: string;
  } | null;
  sessionStorage.removeItem(PENDING);
  window.history.replaceState(null, '', `/console/${pending?.hash ?? ''}`);
  if (!pending || params.get('state') !== pending.state) throw new Error('the sign-in did not start here: try again');
  const { token_endpoint } = await endpoints(settings.issuer);
  const res = await fetch(token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: redirectUri(),
      client_id: settings.clientId,
      code_verifier: pending.verifier,
    }),
  });
  if (!res.ok) throw new Error(`the identity provider refused the sign-in (${res.status})`);
  const token = (await res.json()) as { access_token: string; expires_in?: number };
  saveSession({
    token: token.access_token,
    method: 'oidc',
    expiresAt: token.expires_in ? Date.now() + token.expires_in * 1000 : undefined,
  });
}
