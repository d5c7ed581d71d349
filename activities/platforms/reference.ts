import { randomBytes } from 'node:crypto';
import type { AdapterFactory, AdapterOutputs, PlatformAdapter } from './adapter';
import { PlatformError, type PlatformErrorKind } from '../errors';
import type {
  ActionResult,
  CredentialInfo,
  CredentialKind,
  Entitlement,
  FederationLink,
  PlatformAction,
  Subject,
} from '../../shared';

/** One account on the reference platform. */
export interface ReferenceAccount {
  accountId: string;
  userName: string;
  email?: string;
  displayName?: string;
  managerId?: string;
  kind: 'person' | 'service';
  enabled: boolean;
  sessions: number;
  entitlements: Entitlement[];
  federation: FederationLink[];
  /** Data items (files, projects) this account owns; transferOwnership moves them. */
  owned: string[];
}

interface ReferenceCredential extends CredentialInfo {
  secret: string;
  idempotencyKey?: string;
}

/** A call kept in flight until the test releases it (see ReferencePlatform.hold). */
export interface HeldCall {
  /** Resolves when the held call has started. */
  entered: Promise<void>;
  release(): void;
  /** Resolves when the held call has done its work on the platform. */
  finished: Promise<void>;
}

interface PlannedFailure {
  kind: PlatformErrorKind;
  times: number;
  retryAfterMs?: number;
}

/**
 * The in-process reference platform: a stateful identity system the workflows
 * run against in tests and in the embedded default, so tests check effects
 * (accounts disabled, keys revoked), not calls. Behaves like a real adapter:
 * idempotent actions, classified failures, failures injectable per action.
 */
export class ReferencePlatform {
  readonly accounts = new Map<string, ReferenceAccount>();
  readonly credentials = new Map<string, ReferenceCredential>();
  private readonly failures = new Map<PlatformAction | 'verifyCredential', PlannedFailure>();
  private readonly holds = new Map<
    PlatformAction,
    { held: HeldCall; enter(): void; released: Promise<void>; finish(): void }
  >();
  private sequence = 0;

  seedAccount(account: Partial<ReferenceAccount> & { userName: string }): ReferenceAccount {
    const seeded: ReferenceAccount = {
      accountId: account.accountId ?? account.userName,
      kind: 'person',
      enabled: true,
      sessions: 0,
      entitlements: [],
      federation: [],
      owned: [],
      ...account,
    };
    this.accounts.set(seeded.accountId, seeded);
    return seeded;
  }

  seedCredential(credential: Omit<CredentialInfo, 'platform'> & { secret?: string }): CredentialInfo {
    const stored: ReferenceCredential = { platform: 'reference', secret: `seed-${credential.id}`, ...credential };
    this.credentials.set(stored.id, stored);
    return publicCredential(stored);
  }

  /** The next `times` calls of `action` fail with `kind` (then it works again). */
  failNext(
    action: PlatformAction | 'verifyCredential',
    kind: PlatformErrorKind,
    times = 1,
    retryAfterMs?: number,
  ): void {
    this.failures.set(action, { kind, times, retryAfterMs });
  }

  /** The next call of `action` waits, once started, until released: a step kept in flight while a test acts. */
  hold(action: PlatformAction): HeldCall {
    let enter!: () => void, release!: () => void, finish!: () => void;
    const entered = new Promise<void>((r) => (enter = r));
    const released = new Promise<void>((r) => (release = r));
    const finished = new Promise<void>((r) => (finish = r));
    const held = { entered, release, finished };
    this.holds.set(action, { held, enter, released, finish });
    return held;
  }

  /** Runs one call of `action`: waits first if a test holds it. */
  async perform<R>(action: PlatformAction, work: () => R): Promise<Awaited<R>> {
    const hold = this.holds.get(action);
    if (!hold) return await work();
    this.holds.delete(action);
    hold.enter();
    await hold.released;
    try {
      return await work();
    } finally {
      hold.finish();
    }
  }

  credentialsOf(ownerId: string): CredentialInfo[] {
    return [...this.credentials.values()].filter((c) => c.ownerId === ownerId).map(publicCredential);
  }

  maybeFail(action: PlatformAction | 'verifyCredential'): void {
    const planned = this.failures.get(action);
    if (!planned || planned.times <= 0) return;
    planned.times -= 1;
    throw new PlatformError(planned.kind, `reference ${action} failed (${planned.kind})`, planned.retryAfterMs);
  }

  nextId(prefix: string): string {
    this.sequence += 1;
    return `${prefix}-${this.sequence}`;
  }
}

function publicCredential({ secret: _secret, idempotencyKey: _key, ...info }: ReferenceCredential): CredentialInfo {
  return info;
}

const done = <T>(data?: T, detail?: string): ActionResult<T> => ({ outcome: 'done', data, detail });
const alreadyDone = <T>(data?: T, detail?: string): ActionResult<T> => ({ outcome: 'already-done', data, detail });

function sameEntitlement(a: { kind: string; id: string }, b: { kind: string; id: string }): boolean {
  return a.kind === b.kind && a.id === b.id;
}

/** The reference platform as a PlatformAdapter (every identity and non-human-identity action). */
export function createReferenceAdapter(platform: ReferencePlatform): PlatformAdapter {
  const accountOf = (subject: Subject): ReferenceAccount | undefined =>
    platform.accounts.get(subject.accounts?.reference ?? subject.userName);
  const requireAccount = (subject: Subject): ReferenceAccount => {
    const account = accountOf(subject);
    if (!account)
      throw new PlatformError(
        'not-found',
        `reference account for subject ${subject.subjectId} not found`,
        undefined,
        404,
      );
    return account;
  };
  const requireCredential = (ownerId: string, credentialId: string): ReferenceCredential | undefined => {
    const credential = platform.credentials.get(credentialId);
    return credential && credential.ownerId === ownerId ? credential : undefined;
  };
  const guard =
    <A extends unknown[], R>(action: PlatformAction, fn: (...args: A) => R) =>
    async (...args: A): Promise<Awaited<R>> => {
      platform.maybeFail(action);
      return await platform.perform(action, () => fn(...args));
    };

  return {
    platform: 'reference',
    createAccount: guard('createAccount', ({ subject, entitlements }) => {
      const existing = accountOf(subject);
      if (existing) return alreadyDone({ accountId: existing.accountId });
      const account = platform.seedAccount({
        userName: subject.userName,
        email: subject.email,
        displayName: subject.displayName,
        managerId: subject.managerId,
        entitlements: (entitlements ?? []).map((e) => ({ ...e })),
      });
      return done({ accountId: account.accountId });
    }),
    updateAccount: guard('updateAccount', ({ subject, changes }) => {
      Object.assign(requireAccount(subject), changes);
      return done();
    }),
    disableAccount: guard('disableAccount', ({ subject }) => {
      const account = requireAccount(subject);
      if (!account.enabled) return alreadyDone();
      account.enabled = false;
      return done();
    }),
    enableAccount: guard('enableAccount', ({ subject }) => {
      const account = requireAccount(subject);
      if (account.enabled) return alreadyDone();
      account.enabled = true;
      return done();
    }),
    deleteAccount: guard('deleteAccount', ({ subject }) => {
      const account = accountOf(subject);
      if (!account) return alreadyDone();
      platform.accounts.delete(account.accountId);
      return done();
    }),
    revokeSessions: guard('revokeSessions', ({ subject }) => {
      const account = requireAccount(subject);
      if (account.sessions === 0) return alreadyDone();
      account.sessions = 0;
      return done();
    }),
    listEntitlements: guard('listEntitlements', ({ subject }) =>
      done(requireAccount(subject).entitlements.map((e) => ({ ...e }))),
    ),
    addEntitlement: guard('addEntitlement', ({ subject, entitlement }) => {
      const account = requireAccount(subject);
      if (account.entitlements.some((e) => sameEntitlement(e, entitlement))) return alreadyDone();
      account.entitlements.push({ ...entitlement });
      return done();
    }),
    removeEntitlement: guard('removeEntitlement', ({ subject, entitlement }) => {
      const account = requireAccount(subject);
      const before = account.entitlements.length;
      account.entitlements = account.entitlements.filter((e) => !sameEntitlement(e, entitlement));
      return account.entitlements.length === before ? alreadyDone() : done();
    }),
    removeAllEntitlements: guard('removeAllEntitlements', ({ subject }) => {
      const account = requireAccount(subject);
      const removed = account.entitlements;
      account.entitlements = [];
      return removed.length === 0 ? alreadyDone({ removed }) : done({ removed });
    }),
    // Neither subject nor owner: every credential on the platform (the rotation campaign's inventory).
    listCredentials: guard('listCredentials', ({ subject, ownerId }) => {
      const owner = ownerId ?? (subject ? requireAccount(subject).accountId : undefined);
      return done(
        owner === undefined ? [...platform.credentials.values()].map(publicCredential) : platform.credentialsOf(owner),
      );
    }),
    createCredential: guard('createCredential', ({ ownerId, kind, description, idempotencyKey }) => {
      const repeat = [...platform.credentials.values()].find((c) => c.idempotencyKey === idempotencyKey);
      const credential = repeat ?? newCredential(platform, ownerId, kind, description, idempotencyKey);
      const data: AdapterOutputs['createCredential'] = {
        credential: publicCredential(credential),
        secret: credential.secret,
      };
      return repeat ? alreadyDone(data) : done(data);
    }),
    deactivateCredential: guard('deactivateCredential', ({ ownerId, credentialId }) => {
      const credential = requireCredential(ownerId, credentialId);
      if (!credential) throw new PlatformError('not-found', `credential ${credentialId} not found`, undefined, 404);
      if (credential.status === 'inactive') return alreadyDone();
      credential.status = 'inactive';
      return done();
    }),
    deleteCredential: guard('deleteCredential', ({ ownerId, credentialId }) => {
      if (!requireCredential(ownerId, credentialId)) return alreadyDone();
      platform.credentials.delete(credentialId);
      return done();
    }),
    disableServiceAccount: guard('disableServiceAccount', ({ serviceAccountId }) => {
      const account = platform.accounts.get(serviceAccountId);
      if (!account)
        throw new PlatformError('not-found', `service account ${serviceAccountId} not found`, undefined, 404);
      if (!account.enabled) return alreadyDone();
      account.enabled = false;
      return done();
    }),
    listFederationLinks: guard('listFederationLinks', ({ subject }) =>
      done(requireAccount(subject).federation.map((f) => ({ ...f }))),
    ),
    removeFederationLink: guard('removeFederationLink', ({ subject, providerId }) => {
      const account = requireAccount(subject);
      const before = account.federation.length;
      account.federation = account.federation.filter((f) => f.providerId !== providerId);
      return account.federation.length === before ? alreadyDone() : done();
    }),
    transferOwnership: guard('transferOwnership', ({ subject, newOwner }) => {
      const from = requireAccount(subject);
      const to = requireAccount(newOwner);
      if (from.owned.length === 0) return alreadyDone();
      to.owned.push(...from.owned);
      from.owned = [];
      return done();
    }),
    listCredentialsPage: async ({ cursor, limit }) => {
      platform.maybeFail('listCredentials');
      const page = [...platform.credentials.values()]
        .sort((a, b) => a.id.localeCompare(b.id))
        .filter((c) => cursor === undefined || c.id > cursor)
        .slice(0, limit);
      return Promise.resolve({
        credentials: page.map(publicCredential),
        nextCursor: page.length === limit ? page[page.length - 1]!.id : undefined,
      });
    },
    listAccounts: ({ cursor, limit }) => {
      const ids = [...platform.accounts.keys()]
        .sort()
        .filter((id) => cursor === undefined || id > cursor)
        .slice(0, limit);
      const accounts = ids
        .map((id) => platform.accounts.get(id)!)
        .map((a) => ({
          subjectId: a.accountId,
          userName: a.userName,
          managerId: a.managerId,
          accounts: { reference: a.accountId },
        }));
      return Promise.resolve({ accounts, nextCursor: ids.length === limit ? ids[ids.length - 1] : undefined });
    },
    verifyCredential: (credential, secret) => {
      platform.maybeFail('verifyCredential');
      const stored = platform.credentials.get(credential.id);
      return Promise.resolve(stored?.status === 'active' && stored.secret === secret);
    },
  };
}

function newCredential(
  platform: ReferencePlatform,
  ownerId: string,
  kind: CredentialKind,
  description: string | undefined,
  idempotencyKey: string,
): ReferenceCredential {
  const credential: ReferenceCredential = {
    platform: 'reference',
    id: platform.nextId('cred'),
    kind,
    ownerId,
    status: 'active',
    createdAt: new Date().toISOString(),
    description,
    secret: `ref-${randomBytes(16).toString('hex')}`,
    idempotencyKey,
  };
  platform.credentials.set(credential.id, credential);
  return credential;
}

/**
 * The reference platform as an adapter factory. Given a function of the tenant, each
 * tenant acts on a platform of its own (the embedded default, tests that must not see
 * each other's accounts); given one platform, every tenant of that factory shares it.
 */
export function referenceAdapterFactory(
  platform: ReferencePlatform | ((tenantId: string) => ReferencePlatform),
): AdapterFactory {
  if (platform instanceof ReferencePlatform) {
    const adapter = createReferenceAdapter(platform);
    return () => adapter;
  }
  const adapters = new Map<string, PlatformAdapter>();
  return (_connection, _readSecret, tenantId = '') => {
    if (!adapters.has(tenantId)) adapters.set(tenantId, createReferenceAdapter(platform(tenantId)));
    return adapters.get(tenantId)!;
  };
}

/** One reference platform per tenant, created on first use. */
export function referencePlatformsPerTenant(
  seed?: (tenantId: string, platform: ReferencePlatform) => void,
): (tenantId: string) => ReferencePlatform {
  const platforms = new Map<string, ReferencePlatform>();
  return (tenantId) => {
    let platform = platforms.get(tenantId);
    if (!platform) {
      platform = new ReferencePlatform();
      seed?.(tenantId, platform);
      platforms.set(tenantId, platform);
    }
    return platform;
  };
}
