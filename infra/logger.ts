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

/**
 * JSON lines (production, and anything that parses logs), or `pretty` for a person reading a
 * terminal in development (pino-pretty, a devDependency the production image does not have).
 * Redaction happens before either.
 */
export function createLogger(level: string, name: string, format: 'json' | 'pretty' = 'json'): Logger {
  const options = { level, name, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  if (format === 'pretty')
    return pino(
      options,
      pino.transport({
        target: 'pino-pretty',
        options: {
          colorize: true,
          singleLine: true,
          translateTime: 'SYS:HH:MM:ss',
          ignore: 'pid,hostname,req.headers,res.headers,req.query,req.params,req.remotePort',
        },
      }),
    );
  return pino(options);
}

export type { Logger };
