import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './api-types';
import { loadSession } from './session';

export type { components, paths };

/** An RFC 9457 problem as the API sends it: the console shows its detail and each named field. */
export interface Problem {
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

const bearer: Middleware = {
  onRequest({ request }) {
    const session = loadSession();
    if (session) request.headers.set('Authorization', `Bearer ${session.token}`);
    return request;
  },
};

/** Typed by the API's own OpenAPI document (api-types.ts is generated from it). */
export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(bearer);

export function problemText(error: unknown): string {
  const p = error as Partial<Problem> | undefined;
  if (!p || typeof p !== 'object') return 'The request failed';
  const fields = (p.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ');
  return [p.detail ?? p.title ?? 'The request failed', fields].filter(Boolean).join(' — ');
}

/** Downloads a protected resource (evidence) with the session's credential. */
export async function download(path: string, filename: string, accept = 'application/json'): Promise<void> {
  const session = loadSession();
  const res = await fetch(path, {
    headers: { Accept: accept, ...(session ? { Authorization: `Bearer ${session.token}` } : {}) },
  });
  if (!res.ok) throw new Error(`download failed: ${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}
