import type { NotificationLog } from '../../store/notifications';
import type { AdapterFactories } from './adapter';
import { awsIamAdapterFactory } from './aws-iam';
import { entraAdapterFactory } from './entra';
import { githubAdapterFactory } from './github';
import { googleWorkspaceAdapterFactory } from './google-workspace';
import { keycloakAdapterFactory } from './keycloak';
import { createNotificationAdapterFactory } from './notification';
import { oktaAdapterFactory } from './okta';
import { referenceAdapterFactory, referencePlatformsPerTenant, type ReferencePlatform } from './reference';
import { scimAdapterFactory } from './scim';
import { ticketingAdapterFactory } from './ticketing';

/**
 * Platform → adapter factory for this build; a worker serves exactly the
 * platforms listed (the `http-callback` step is wired separately: it completes
 * asynchronously). Where does offboarding disable an Okta user? oktaAdapterFactory
 * → activities/platforms/okta.ts `disableAccount`.
 */
export function adapterFactories(
  stores: { notifications: NotificationLog },
  reference: (tenantId: string) => ReferencePlatform = referencePlatformsPerTenant(),
  options: { consoleUrl?: string } = {},
): AdapterFactories {
  return {
    entra: entraAdapterFactory,
    'aws-iam': awsIamAdapterFactory,
    okta: oktaAdapterFactory,
    'google-workspace': googleWorkspaceAdapterFactory,
    github: githubAdapterFactory,
    keycloak: keycloakAdapterFactory,
    scim: scimAdapterFactory,
    ticketing: ticketingAdapterFactory,
    notification: createNotificationAdapterFactory(stores.notifications, options),
    reference: referenceAdapterFactory(reference),
  };
}
