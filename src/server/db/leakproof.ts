import type pg from "pg";

// Search under row-level security uses the org-leading GIN indexes only when `@@` and ILIKE are
// LEAKPROOF (docs/decisions/008); custom-field filters use theirs only when `@>` on jsonb and the
// org-keyed expression are (migration 0024, decision 050). The marks live in pg_proc, which is per
// database: a new database (a restore, a clone from template0) starts without them, and only a
// superuser can set them. One check, used by db:migrate, db:restore, /api/health and release:check.

export const LEAKPROOF_FUNCTIONS = [
  "ts_match_vq(tsvector, tsquery)",
  "texticlike(text, text)",
  "jsonb_contains(jsonb, jsonb)",
  "beacon_org_custom_fields(uuid, jsonb)",
] as const;
export const LEAKPROOF_STATEMENTS = LEAKPROOF_FUNCTIONS.map((f) => `ALTER FUNCTION ${f} LEAKPROOF;`);
/** The functions by name, for report rows. */
export const LEAKPROOF_NAMES = LEAKPROOF_FUNCTIONS.map((f) => f.slice(0, f.indexOf("("))).join(", ");

export type LeakproofState = {
  ok: boolean;
  /** Functions still lacking the mark. */
  missing: string[];
  /** The database the statements must run in (pg_proc is per database). */
  database: string;
  /** One line for logs, health and release-check rows. */
  detail: string;
};

type Queryable = Pick<pg.ClientBase, "query"> | pg.Pool;

export async function leakproofState(client: Queryable): Promise<LeakproofState> {
  // to_regprocedure: a function a database does not have yet (before migration 0024) counts as missing.
  const r = await client.query<{ sig: string; leakproof: boolean }>(
    `select p.oid::regprocedure::text as sig, p.proleakproof as leakproof
       from pg_proc p where p.oid = any(select to_regprocedure(f) from unnest($1::text[]) f)`,
    [[...LEAKPROOF_FUNCTIONS]],
  );
  const database = (await client.query<{ db: string }>("select current_database() as db")).rows[0]?.db ?? "";
  const missing = LEAKPROOF_FUNCTIONS.filter(
    (f) => !r.rows.find((x) => x.sig.replace(/\s/g, "") === f.replace(/\s/g, ""))?.leakproof,
  );
  const ok = missing.length === 0;
  return {
    ok,
    missing: [...missing],
    database,
    detail: ok
      ? "ts_match_vq and texticlike are LEAKPROOF: search is index-driven; so are jsonb_contains and beacon_org_custom_fields: custom-field filters too"
      : `not LEAKPROOF: ${missing.join(", ")}; search scans the whole org. As a superuser, in database "${database}": ${LEAKPROOF_STATEMENTS.join(" ")}`,
  };
}

/** Sets the marks when the connected user may (a superuser), then reports the state. */
export async function ensureLeakproof(client: Queryable): Promise<LeakproofState> {
  const before = await leakproofState(client);
  if (before.ok) return before;
  const su = await client.query<{ su: boolean }>(`select rolsuper as su from pg_roles where rolname = current_user`);
  if (!su.rows[0]?.su) return before;
  for (const f of before.missing) {
    // A function this database does not have yet (42883: before migration 0024) stays missing.
    await client.query(`ALTER FUNCTION ${f} LEAKPROOF`).catch((err: { code?: string }) => {
      if (err.code !== "42883") throw err;
    });
  }
  return leakproofState(client);
}

/** The warning db:migrate and db:restore print when the marks are missing. */
export function leakproofWarning(s: LeakproofState): string {
  return [
    `WARNING: search operators are not LEAKPROOF in database "${s.database}" (the migrating user is not a superuser).`,
    `  Search stays correct but scans the whole org instead of using its indexes. As a superuser, connected to database "${s.database}", run:`,
    ...LEAKPROOF_STATEMENTS.map((x) => `    ${x}`),
    `  (docs/runbooks.md#search-operators-leakproof)`,
  ].join("\n");
}
