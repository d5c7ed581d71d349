import type { ActionInputs, ActionResult, Entitlement, EntitlementRef, Subject } from '../../shared';

/**
 * The entitlement actions (list / add / remove / remove all) of an adapter,
 * each idempotent by reading what the user holds first: adding a held
 * entitlement or removing a missing one is `already-done`, so platforms that
 * answer a duplicate with an error are safe to retry. A platform adapter
 * extends it and says how to find a user and read, grant and revoke one entitlement.
 */
export abstract class EntitlementAdapter<U> {
  /** The user the action needs (not-found when missing: the action cannot apply). */
  protected abstract user(subject: Subject): Promise<U>;
  protected abstract entitlementsOf(user: U): Promise<Entitlement[]>;
  protected abstract grant(user: U, entitlement: EntitlementRef): Promise<void>;
  protected abstract revoke(user: U, entitlement: Entitlement): Promise<void>;

  /**
   * The form entitlements are listed (and compared) in, for one asked for in another accepted form (Keycloak: a
   * group named by id is held by path). Also where an adapter refuses a kind it does not have.
   */
  protected canonical<E extends EntitlementRef>(entitlement: E): Promise<E> {
    return Promise.resolve(entitlement);
  }

  /** Whether a held entitlement is the one asked for. */
  protected sameEntitlement(held: Entitlement, wanted: EntitlementRef): boolean {
    return held.kind === wanted.kind && held.id === wanted.id;
  }

  async listEntitlements({ subject }: ActionInputs['listEntitlements']): Promise<ActionResult<Entitlement[]>> {
    return { outcome: 'done', data: await this.entitlementsOf(await this.user(subject)) };
  }

  async addEntitlement({ subject, entitlement }: ActionInputs['addEntitlement']): Promise<ActionResult<void>> {
    const granted = await this.grantMissing(await this.user(subject), [entitlement]);
    return { outcome: granted > 0 ? 'done' : 'already-done' };
  }

  async removeEntitlement({ subject, entitlement }: ActionInputs['removeEntitlement']): Promise<ActionResult<void>> {
    const user = await this.user(subject);
    const wanted = await this.canonical(entitlement);
    const held = (await this.entitlementsOf(user)).find((h) => this.sameEntitlement(h, wanted));
    if (!held) return { outcome: 'already-done' };
    await this.revoke(user, held);
    return { outcome: 'done' };
  }

  async removeAllEntitlements({
    subject,
  }: ActionInputs['removeAllEntitlements']): Promise<ActionResult<{ removed: Entitlement[] }>> {
    const user = await this.user(subject);
    const removed = await this.entitlementsOf(user);
    for (const entitlement of removed) await this.revoke(user, entitlement);
    return { outcome: removed.length > 0 ? 'done' : 'already-done', data: { removed } };
  }

  /** Grants what the user does not hold yet and says how many (createAccount uses it too, so a retried create completes its grants). */
  protected async grantMissing(user: U, wanted: readonly EntitlementRef[]): Promise<number> {
    if (wanted.length === 0) return 0;
    const canonical = await Promise.all(wanted.map((w) => this.canonical(w)));
    const held = await this.entitlementsOf(user);
    const missing = canonical.filter((w) => !held.some((h) => this.sameEntitlement(h, w)));
    for (const entitlement of missing) await this.grant(user, entitlement);
    return missing.length;
  }
}
