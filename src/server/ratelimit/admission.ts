import "server-only";
import type { Principal } from "../core/principal";
import type { Tx } from "../db/tenant";
import { assertFeatureEnabledByEnv, type Feature } from "../flags/features";
import { assertFeatureEnabled } from "../flags/flags";
import { consume } from "./api-limits";
import type { LimitState } from "./limiters";

/**
 * What a request must pass before its work runs, the same for the API (route()) and for pages
 * (withPageContext): the IP budget, the user budget, the feature switch and a stricter named
 * budget. One path, so a page cannot do what the API refuses (issue 18 item 8: the ticket list
 * page searched past the search budget and with search switched off).
 */
export type Admission<Q> = {
  /** A kill-switchable feature: when off (env or flag), 503 feature_disabled. */
  feature?: Feature | { name: Feature; when: (query: Q) => boolean };
  /** A stricter per-user budget on top of the general ones (search, export). */
  rateLimit?: { name: "search" | "export"; when?: (query: Q) => boolean };
};

/** The feature this request needs, if any (a conditional one only when its query asks for it). */
export function featureOf<Q>(spec: Admission<Q>, query: Q): Feature | undefined {
  if (typeof spec.feature === "object") return spec.feature.when(query) ? spec.feature.name : undefined;
  return spec.feature;
}

/** Step 2, before anyone is known: the client IP's budget (429). */
export function admitClient(a: { ip: string; requestId: string }): Promise<LimitState> {
  return consume("ip", a.ip, a);
}

/**
 * Step 2 too: the env kill switch (503, no database needed). Before the query is parsed
 * (parsed: false) only an unconditional feature is known; afterwards a conditional one too.
 */
export function admitByEnv<Q>(spec: Admission<Q>, query: Q, parsed: boolean): void {
  const feature = parsed ? featureOf(spec, query) : typeof spec.feature === "object" ? undefined : spec.feature;
  if (feature) assertFeatureEnabledByEnv(feature);
}

/**
 * Steps 6b–6d, once the caller is confirmed: the user budget, the feature for this org (env, org
 * flag, global flag), then the named budget when the request asks for it. Returns the state of the
 * last budget taken (for RateLimit-* headers). consumeLimits false re-checks the feature only.
 */
export async function admitCaller<Q>(
  spec: Admission<Q>,
  a: { tx: Tx; user: Pick<Principal, "userId" | "orgId">; requestId: string; query: Q },
  opts: { consumeLimits: boolean },
): Promise<LimitState | undefined> {
  let limits: LimitState | undefined;
  if (opts.consumeLimits) limits = await consume("user", a.user.userId, a);
  const feature = featureOf(spec, a.query);
  if (feature) await assertFeatureEnabled(a.tx, a.user.orgId, feature);
  if (opts.consumeLimits && spec.rateLimit && (spec.rateLimit.when?.(a.query) ?? true)) {
    limits = await consume(spec.rateLimit.name, a.user.userId, a);
  }
  return limits;
}
