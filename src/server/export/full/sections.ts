import "server-only";
import { sql, type SQL } from "drizzle-orm";
import type { Tx } from "../../db/tenant";

/** A keyset column: how it is named in SQL and the type its text form is cast back to. */
type Key = { col: string; type: "uuid" | "text" | "bigint" };

/**
 * One table of the archive: its rows as JSON objects (the table's own columns in snake_case, as
 * PostgreSQL's to_jsonb writes them, minus secrets and derived columns), read in keyset batches
 * along `keys`, which are unique within the org. `files` marks the attachments section, whose
 * every batch is followed by the bytes of its rows.
 */
export type Section = {
  name: string;
  /** `from … t` with the org filter added by the reader; `t` is the row's alias. */
  from: SQL;
  json: SQL;
  keys: Key[];
  batch: number;
  files?: true;
  /** A filter beyond the org's (` and …`). */
  where?: SQL;
};

const UTC_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * The archive's sections in the order they are written and read back: everything a row points at
 * comes before it (users before tickets, tickets before comments, comments before attachments),
 * so an importer resolves every reference from rows it has already written.
 */
export const SECTIONS: readonly Section[] = [
  {
    name: "users",
    from: sql`users t`,
    // No password hash, TOTP secret or session counter: an archive is data, never credentials.
    // Nor the linked company: companies come after users, so the links follow them (user_companies).
    json: sql`to_jsonb(t) - 'org_id' - 'password_hash' - 'totp_secret' - 'totp_last_step' - 'session_version' - 'customer_org_id'`,
    keys: [{ col: "t.id", type: "uuid" }],
    batch: 1000,
  },
  {
    name: "customer_orgs",
    from: sql`customer_orgs t`,
    json: sql`to_jsonb(t) - 'org_id' || jsonb_build_object('domains', coalesce((select jsonb_agg(d.domain order by d.domain)
      from customer_org_domains d where d.org_id = t.org_id and d.customer_org_id = t.id), '[]'::jsonb))`,
    keys: [{ col: "t.id", type: "uuid" }],
    batch: 1000,
  },
  {
    // A customer's linked company (decision 062), once both exist.
    name: "user_companies",
    from: sql`users t`,
    json: sql`jsonb_build_object('user_id', t.id, 'customer_org_id', t.customer_org_id)`,
    keys: [{ col: "t.id", type: "uuid" }],
    batch: 1000,
    where: sql` and t.customer_org_id is not null`,
  },
  {
    name: "customer_notes",
    from: sql`customer_notes t`,
    json: sql`to_jsonb(t) - 'org_id'`,
    keys: [{ col: "t.id", type: "uuid" }],
    batch: 1000,
  },
  {
    name: "groups",
    from: sql`groups t`,
    json: sql`to_jsonb(t) - 'org_id' - 'round_robin_last_user_id'`,
    keys: [{ col: "t.id", type: "uuid" }],
    batch: 1000,
  },
  {
    name: "group_members",
    from: sql`group_members t`,
    json: sql`to_jsonb(t) - 'org_id'`,
    keys: [
      { col: "t.group_id", type: "uuid" },
      { col: "t.user_id", type: "uuid" },
    ],
    batch: 1000,
  },
  {
    name: "ticket_fields",
    from: sql`ticket_fields t`,
    json: sql`to_jsonb(t) - 'org_id'`,
    keys: [{ col: "t.id", type: "uuid" }],
    batch: 1000,
  },
  {
    name: "tickets",
    from: sql`tickets t`,
    // The search vector is derived (recomputed on import); CCs are the ticket's, so they travel with it.
    json: sql`to_jsonb(t) - 'org_id' - 'search_vector' || jsonb_build_object('ccs', coalesce((select jsonb_agg(to_jsonb(c) - 'org_id' - 'ticket_id' order by c.email)
      from ticket_ccs c where c.org_id = t.org_id and c.ticket_id = t.id), '[]'::jsonb))`,
    keys: [{ col: "t.id", type: "uuid" }],
    batch: 500,
  },
  {
    // A merge points at a ticket that may come later in tickets/: repeated here, after every ticket.
    name: "ticket_merges",
    from: sql`tickets t`,
    json: sql`jsonb_build_object('ticket_id', t.id, 'merged_into_id', t.merged_into_id)`,
    keys: [{ col: "t.id", type: "uuid" }],
    batch: 1000,
    where: sql` and t.merged_into_id is not null`,
  },
  {
    name: "ticket_links",
    from: sql`ticket_links t`,
    json: sql`to_jsonb(t) - 'org_id'`,
    keys: [
      { col: "t.ticket_a", type: "uuid" },
      { col: "t.ticket_b", type: "uuid" },
    ],
    batch: 1000,
  },
  {
    name: "comments",
    from: sql`comments t`,
    json: sql`to_jsonb(t) - 'org_id' - 'search_vector'`,
    keys: [{ col: "t.id", type: "uuid" }],
    batch: 500,
  },
  {
    name: "email_message_ids",
    from: sql`email_message_ids t`,
    json: sql`to_jsonb(t) - 'org_id'`,
    keys: [{ col: "t.message_id", type: "text" }],
    batch: 1000,
  },
  {
    name: "attachments",
    from: sql`attachments t`,
    // Storage keys are this deployment's; the bytes travel as the member named in `file`.
    json: sql`to_jsonb(t) - 'org_id' - 'storage_key' || jsonb_build_object('file', 'files/' || t.id::text)`,
    keys: [{ col: "t.id", type: "uuid" }],
    // Each batch is followed by its files: small batches bound what an interruption re-sends.
    batch: 50,
    files: true,
  },
  {
    name: "sla_events",
    from: sql`sla_events t`,
    json: sql`to_jsonb(t) - 'org_id'`,
    keys: [{ col: "t.id", type: "uuid" }],
    batch: 1000,
  },
  {
    name: "csat_ratings",
    from: sql`csat_ratings t`,
    json: sql`to_jsonb(t) - 'org_id'`,
    keys: [{ col: "t.ticket_id", type: "uuid" }],
    batch: 1000,
  },
  {
    name: "audit_events",
    from: sql`audit_events t`,
    // `at` as the chain hashes it (UTC, milliseconds), so a reader can recompute every hash.
    json: sql.raw(`to_jsonb(t) - 'org_id' || jsonb_build_object('at', to_char(t.at at time zone 'UTC', ${UTC_MS}))`),
    keys: [{ col: "t.seq", type: "bigint" }],
    batch: 2000,
  },
];

export type SectionRow = { json: string; keys: string[]; storageKey?: string; sizeBytes?: number };

/**
 * The next batch of a section after `after` (the last row's keys, or null for the first batch),
 * in the caller's tenant transaction. `upTo` bounds the audit chain to the events that existed
 * when the export began, so resuming never meets a chain that grew in between.
 */
export async function readSectionBatch(
  tx: Tx,
  orgId: string,
  section: Section,
  after: string[] | null,
  limit: number,
  upTo: number,
): Promise<SectionRow[]> {
  const cols = sql.raw(section.keys.map((k) => k.col).join(", "));
  const keyText = sql.raw(section.keys.map((k, i) => `${k.col}::text as k${i}`).join(", "));
  const afterSql = after
    ? sql` and (${cols}) > (${sql.join(
        section.keys.map((k, i) => sql`${after[i]!}::${sql.raw(k.type)}`),
        sql`, `,
      )})`
    : sql``;
  const bound = section.name === "audit_events" ? sql` and t.seq <= ${upTo}` : sql``;
  const extra = section.files ? sql`, t.storage_key, t.size_bytes::text as size_bytes` : sql``;
  await tx.execute(sql`select set_config('TimeZone', 'UTC', true)`);
  const r = await tx.execute<Record<string, string>>(
    sql`select (${section.json})::text as j, ${keyText}${extra} from ${section.from}
        where t.org_id = ${orgId}${section.where ?? sql``}${afterSql}${bound} order by ${cols} limit ${limit}`,
  );
  return r.rows.map((row) => ({
    json: row.j!,
    keys: section.keys.map((_, i) => row[`k${i}`]!),
    ...(section.files ? { storageKey: row.storage_key!, sizeBytes: Number(row.size_bytes) } : {}),
  }));
}

/** Rows per section when the export starts (the manifest's counts, for progress; the summary has what was written). */
export async function sectionCounts(tx: Tx, orgId: string, upTo: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of SECTIONS) {
    const bound = s.name === "audit_events" ? sql` and t.seq <= ${upTo}` : sql``;
    const r = await tx.execute<{ n: string }>(
      sql`select count(*)::text as n from ${s.from} where t.org_id = ${orgId}${s.where ?? sql``}${bound}`,
    );
    out[s.name] = Number(r.rows[0]!.n);
  }
  return out;
}
