import { useEffect, useState, type FormEvent } from 'react';
import { beginOidcSignIn, oidcSettings, type OidcSettings } from '../oidc';
import { saveSession } from '../session';

export function SignIn({ onSignedIn, failure }: { onSignedIn: () => void; failure?: string }) {
  const [oidc, setOidc] = useState<OidcSettings>();
  const [key, setKey] = useState('');
  const [error, setError] = useState(failure);
  useEffect(() => void oidcSettings().then(setOidc, () => undefined), []);

  const withKey = (e: FormEvent) => {
    e.preventDefault();
    if (!key.trim()) return setError('Paste an API key');
    saveSession({ token: key.trim(), method: 'api-key' });
    onSignedIn();
  };

  return (
    <main className="sign-in">
      <h1>Identity runbooks</h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {oidc && (
        <section aria-labelledby="sso">
          <h2 id="sso">Single sign-on</h2>
          <button
            type="button"
            className="primary"
            onClick={() => void beginOidcSignIn(oidc).catch((e: Error) => setError(e.message))}
          >
            Sign in with your organisation
          </button>
        </section>
      )}
      <section aria-labelledby="key">
        <h2 id="key">API key</h2>
        <form onSubmit={withKey}>
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-describedby="api-key-help"
          />
          <p id="api-key-help" className="help">
            Kept for this browser tab only; it is never shown again.
          </p>
          <button type="submit">Sign in with the key</button>
        </form>
      </section>
    </main>
  );
}
