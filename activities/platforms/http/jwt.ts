import { createSign } from 'node:crypto';
import { PlatformError } from '../../errors';

/** A compact JWS with RS256 (RFC 7515/7519), as Google service accounts and GitHub Apps sign their assertions. */
export function signJwtRs256(claims: Record<string, unknown>, privateKeyPem: string, what: string): string {
  const unsigned = `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url(claims)}`;
  try {
    return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKeyPem, 'base64url')}`;
  } catch {
    // The key is a secret: say what is wrong with it, never what it is.
    throw new PlatformError('invalid', `${what} cannot sign (not a PEM RSA private key)`);
  }
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
