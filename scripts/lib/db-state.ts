// What db:backup records about a database (the manifest beside the dump) and what db:restore
// compares after a restore: row counts of every table, row-level security flags, policies, grants,
// schema objects, sequences, extensions, the migration log and each org's audit chain.
import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import { migrationStatus } from "../../src/server/db/migrations";
import type { Tx } from "../../src/server/db/tenant";
import { verifyChain } from "../../src/server/audit/verify-chain";
import { quoteIdent } from "./pg-tools";

export const MANIFEST_FORMAT = "beacon-backup-manifest/1";

export type TableState = { kind: "r" | "p"; rows: number; rls: boolean; force: boolean; owner: string };

export type DbState = {
  tables: Record<string, TableState>;
  policies: string[];
  grants: string[];
  objects: Record<string, number>;
  sequences: Record<string, string | null>;
  extensions: string[];
  owners: string[];
  migrations: { log: string[]; applied: string[]; pending: string[] };
};

export type AuditState = {
  slug: string;
  orgId: string;
  valid: boolean;
  checked: number;
  firstBrokenSeq: number | null;
};

export type Manifest = {
  format: typeof MANIFEST_FORMAT;
  createdAt: string;
  file: string;
  bytes: number;
  sha256: string;
  durationMs: number;
  source: {
    host: string;
    port: string;
    database: string;
    user: string;
    databaseOwner: string;
    serverVersion: string;
    serverVersionNum: number;
    encoding: string;
    collate: string;
    ctype: string;
  };
  pgDump: { path: string; version: string };
  snapshot: string;
  state: DbState;
  audit: AuditState[];
};

// Schemas that belong to the database's contents (not the catalogs).
const USER_NS = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`;
const NOT_EXTENSION = (classid: string, objid: string) =>
  `not exists (select 1 from pg_depend d where d.classid = '${classid}'::regclass and d.objid = ${objid} and d.deptype = 'e')`;

/**
 * Reads the state of the connected database. The connecting role must see every row: a superuser
 * or BYPASSRLS role reads directly; otherwise pass rlsRole (beacon_system) and tables under
 * row-level security are counted after switching to it.
 */
export async function collectState(client: pg.ClientBase, opts: { rlsRole?: string } = {}): Promise<DbState> {
  const tables: Record<string, TableState> = {};
  const list = await client.query<{
    schema: string;
    name: string;
    kind: "r" | "p";
    rls: boolean;
    force: boolean;
    owner: string;
  }>(`
    select n.nspname as schema, c.relname as name, c.relkind as kind, c.relrowsecurity as rls,
           c.relforcerowsecurity as force, pg_get_userbyid(c.relowner) as owner
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and not c.relispartition and ${USER_NS} and ${NOT_EXTENSION("pg_class", "c.oid")}
     order by 1, 2`);
  for (const t of list.rows) {
    const rel = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
    let rows: number;
    if (t.rls && opts.rlsRole) {
      await client.query("begin read only");
      try {
        await client.query("select set_config('role', $1, true)", [opts.rlsRole]);
        rows = Number((await client.query<{ n: string }>(`select count(*)::text as n from ${rel}`)).rows[0]!.n);
      } finally {
        await client.query("rollback");
      }
    } else {
      rows = Number((await client.query<{ n: string }>(`select count(*)::text as n from ${rel}`)).rows[0]!.n);
    }
    tables[`${t.schema}.${t.name}`] = { kind: t.kind, rows, rls: t.rls, force: t.force, owner: t.owner };
  }

  const policies = await client.query<{ p: string }>(`
    select format('%s.%s %s %s %s to %s using (%s) check (%s)', schemaname, tablename, policyname, permissive, cmd,
                  array_to_string(roles, ','), coalesce(qual, ''), coalesce(with_check, '')) as p
      from pg_policies order by 1`);

  // Privileges granted to anyone but the object's owner (whose own ACL entry follows ownership).
  const grants = await client.query<{ g: string }>(`
    with acl as (
      select case c.relkind when 'S' then 'sequence' else 'table' end as kind, n.nspname || '.' || c.relname as obj,
             c.relowner as owner, a.grantee, a.privilege_type
        from pg_class c join pg_namespace n on n.oid = c.relnamespace, aclexplode(c.relacl) a
       where ${USER_NS}
      union all
      select 'column', n.nspname || '.' || c.relname || '.' || at.attname, c.relowner, a.grantee, a.privilege_type
        from pg_attribute at join pg_class c on c.oid = at.attrelid join pg_namespace n on n.oid = c.relnamespace,
             aclexplode(at.attacl) a
       where ${USER_NS}
      union all
      select 'schema', n.nspname, n.nspowner, a.grantee, a.privilege_type
        from pg_namespace n, aclexplode(n.nspacl) a
       where ${USER_NS}
      union all
      select 'function', n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
             p.proowner, a.grantee, a.privilege_type
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace, aclexplode(p.proacl) a
       where ${USER_NS} and ${NOT_EXTENSION("pg_proc", "p.oid")}
    )
    select format('%s %s to %s: %s', kind, obj, case when grantee = 0 then 'PUBLIC' else grantee::regrole::text end,
                  privilege_type) as g
      from acl where grantee <> owner order by 1`);

  const objects: Record<string, number> = {};
  const counts = await client.query<{ k: string; n: string }>(`
    select n.nspname || ' ' || case c.relkind when 'r' then 'tables' when 'p' then 'tables' when 'i' then 'indexes'
             when 'I' then 'indexes' when 'S' then 'sequences' when 'v' then 'views' when 'm' then 'views' else 'other' end as k,
           count(*)::text as n
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'i', 'I', 'S', 'v', 'm') and ${USER_NS} and ${NOT_EXTENSION("pg_class", "c.oid")}
     group by 1
    union all
    select n.nspname || ' functions', count(*)::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where ${USER_NS} and ${NOT_EXTENSION("pg_proc", "p.oid")} group by 1
    union all
    select n.nspname || ' triggers', count(*)::text from pg_trigger t join pg_class c on c.oid = t.tgrelid
      join pg_namespace n on n.oid = c.relnamespace where not t.tgisinternal and ${USER_NS} group by 1
    union all
    select n.nspname || ' constraints', count(*)::text from pg_constraint k join pg_namespace n on n.oid = k.connamespace
     where ${USER_NS} group by 1
    union all
    select n.nspname || ' types', count(*)::text from pg_type t join pg_namespace n on n.oid = t.typnamespace
     where t.typtype in ('e', 'd') and ${USER_NS} and ${NOT_EXTENSION("pg_type", "t.oid")} group by 1`);
  for (const r of counts.rows) objects[r.k] = Number(r.n);

  const sequences: Record<string, string | null> = {};
  const seqs = await client.query<{ s: string; v: string | null }>(
    `select schemaname || '.' || sequencename as s, last_value::text as v from pg_sequences
      where schemaname not in ('pg_catalog', 'information_schema') order by 1`,
  );
  for (const r of seqs.rows) sequences[r.s] = r.v;

  const ext = await client.query<{ e: string }>(
    `select extname || ' ' || extversion as e from pg_extension order by 1`,
  );

  const owners = await client.query<{ o: string }>(`
    select distinct pg_get_userbyid(c.relowner) as o from pg_class c join pg_namespace n on n.oid = c.relnamespace where ${USER_NS}
    union select distinct pg_get_userbyid(n.nspowner) from pg_namespace n where ${USER_NS} and n.nspname <> 'public'
    union select distinct pg_get_userbyid(p.proowner) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where ${USER_NS} and ${NOT_EXTENSION("pg_proc", "p.oid")}
    order by 1`);

  let log: string[] = [];
  const hasLog = await client.query<{ ok: boolean }>(
    `select to_regclass('drizzle.__drizzle_migrations') is not null as ok`,
  );
  if (hasLog.rows[0]?.ok) {
    const r = await client.query<{ l: string }>(
      `select id || ' ' || hash || ' ' || created_at as l from drizzle.__drizzle_migrations order by id`,
    );
    log = r.rows.map((x) => x.l);
  }
  const status = await migrationStatus(client as pg.Client);

  return {
    tables,
    policies: policies.rows.map((r) => r.p),
    grants: grants.rows.map((r) => r.g),
    objects,
    sequences,
    extensions: ext.rows.map((r) => r.e),
    owners: owners.rows.map((r) => r.o),
    migrations: { log, applied: status.applied, pending: status.pending },
  };
}

/**
 * Each org's audit chain, walked by the same code as `npm run audit:verify`, through this client
 * (so inside the backup's snapshot). The client must see every row (superuser or BYPASSRLS).
 */
export async function auditDirect(client: pg.ClientBase): Promise<AuditState[]> {
  const exists = await client.query<{ ok: boolean }>(
    `select to_regclass('public.orgs') is not null and to_regclass('public.audit_events') is not null as ok`,
  );
  if (!exists.rows[0]?.ok) return [];
  const tx = drizzle(client as pg.Client) as unknown as Tx;
  const orgs = await client.query<{ id: string; slug: string }>(`select id, slug from public.orgs order by slug`);
  const out: AuditState[] = [];
  for (const o of orgs.rows) {
    const r = await verifyChain(tx, o.id);
    out.push({ slug: o.slug, orgId: o.id, ...r });
  }
  return out;
}

export type CheckRow = { check: string; expected: string; actual: string; ok: boolean | null };

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function listDiff(expected: string[], actual: string[]): string {
  const e = new Set(expected);
  const a = new Set(actual);
  const missing = expected.filter((x) => !a.has(x));
  const extra = actual.filter((x) => !e.has(x));
  const parts = [];
  if (missing.length)
    parts.push(`missing ${missing.length}: ${missing.slice(0, 3).join("; ")}${missing.length > 3 ? "; …" : ""}`);
  if (extra.length)
    parts.push(`extra ${extra.length}: ${extra.slice(0, 3).join("; ")}${extra.length > 3 ? "; …" : ""}`);
  return parts.join(" / ") || "same items, different order";
}

/** Compares a restored database with the manifest; one row per table, then one per property. */
export function compareState(expected: DbState, actual: DbState): CheckRow[] {
  const rows: CheckRow[] = [];
  for (const [name, t] of Object.entries(expected.tables)) {
    const a = actual.tables[name];
    rows.push({
      check: `rows ${name}`,
      expected: String(t.rows),
      actual: a ? String(a.rows) : "missing",
      ok: !!a && a.rows === t.rows,
    });
  }
  const extra = Object.keys(actual.tables).filter((n) => !(n in expected.tables));
  rows.push({
    check: "tables not in the backup",
    expected: "none",
    actual: extra.length ? extra.join(", ") : "none",
    ok: extra.length === 0,
  });

  const rlsOf = (s: DbState) =>
    Object.entries(s.tables)
      .filter(([, t]) => t.rls || t.force)
      .map(([n, t]) => `${n}${t.rls ? " enable" : ""}${t.force ? " force" : ""}`);
  const eRls = rlsOf(expected);
  const aRls = rlsOf(actual);
  const forced = eRls.filter((x) => x.endsWith("enable force")).length;
  rows.push({
    check: "row-level security (enable, force)",
    expected: `${eRls.length} tables, ${forced} forced`,
    actual: sameList(eRls, aRls)
      ? `${aRls.length} tables, ${aRls.filter((x) => x.endsWith("enable force")).length} forced`
      : listDiff(eRls, aRls),
    ok: sameList(eRls, aRls),
  });
  const same = (label: string, e: string[], a: string[]) =>
    rows.push({
      check: label,
      expected: String(e.length),
      actual: sameList(e, a) ? String(a.length) : listDiff(e, a),
      ok: sameList(e, a),
    });
  same("policies", expected.policies, actual.policies);
  same("grants (tables, columns, schemas, functions)", expected.grants, actual.grants);
  const objs = (s: DbState) =>
    Object.entries(s.objects)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`);
  same("schema objects (indexes, triggers, functions, …)", objs(expected), objs(actual));
  const seqs = (s: DbState) => Object.entries(s.sequences).map(([k, v]) => `${k}=${v ?? "unset"}`);
  same("sequence positions", seqs(expected), seqs(actual));
  same("extensions", expected.extensions, actual.extensions);
  same("migration log (drizzle.__drizzle_migrations)", expected.migrations.log, actual.migrations.log);
  rows.push({
    check: "migrations applied",
    expected: `${expected.migrations.applied.length} (last ${expected.migrations.applied.at(-1) ?? "none"})`,
    actual: sameList(expected.migrations.applied, actual.migrations.applied)
      ? `${actual.migrations.applied.length} (last ${actual.migrations.applied.at(-1) ?? "none"})`
      : listDiff(expected.migrations.applied, actual.migrations.applied),
    ok: sameList(expected.migrations.applied, actual.migrations.applied),
  });
  return rows;
}

export function compareAudit(expected: AuditState[], actual: AuditState[] | Error): CheckRow[] {
  if (actual instanceof Error) {
    return [
      {
        check: "audit:verify",
        expected: `${expected.length} org(s) valid`,
        actual: `could not run: ${actual.message}`,
        ok: false,
      },
    ];
  }
  const rows: CheckRow[] = [];
  const show = (r: AuditState | undefined) =>
    !r
      ? "missing"
      : r.valid
        ? `valid checked=${r.checked}`
        : `BROKEN checked=${r.checked} firstBrokenSeq=${r.firstBrokenSeq}`;
  const byId = new Map(actual.map((r) => [r.orgId, r]));
  for (const e of expected) {
    const a = byId.get(e.orgId);
    byId.delete(e.orgId);
    const equal = !!a && a.valid === e.valid && a.checked === e.checked && a.firstBrokenSeq === e.firstBrokenSeq;
    rows.push({
      check: `audit:verify ${e.slug}`,
      expected: show(e),
      actual: show(a) + (equal && !e.valid ? " (broken in the backup too)" : ""),
      ok: equal && e.valid,
    });
  }
  for (const a of byId.values())
    rows.push({ check: `audit:verify ${a.slug}`, expected: "missing", actual: show(a), ok: false });
  if (expected.length === 0 && actual.length === 0)
    rows.push({ check: "audit:verify", expected: "no orgs", actual: "no orgs", ok: true });
  return rows;
}
