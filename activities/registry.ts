import type { AdapterFactories } from './adapters';
import { awsIamAdapterFactory } from './aws-iam';
import { keycloakAdapterFactory } from './keycloak';
import { referenceAdapterFactory, ReferencePlatform } from './reference';

/**
 * Platform → adapter factory for this build. The real platform adapters
 * (awsIamAdapterFactory, keycloakAdapterFactory, entraAdapterFactory, ...) are
 * added here as they land; a worker serves exactly the platforms listed.
 */
export function adapterFactories(reference: ReferencePlatform = new ReferencePlatform()): AdapterFactories {
  return {
    reference: referenceAdapterFactory(reference),
    'aws-iam': awsIamAdapterFactory,
    keycloak: keycloakAdapterFactory,
  };
}
