import "server-only";
import { pool } from "../db/client";
import { queueStates } from "../jobs/stats";
import { readiness } from "./readiness";
import { leakproofState } from "../db/leakproof";
import pkg from "../../../package.json";

/** GET /api/health: readiness plus queue state and version, for operators and dashboards. */
export async function health() {
  const r = await readiness();
  let queue: { ok: boolean; waiting: number; active: number; failed: number; maxLagSeconds: number } | { ok: false } = { ok: false };
  if (r.db.ok) {
    try {
      const states = await queueStates(pool());
      queue = {
        ok: true,
        waiting: states.reduce((a, s) => a + s.waiting, 0),
        active: states.reduce((a, s) => a + s.active, 0),
        failed: states.reduce((a, s) => a + s.failed, 0),
        maxLagSeconds: Math.round(Math.max(0, ...states.map((s) => s.lagSeconds))),
      };
    } catch {
      queue = { ok: false };
    }
  }
  // Search operators' LEAKPROOF marks (docs/runbooks.md#search-operators-leakproof).
  let search: { ok: boolean; detail: string } = { ok: false, detail: "not checked: database unavailable" };
  if (r.db.ok) {
    try {
      const s = await leakproofState(pool());
      search = { ok: s.ok, detail: s.detail };
    } catch (err) {
      search = { ok: false, detail: `not checked: ${(err as Error).message}` };
    }
  }
  return {
    status: r.ready && search.ok ? "ok" : "degraded",
    db: { ok: r.db.ok, latencyMs: r.db.latencyMs },
    migrations: r.migrations ?? { applied: null, pending: null },
    queue,
    search,
    version: pkg.version,
  };
}
