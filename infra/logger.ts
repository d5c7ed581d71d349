import pino, { type Logger } from 'pino';

/**
 * Structured logs. Anything that can hold a secret or a credential is redacted
 * by path, whatever the log call passes.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.secretValue',
  '*.clientSecret',
  '*.token',
  '*.apiKey',
  '*.accessToken',
  '*.refreshToken',
  '*.privateKey',
];

export function createLogger(level: string, name: string): Logger {
  return pino({ level, name, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}

export type { Logger };
