import type { PlatformConnection } from '../../shared';
import type { SecretReader } from '../connection-secrets';
import { PlatformError } from '../errors';
import {
  clientCredentialsAccepted,
  clientCredentialsToken,
  forgetClientCredentialsToken,
  type ClientCredentialsGrant,
} from './http/oauth';
import { RestClient } from './http/rest-client';

/** A Keycloak realm reached through a confidential client's service account (realm-management roles). */
export interface KeycloakRealm {
  serverUrl: string;
  realm: string;
  clientId: string;
  clientSecret: string;
}

export function keycloakRealm(connection: PlatformConnection, readSecret: SecretReader): KeycloakRealm {
  const { baseUrl, settings = {}, credentials = {} } = connection;
  const missing = [
    !baseUrl && 'baseUrl',
    !settings.realm && 'settings.realm',
    !settings.clientId && 'settings.clientId',
    !credentials.clientSecret && 'credentials.clientSecret',
  ].filter(Boolean);
  if (missing.length) throw new PlatformError('invalid', `keycloak connection lacks ${missing.join(', ')}`);
  return {
    serverUrl: baseUrl!.replace(/\/+$/, ''),
    realm: settings.realm!,
    clientId: settings.clientId!,
    clientSecret: readSecret(credentials.clientSecret!),
  };
}

/** The realm's OAuth client_credentials grant for a client (the connection's own, or one being rotated). */
export function keycloakGrant(
  realm: KeycloakRealm,
  clientId = realm.clientId,
  clientSecret = realm.clientSecret,
): ClientCredentialsGrant {
  return {
    platform: 'keycloak',
    tokenUrl: `${realm.serverUrl}/realms/${encodeURIComponent(realm.realm)}/protocol/openid-connect/token`,
    clientId,
    clientSecret,
    scope: 'openid',
  };
}

/** The Admin REST API of one realm, with the connection client's cached access token. */
export function keycloakAdminApi(realm: KeycloakRealm): RestClient {
  const grant = keycloakGrant(realm);
  return new RestClient({
    platform: 'keycloak',
    baseUrl: `${realm.serverUrl}/admin/realms/${encodeURIComponent(realm.realm)}/`,
    headers: async () => ({ Authorization: `Bearer ${await clientCredentialsToken(grant)}` }),
    dropCachedAuth: () => forgetClientCredentialsToken(grant),
  });
}

/** Rotation's test step: does the token endpoint accept this client's (new) secret? */
export function keycloakSecretAccepted(realm: KeycloakRealm, clientId: string, clientSecret: string): Promise<boolean> {
  return clientCredentialsAccepted(keycloakGrant(realm, clientId, clientSecret));
}
