import "server-only";
import { and, eq, isNull, or } from "drizzle-orm";
import { z } from "zod";
import type { Tx } from "../db/tenant";
import { featureFlags } from "../db/schema/flags";
import { recordAudit } from "../audit/record-audit";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { auditActor } from "../authz/actor";
import { assertCan } from "../authz/permissions";
import { disabledByEnv, FEATURES, type Feature } from "./features";

// Effective state of a feature for an org: FEATURES_DISABLED (env) wins, then the org's own flag,
// then the global flag (org_id null), then on. Cached per org for a few seconds; a change made
// through this process drops its org's entry at once, other processes pick it up within the TTL.

const TTL_MS = 5_000;
type Entry = { at: number; flags: Map<string, { enabled: boolean; org: boolean }> };
const g = globalThis as unknown as { __beaconFlagCache?: Map<string, Entry> };
const cache = () => (g.__beaconFlagCache ??= new Map());

async function load(tx: Tx, orgId: string): Promise<Entry["flags"]> {
  const hit = cache().get(orgId);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.flags;
  const rows = await tx
    .select()
    .from(featureFlags)
    .where(or(isNull(featureFlags.orgId), eq(featureFlags.orgId, orgId)));
  const flags: Entry["flags"] = new Map();
  for (const r of rows.filter((x) => x.orgId === null)) flags.set(r.key, { enabled: r.enabled, org: false });
  for (const r of rows.filter((x) => x.orgId !== null)) flags.set(r.key, { enabled: r.enabled, org: true });
  cache().set(orgId, { at: Date.now(), flags });
  return flags;
}

export async function isFeatureEnabled(tx: Tx, orgId: string, feature: Feature): Promise<boolean> {
  if (disabledByEnv(feature)) return false;
  return (await load(tx, orgId)).get(feature)?.enabled ?? true;
}

export async function assertFeatureEnabled(tx: Tx, orgId: string, feature: Feature): Promise<void> {
  if (!(await isFeatureEnabled(tx, orgId, feature)))
    throw new AppError("feature_disabled", `${feature} is switched off right now`, { feature });
}

export const ZFlag = z.object({
  key: z.enum(FEATURES),
  enabled: z.boolean(),
  source: z.enum(["env", "org", "global", "default"]),
});
export const ZPutFlag = z.strictObject({ key: z.enum(FEATURES), enabled: z.boolean().nullable() });
export type PutFlag = z.infer<typeof ZPutFlag>;

export async function listFlags(scope: Scope) {
  assertCan(scope.user, "org.admin");
  cache().delete(scope.user.orgId);
  const flags = await load(scope.tx, scope.user.orgId);
  return {
    data: FEATURES.map((key) => {
      if (disabledByEnv(key)) return { key, enabled: false, source: "env" as const };
      const f = flags.get(key);
      return {
        key,
        enabled: f?.enabled ?? true,
        source: f ? (f.org ? ("org" as const) : ("global" as const)) : ("default" as const),
      };
    }),
  };
}

/** Sets (or with enabled: null clears) the org's own flag; global flags are the operators' (runbook). */
export async function putFlag(scope: Scope, input: PutFlag) {
  assertCan(scope.user, "org.admin");
  const where = and(eq(featureFlags.orgId, scope.user.orgId), eq(featureFlags.key, input.key));
  if (input.enabled === null) {
    await scope.tx.delete(featureFlags).where(where);
  } else {
    await scope.tx
      .insert(featureFlags)
      .values({ orgId: scope.user.orgId, key: input.key, enabled: input.enabled })
      .onConflictDoUpdate({
        target: [featureFlags.orgId, featureFlags.key],
        set: { enabled: input.enabled, updatedAt: new Date() },
      });
  }
  await recordAudit(scope.tx, auditActor(scope), {
    action: "feature_flag.set",
    entityType: "feature_flag",
    entityId: input.key,
    data: { enabled: input.enabled },
  });
  cache().delete(scope.user.orgId);
  return listFlags(scope);
}
