import "server-only";

const pending = new WeakMap<object, (() => void)[]>();

/**
 * Runs fn once the transaction `tx` (as given by withTenant or unsafeWithSystem) has committed;
 * never if it rolls back. For side effects other processes may act on at once (live updates,
 * decision 052): they must not see the change before it is visible. A hook registered on a
 * savepoint (tx.transaction) is dropped: register on the outer transaction.
 */
export function afterCommit(tx: object, fn: () => void): void {
  const list = pending.get(tx);
  if (list) list.push(fn);
  else pending.set(tx, [fn]);
}

/** The hooks registered on tx, removed from it (called by the transaction's owner just before commit). */
export function takeAfterCommit(tx: object): (() => void)[] {
  const list = pending.get(tx) ?? [];
  pending.delete(tx);
  return list;
}

/** Runs hooks; one that throws does not stop the others (the transaction has committed already). */
export function runAfterCommit(hooks: (() => void)[]): void {
  for (const h of hooks) {
    try {
      h();
    } catch {
      // A failed side effect after commit must not turn a committed change into an error.
    }
  }
}
