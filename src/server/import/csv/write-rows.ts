import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import { users } from "../../db/schema/users";
import type { Tx } from "../../db/tenant";
import { appendComments, type CommentItem } from "../append-comments";
import { attachmentKey, type BatchContext, type BatchRecord } from "../batch";
import type { WantedFile } from "../ticket-files";
import { fieldDefsByKey } from "../fields";
import { insertGroups } from "../groups";
import { mappedIds } from "../id-map";
import type { ImportedComment, ImportedTicket } from "../imported-ticket";
import { EMAIL, resolveUsers, type Person } from "../people";
import { writeImportedTickets, type TicketItem, type TicketRefs } from "../write-imported-tickets";
import { dateOf, priorityOf, statusOf, type CsvMapping } from "./mapping";
import type { CsvRow } from "./read-csv";

/** An assignee is looked up, never created: a CSV names agents the org already has. */
const AGENT = "agent:";
const INTERNAL = new Set(["true", "yes", "y", "1", "internal", "private"]);

type Row = {
  rec: BatchRecord;
  row: CsvRow;
  ticketId: string;
  ticket: Omit<ImportedTicket, "comments">;
  comment: Omit<ImportedComment, "id">;
  name: string | null;
};

/**
 * A batch of CSV rows. Each row is a ticket; with a comment_body column, rows with one external
 * id are one ticket: the first row not yet imported makes it (its text the first comment), each
 * later row adds a comment. A row's comment id is its hash, prefixed t- for the row that made the
 * ticket, so a second import of the file finds both and writes nothing again. A row that cannot be
 * read counts as a skipped ticket, with why.
 */
export function csvRowWriter(m: CsvMapping) {
  return async (tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> => {
    const { space, tally, file } = ctx;
    const rows: Row[] = [];
    for (const rec of recs) {
      const r = readRow(m, rec);
      if (typeof r === "string") {
        tally.source("ticket");
        tally.skip(
          "ticket",
          { sourceId: null, file, record: rec.index },
          r.split(" (")[0]!,
          `line ${(rec.value as CsvRow).line}: ${r}`,
        );
      } else {
        tally.source("comment");
        rows.push(r);
      }
    }
    const knownTickets = await mappedIds(
      tx,
      space,
      "ticket",
      rows.map((r) => r.ticketId),
    );
    const knownComments = await mappedIds(
      tx,
      space,
      "comment",
      rows.flatMap((r) => [`t-${r.row.hash}`, `c-${r.row.hash}`]),
    );
    const appended: CommentItem[] = [];
    const groups = new Map<string, Row[]>();
    const seen = new Set<string>();
    const messages = !!m.columns.comment_body;
    for (const r of rows) {
      const at = { sourceId: r.ticketId, file, record: r.rec.index };
      if (seen.has(r.row.hash)) {
        tally.skip("comment", at, "duplicate row in the file");
        continue;
      }
      seen.add(r.row.hash);
      if (knownComments.has(`t-${r.row.hash}`)) {
        tally.source("ticket");
        tally.add("ticket", "existing");
        tally.add("comment", "existing");
      } else if (knownComments.has(`c-${r.row.hash}`)) tally.add("comment", "existing");
      else if (!messages && (knownTickets.has(r.ticketId) || groups.has(r.ticketId))) {
        // One row per ticket: a second row with an id is not a comment; whether the first came in
        // this batch or an earlier run (or the row was edited since), it is the same report.
        tally.source("ticket");
        tally.skip("ticket", at, "duplicate external id: imported from another row");
        tally.skip("comment", at, "its ticket was skipped");
      } else if (knownTickets.has(r.ticketId)) {
        appended.push({ rec: r.rec, ticketRef: r.ticketId, comment: { ...r.comment, id: `c-${r.row.hash}` } });
        filesAs(ctx, r);
      } else if (groups.has(r.ticketId)) {
        groups.get(r.ticketId)!.push(r);
        filesAs(ctx, r);
      } else groups.set(r.ticketId, [r]);
    }
    const items: TicketItem[] = [...groups.values()].map((g) => {
      tally.source("ticket");
      return {
        rec: g[0]!.rec,
        ticket: {
          ...g[0]!.ticket,
          comments: g
            .map((r, i) => ({ ...r.comment, id: `${i === 0 ? "t" : "c"}-${r.row.hash}` }))
            .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()),
        },
      };
    });
    const names = new Map(rows.flatMap((r) => (r.name ? [[r.ticket.requesterRef!, r.name] as const] : [])));
    const refs: TicketRefs = {
      people: (tx2, ctx2, refs2) => csvPeople(tx2, ctx2, refs2, names),
      groups: (tx2, ctx2, names2) => csvGroups(tx2, ctx2, names2),
      fields: (tx2, ctx2, keys) => fieldDefsByKey(tx2, ctx2.space.orgId, keys),
    };
    await writeImportedTickets(tx, ctx, items, refs);
    await appendComments(tx, ctx, appended, refs.people);
  };
}

/** The files fetched for a row (keyed as its ticket's first comment, t-) under the comment id it is written as (c-). */
function filesAs(ctx: BatchContext, r: Row): void {
  if (!ctx.files) return;
  for (const i of r.comment.attachments.keys()) {
    const got = ctx.files.get(attachmentKey(`t-${r.row.hash}`, i));
    if (got) ctx.files.set(attachmentKey(`c-${r.row.hash}`, i), got);
  }
}

/** A row as a ticket and its comment, or why it cannot be one. */
function readRow(m: CsvMapping, rec: BatchRecord): Row | string {
  const row = rec.value as CsvRow & { headerWidth: number };
  if (row.width !== row.headerWidth)
    return `malformed: cell count (${row.width} cells, the header has ${row.headerWidth})`;
  const cell = (c: string | undefined) => (c ? (row.cells[c] ?? "").trim() : "");
  const c = m.columns;
  const email = cell(c.requester_email).toLowerCase();
  if (!EMAIL.test(email))
    return `malformed: requester_email (${JSON.stringify(cell(c.requester_email).slice(0, 100))} is not an email)`;
  const status = statusOf(m, cell(c.status));
  if (!status) return `unknown status (${JSON.stringify(cell(c.status).slice(0, 100))}: add it to statusValues)`;
  const priority = priorityOf(m, cell(c.priority));
  if (!priority)
    return `unknown priority (${JSON.stringify(cell(c.priority).slice(0, 100))}: add it to priorityValues)`;
  const time = (col: string | undefined, key: string): Date | null | string => {
    const v = cell(col);
    if (!v) return null;
    const t = dateOf(m, v);
    return t instanceof Date ? t : `malformed: ${key} (${JSON.stringify(v.slice(0, 50))} ${t.bad})`;
  };
  const created = time(c.created_at, "created_at");
  if (typeof created === "string") return created;
  const updated = time(c.updated_at, "updated_at");
  if (typeof updated === "string") return updated;
  const commented = time(c.comment_created_at, "comment_created_at");
  if (typeof commented === "string") return commented;
  const files = attachmentsOf(m, cell(c.attachments));
  if (typeof files === "string") return files;
  const createdAt = created ?? new Date();
  const external = cell(c.external_id);
  const ticketId = external ? external.slice(0, 200) : `row-${rec.index + 1}-${row.hash}`;
  const assignee = cell(c.assignee_email).toLowerCase();
  const author = cell(c.comment_author_email).toLowerCase();
  const body =
    (c.comment_body ? row.cells[c.comment_body] : "") || (c.description ? row.cells[c.description] : "") || "";
  return {
    rec,
    row,
    ticketId,
    name: cell(c.requester_name) || null,
    ticket: {
      id: ticketId,
      number: cell(c.number) || null,
      subject: cell(c.subject) || null,
      description: c.description ? (row.cells[c.description] ?? null) : null,
      status,
      sourceStatus: cell(c.status) || "(none)",
      priority,
      requesterRef: email,
      assigneeRef: assignee ? `${AGENT}${assignee}` : null,
      groupRef: cell(c.group) || null,
      ccRefs: [],
      ccEmails: [],
      tags: c.tags
        ? cell(c.tags)
            .split(m.tagSeparator)
            .map((t) => t.trim())
            .filter(Boolean)
        : [],
      customFields: Object.entries(m.customFields).map(([key, col]) => ({ id: key, value: csvValue(cell(col)) })),
      createdAt,
      updatedAt: updated,
    },
    comment: {
      authorRef: EMAIL.test(author) ? author : email,
      body,
      public: !INTERNAL.has(cell(c.comment_internal).toLowerCase()),
      createdAt: commented ?? createdAt,
      channel: "web",
      email: null,
      messageId: null,
      // Keyed by the row (its hash), not the comment id, which is known only when the batch is written.
      attachments: files.map((url, i) => ({ id: `${row.hash}/${i}`, name: fileNameOf(url), url, size: null })),
    },
  };
}

/** At most this many URLs in one attachments cell; more skips the row (a column mapped by mistake). */
export const CSV_MAX_ATTACHMENTS = 20;

/** The URLs of a row's attachments cell, or why the row cannot be read. */
function attachmentsOf(m: CsvMapping, text: string): string[] | string {
  if (!text) return [];
  const parts = (m.attachmentSeparator ? text.split(m.attachmentSeparator) : text.split(/\s+/))
    .map((u) => u.trim())
    .filter(Boolean);
  if (parts.length > CSV_MAX_ATTACHMENTS)
    return `malformed: attachments (${parts.length} URLs, at most ${CSV_MAX_ATTACHMENTS})`;
  for (const u of parts) {
    let url: URL | null = null;
    try {
      url = new URL(u);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || u.length > 4000)
      return `malformed: attachments (${JSON.stringify(u.slice(0, 100))} is not an http(s) URL)`;
  }
  return parts;
}

/** A file's name from its URL's last path segment ("report.pdf"), else "attachment"; sanitized when stored. */
function fileNameOf(url: string): string {
  const last = new URL(url).pathname.split("/").filter(Boolean).pop() ?? "";
  try {
    return decodeURIComponent(last) || "attachment";
  } catch {
    return last || "attachment";
  }
}

/**
 * The files a batch of rows wants, fetched before its transaction (as Zendesk's and Freshdesk's
 * are): keyed `t-<hash>/<i>`, the key of the row's comment when it makes its ticket; a row that
 * turns out to add a comment (`c-<hash>`) takes them over in csvRowWriter. Rows that cannot be
 * read want nothing (they are skipped).
 */
export function csvWantedFiles(m: CsvMapping) {
  return (recs: BatchRecord[]): WantedFile[] => {
    if (!m.columns.attachments) return [];
    return recs.flatMap((rec) => {
      const r = readRow(m, rec);
      if (typeof r === "string") return [];
      return r.comment.attachments.flatMap((a, i) =>
        a.url
          ? [
              {
                key: attachmentKey(`t-${r.row.hash}`, i),
                url: a.url,
                attachmentId: null,
                name: a.name,
                ownerId: `t-${r.row.hash}`,
              },
            ]
          : [],
      );
    });
  };
}

/** A cell as a field value: a yes/no cell a checkbox takes as a boolean, the rest as text (numbers are read by the field's type). */
function csvValue(v: string): unknown {
  const lower = v.toLowerCase();
  if (lower === "true" || lower === "yes") return true;
  if (lower === "false" || lower === "no") return false;
  return v;
}

/**
 * Requesters and comment authors by email: a user the org has is matched (mapped by email), a new
 * one is created as a customer without a password; assignees are looked up only.
 */
async function csvPeople(
  tx: Tx,
  ctx: BatchContext,
  refs: string[],
  names: Map<string, string>,
): Promise<Map<string, Person>> {
  const agents = [...new Set(refs.filter((r) => r.startsWith(AGENT)).map((r) => r.slice(AGENT.length)))];
  const out = await resolveUsers(
    tx,
    ctx,
    refs.filter((r) => !r.startsWith(AGENT)),
    (email) => ({
      sourceId: email,
      email,
      name: (names.get(email) ?? email.split("@")[0]!).slice(0, 200),
      role: "customer",
    }),
    "people the rows name, new to Beacon: created as customers without a password",
  );
  if (agents.length)
    for (const u of await tx
      .select({ id: users.id, email: users.email, role: users.role })
      .from(users)
      .where(and(eq(users.orgId, ctx.space.orgId), inArray(sql`lower(${users.email})`, agents))))
      out.set(`${AGENT}${u.email.toLowerCase()}`, { id: u.id, role: u.role });
  return out;
}

/** Groups by name: one the org has (or an earlier row made) is used; a new name becomes a group. */
async function csvGroups(tx: Tx, ctx: BatchContext, names: string[]): Promise<Map<string, string>> {
  const byKey = new Map(names.map((n) => [n.toLowerCase().slice(0, 100), n.slice(0, 100)]));
  const known = await mappedIds(tx, ctx.space, "group", byKey.keys());
  await insertGroups(
    tx,
    ctx,
    [...byKey].filter(([k]) => !known.has(k)).map(([sourceId, name]) => ({ sourceId, name })),
  );
  const all = await mappedIds(tx, ctx.space, "group", byKey.keys());
  return new Map(names.map((n) => [n, all.get(n.toLowerCase().slice(0, 100))!]));
}
