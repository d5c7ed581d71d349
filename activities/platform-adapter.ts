import type {
  ActionInputs,
  ActionOutputs,
  ActionResult,
  CredentialInfo,
  Platform,
  PlatformAction,
  Subject,
} from '../shared';

/**
 * createCredential is the one action whose adapter output differs: the secret stays inside the activity.
 * A repeat on a platform that shows a secret only once (AWS access keys) returns the credential without it.
 */
export interface AdapterOutputs extends Omit<ActionOutputs, 'createCredential'> {
  createCredential: { credential: CredentialInfo; secret?: string };
}

export type AdapterAction<A extends PlatformAction> = (
  input: ActionInputs[A],
) => Promise<ActionResult<AdapterOutputs[A]>>;

/**
 * One platform's real API client, for one tenant's connection. It implements
 * exactly the actions of its entry in CAPABILITIES (shared/platforms.ts).
 * Every action is idempotent: repeating it reports `already-done`. Failures are
 * thrown as PlatformError so the activity layer can classify them.
 */
export type PlatformAdapter = { readonly platform: Platform } & { [A in PlatformAction]?: AdapterAction<A> } & {
  /** Rotation's test step: does this new secret authenticate? (never logged) */
  verifyCredential?(credential: CredentialInfo, secret: string): Promise<boolean>;
  /** Access review's inventory: the platform's accounts a page at a time (cursor-paged, like SCIM's and Graph's lists). */
  listAccounts?(page: PageRequest): Promise<AccountPage>;
  /**
   * Every non-human credential of the tenant on this platform, a page at a time: the one enumeration rotation
   * campaigns (and a non-human-identity inventory) stand on. `listCredentials` without a subject or owner pages through it.
   */
  listCredentialsPage?(page: PageRequest): Promise<CredentialPage>;
};

/** One page of a platform listing: where to resume (the last page's `nextCursor`; none for the first) and how many. */
export interface PageRequest {
  cursor?: string;
  limit: number;
}
export interface AccountPage {
  accounts: Subject[];
  nextCursor?: string;
}
export interface CredentialPage {
  credentials: CredentialInfo[];
  nextCursor?: string;
}

/** Builds the adapter for a tenant from its stored connection settings (secret references resolved at call time). */
export type AdapterResolver = (tenantId: string, platform: Platform) => Promise<PlatformAdapter>;
