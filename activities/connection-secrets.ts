import { ApplicationFailure } from '@temporalio/common';
import type { PlatformConnection } from '../shared';
import { PlatformError } from './errors';

/**
 * Resolves a secret reference from a tenant's connection settings at call time.
 * Tenants store references only (`env:VARIABLE`); the value lives in the worker's
 * environment (or a secret manager behind it) and never in MongoDB or a workflow.
 */
export type SecretReader = (ref: string) => string;

export function readSecretRef(ref: string, env: NodeJS.ProcessEnv = process.env): string {
  const match = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(ref);
  if (!match) {
    throw ApplicationFailure.create({ type: 'InvalidSecretReference', message: `unsupported secret reference scheme (expected env:VARIABLE)`, nonRetryable: true });
  }
  const value = env[match[1]!];
  if (!value) {
    // The message names the variable, never a value.
    throw ApplicationFailure.create({ type: 'MissingSecret', message: `environment variable ${match[1]} is not set on the worker`, nonRetryable: true });
  }
  return value;
}

/** A non-secret connection setting the adapter cannot work without (checked when the adapter is built). */
export function requiredSetting(connection: PlatformConnection, key: string): string {
  const value = connection.settings?.[key];
  if (!value) throw new PlatformError('invalid', `${connection.platform} connection is missing settings.${key}`);
  return value;
}

/** A secret reference of the connection (e.g. `env:OKTA_TOKEN`), read at call time so the value is never held longer than a request. */
export function requiredCredential(connection: PlatformConnection, key: string, readSecret: SecretReader): () => string {
  const ref = connection.credentials?.[key];
  if (!ref) throw new PlatformError('invalid', `${connection.platform} connection is missing credentials.${key}`);
  return () => readSecret(ref);
}
