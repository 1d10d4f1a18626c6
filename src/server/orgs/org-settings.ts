import "server-only";
import { eq, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit";
import { orgs, type OrgSettings } from "../db/schema/orgs";
import type { Tx } from "../db/tenant";
import type { Scope } from "../core/scope";

// orgs.settings is one jsonb document that several admin pages change a few keys of (security,
// token policy, customer SLA view). One reader and one writer, so every change is a merge of only
// its own keys and is audited the same way.

/** The org's settings (RLS: only the caller's own org is readable); forUpdate row-locks it for a change. */
export async function readOrgSettings(
  tx: Tx,
  orgId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<OrgSettings | undefined> {
  const q = tx.select({ settings: orgs.settings }).from(orgs).where(eq(orgs.id, orgId));
  const [o] = await (opts.forUpdate ? q.for("update") : q);
  return o?.settings;
}

/**
 * Saves the keys whose value differs between `was` and `next` (a jsonb merge: other keys stay as
 * they are) and audits them as `action` with { changes: { key: { from, to } } }. Nothing differs:
 * no write and no audit event. Read `was` with readOrgSettings(…, { forUpdate: true }).
 */
export async function saveOrgSettings<K extends keyof OrgSettings>(
  scope: Scope,
  action: string,
  was: Pick<OrgSettings, K>,
  next: Pick<OrgSettings, K>,
): Promise<void> {
  const keys = Object.keys(next) as K[];
  const changed = keys.filter((k) => next[k] !== was[k]);
  if (changed.length === 0) return;
  const patch = Object.fromEntries(changed.map((k) => [k, next[k]]));
  await scope.tx
    .update(orgs)
    .set({ settings: sql`${orgs.settings} || ${JSON.stringify(patch)}::jsonb`, updatedAt: sql`now()` })
    .where(eq(orgs.id, scope.user.orgId));
  await recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    {
      action,
      entityType: "org",
      entityId: scope.user.orgId,
      data: { changes: Object.fromEntries(changed.map((k) => [k, { from: was[k], to: next[k] }])) },
    },
  );
}
