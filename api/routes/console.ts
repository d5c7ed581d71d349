import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';
import type { OidcOptions } from '../auth';
import { notFound } from '../problem';

/** Where `vite build console` writes (console/dist), from the sources (api/routes) and from the image's dist/api/routes. */
const BUILT_CONSOLE_DIRS = [
  join(__dirname, '..', '..', 'console', 'dist'),
  join(__dirname, '..', '..', '..', 'console', 'dist'),
];

export function builtConsoleDir(): string | undefined {
  return BUILT_CONSOLE_DIRS.find((dir) => existsSync(join(dir, 'index.html')));
}

export interface ConsoleOptions {
  /** The built console (index.html and assets); found next to the sources when omitted. */
  dir?: string;
  /** The public OIDC client the console signs in with (authorization code with PKCE); API keys only when unset. */
  oidcClientId?: string;
  oidc?: OidcOptions;
}

/**
 * The web console, same origin as the API: the browser calls /v1 with the signed-in
 * person's bearer credential, so the console can do no more than its user's roles allow.
 */
export function consoleRouter(options: ConsoleOptions): Router {
  const router = Router();
  const dir = options.dir ?? builtConsoleDir();
  const issuerOrigin = options.oidc && options.oidcClientId ? new URL(options.oidc.issuer).origin : undefined;
  router.get('/', (_req, res) => res.redirect(302, '/console/'));
  router.use('/console', (_req, res, next) => {
    // Scripts and styles only from here; the browser may call the API and (for sign-in) the issuer, nothing else.
    res.setHeader(
      'Content-Security-Policy',
      [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        `connect-src 'self'${issuerOrigin ? ` ${issuerOrigin}` : ''}`,
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
      ].join('; '),
    );
    next();
  });
  router.get('/console/config.json', (_req, res) => {
    res.json({
      oidc:
        options.oidc && options.oidcClientId
          ? { issuer: options.oidc.issuer, clientId: options.oidcClientId, scope: 'openid' }
          : undefined,
    });
  });
  if (!dir) {
    router.use('/console', (_req, _res, next) => next(notFound('console (not built: run npm run build:console)')));
    return router;
  }
  router.use('/console', express.static(dir, { index: 'index.html', maxAge: 0 }));
  return router;
}
