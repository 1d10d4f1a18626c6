import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { attachments, comments } from "../db/schema/tickets";
import { emailMessageIds, ticketCcs } from "../db/schema/email";
import { users } from "../db/schema/users";
import { MAX_TICKET_CCS } from "../email/ticket-ccs";
import type { Tx } from "../db/tenant";
import { MAX_TAGS, zTag } from "../tickets/schemas";
import { auditImported, type BatchContext, type BatchRecord } from "./batch";
import { fieldValues, mappedFieldDefs, type FieldDef } from "./fields";
import { mappedIds, recordIds } from "./id-map";
import type { ImportedTicket } from "./imported-ticket";
import { EMAIL, PLACEHOLDER_DOMAIN, resolveUsers, type Person } from "./people";
import { clean, clip, wellFormed } from "./record-shape";
import { allocateNumbers } from "./ticket-numbers";
import { sampleTicket } from "./ticket-sample";
import { commentRows, insertComments } from "./imported-comments";

export type TicketItem = { rec: BatchRecord; ticket: ImportedTicket };

/** How a source's references become Beacon ids, in the batch's transaction. */
export type TicketRefs = {
  people: (tx: Tx, ctx: BatchContext, refs: string[]) => Promise<Map<string, Person>>;
  groups: (tx: Tx, ctx: BatchContext, refs: string[]) => Promise<Map<string, string>>;
  fields: (tx: Tx, ctx: BatchContext, ids: string[]) => Promise<Map<string, FieldDef>>;
};

/** References by source id through the id map (users, groups, custom fields): Zendesk's and Freshdesk's. */
export const ID_MAP_REFS: TicketRefs = {
  people: (tx, ctx, refs) => resolveUsers(tx, ctx, refs),
  groups: (tx, ctx, refs) => mappedIds(tx, ctx.space, "group", refs),
  fields: (tx, ctx, ids) => mappedFieldDefs(tx, ctx, ids),
};

/**
 * Tickets with their comments, as the source had them: number (where no Beacon ticket has it),
 * requester, assignee, group, status, priority, tags, custom fields, CCs, every comment with its
 * author, visibility, channel and time, attachments fetched before the transaction. Written
 * straight into the tables, not through createTicket: an import is history, so no trigger, SLA
 * policy, notification, email or webhook runs; each ticket's audit event says "ticket.imported".
 */
export async function writeImportedTickets(
  tx: Tx,
  ctx: BatchContext,
  items: TicketItem[],
  refs: TicketRefs,
): Promise<void> {
  const { space, tally } = ctx;
  const seen = new Set<string>();
  const parsed = items.filter((p) => {
    const dup = seen.has(p.ticket.id);
    seen.add(p.ticket.id);
    if (dup) dropTicket(ctx, p, "duplicate in the source");
    return !dup;
  });
  const known = await mappedIds(
    tx,
    space,
    "ticket",
    parsed.map((p) => p.ticket.id),
  );
  for (const { ticket: t } of parsed.filter((p) => known.has(p.ticket.id))) {
    tally.add("ticket", "existing");
    tally.add("comment", "existing", t.comments.length);
    tally.add(
      "attachment",
      "existing",
      t.comments.reduce((n, c) => n + c.attachments.length, 0),
    );
  }
  const fresh = parsed.filter((p) => !known.has(p.ticket.id));
  if (!fresh.length) return;

  const people = await refs.people(
    tx,
    ctx,
    fresh
      .flatMap(({ ticket: t }) => [t.requesterRef, t.assigneeRef, ...t.comments.map((c) => c.authorRef), ...t.ccRefs])
      .filter((id): id is string => !!id),
  );
  const writable = fresh.filter((p) => {
    if (p.ticket.requesterRef && people.has(p.ticket.requesterRef)) return true;
    dropTicket(ctx, p, "no requester");
    return false;
  });
  if (!writable.length) return;
  const defs = await refs.fields(
    tx,
    ctx,
    writable.flatMap((p) => p.ticket.customFields.map((f) => f.id)),
  );
  const teams = await refs.groups(
    tx,
    ctx,
    writable.flatMap((p) => (p.ticket.groupRef ? [p.ticket.groupRef] : [])),
  );
  // Companies by the source's ids (imported before the tickets); one lookup, only when a ticket names one.
  const companyRefs = writable.flatMap((p) => (p.ticket.customerOrgRef ? [p.ticket.customerOrgRef] : []));
  const companies = companyRefs.length
    ? await mappedIds(tx, space, "organization", companyRefs)
    : new Map<string, string>();
  const emails = await mailableEmails(
    tx,
    space.orgId,
    writable.flatMap(({ ticket: t }) =>
      [t.requesterRef!, ...t.ccRefs].flatMap((r) => (people.has(r) ? [people.get(r)!.id] : [])),
    ),
  );
  const numbers = await allocateNumbers(
    tx,
    space.orgId,
    writable.map((p) => ({ id: p.ticket.id, number: p.ticket.number })),
  );

  const ticketRows: TicketRow[] = [];
  const commentInserts: (typeof comments.$inferInsert)[] = [];
  const messageIds: (typeof emailMessageIds.$inferInsert)[] = [];
  const ccRows: (typeof ticketCcs.$inferInsert)[] = [];
  const ticketPairs: [string, string][] = [];
  const commentPairs: [string, string][] = [];
  const attachmentRows: (typeof attachments.$inferInsert)[] = [];
  const attachmentPairs: [string, string][] = [];
  const audits: { ticketId: string; data: Record<string, unknown> }[] = [];
  for (const p of writable) {
    const t = p.ticket;
    const id = randomUUID();
    const requester = people.get(t.requesterRef!)!;
    const assignee = t.assigneeRef ? people.get(t.assigneeRef) : undefined;
    const updatedAt = t.updatedAt ?? t.createdAt;
    const finished = t.status === "solved" || t.status === "closed";
    const fields = fieldValues(ctx, t.customFields, defs);
    const tags = beaconTags(t.tags);
    if (tags.dropped.length)
      tally.note(
        "ticket",
        `tags Beacon does not take (over ${MAX_TAGS}, or not letters, digits, _ . : -): kept in the audit event`,
      );
    const firstResponse = t.comments.find(
      (c) => c.public && c.authorRef && c.authorRef !== t.requesterRef && people.get(c.authorRef)?.role !== "customer",
    );
    if (t.assigneeRef && (!assignee || assignee.role === "customer"))
      tally.note("ticket", "assignee is not an agent in Beacon: left unassigned");
    if (t.groupRef && !teams.has(t.groupRef)) tally.note("ticket", "group not in the export: left without a group");
    if (t.customerOrgRef && !companies.has(t.customerOrgRef))
      tally.note("ticket", "company not in the export: not linked to one");
    const number = numbers.get(t.id)!;
    ticketRows.push({
      org_id: space.orgId,
      id,
      number: number.number,
      subject: wellFormed(subjectOf(t)),
      requester_id: requester.id,
      assignee_id: assignee && assignee.role !== "customer" ? assignee.id : null,
      group_id: (t.groupRef && teams.get(t.groupRef)) || null,
      customer_org_id: (t.customerOrgRef && companies.get(t.customerOrgRef)) || null,
      status: t.status,
      priority: t.priority,
      tags: tags.kept.map(wellFormed),
      custom_fields: fields.values,
      first_response_at: firstResponse?.createdAt ?? t.recorded?.firstResponseAt ?? null,
      resolved_at: finished ? (t.recorded?.resolvedAt ?? updatedAt) : null,
      closed_at: t.status === "closed" ? (t.recorded?.closedAt ?? updatedAt) : null,
      created_at: t.createdAt,
      updated_at: updatedAt,
      // The public conversation, as a subject change recomputes it (the insert trigger puts the subject first).
      search_text: wellFormed(
        t.comments
          .filter((c) => c.public)
          .map((c) => clean(c.body))
          .join("\n"),
      ),
    });
    ticketPairs.push([t.id, id]);
    const requesterEmail = emails.get(requester.id);
    const ccs = [
      ...new Set([
        ...t.ccRefs.flatMap((r) => {
          const email = people.has(r) ? emails.get(people.get(r)!.id) : undefined;
          return email && people.get(r)!.id !== requester.id ? [email] : [];
        }),
        ...t.ccEmails
          .map((e) => e.trim().toLowerCase())
          .filter((e) => EMAIL.test(e) && e !== requesterEmail && !e.endsWith(`@${PLACEHOLDER_DOMAIN}`)),
      ]),
    ];
    if (ccs.length > MAX_TICKET_CCS)
      tally.note("ticket", `more than ${MAX_TICKET_CCS} CCs: the first ${MAX_TICKET_CCS} kept`);
    for (const email of ccs.slice(0, MAX_TICKET_CCS))
      ccRows.push({ orgId: space.orgId, ticketId: id, email, createdAt: t.createdAt });
    if (t.number !== null && !number.kept) tally.note("ticket", "number taken in Beacon: given the next free number");
    let ticketAttachments = 0;
    for (const c of t.comments) {
      const commentId = randomUUID();
      const author = (c.authorRef && people.get(c.authorRef)) || requester;
      const rows = commentRows(ctx, { ticketId: id, commentId, authorId: author.id, record: p.rec.index }, c);
      commentInserts.push(rows.comment);
      commentPairs.push([c.id, commentId]);
      if (rows.messageId) messageIds.push(rows.messageId);
      for (const a of rows.attachments) {
        attachmentRows.push(a.row);
        attachmentPairs.push(a.pair);
      }
      ticketAttachments += rows.attachments.length;
      tally.add("comment", "imported");
    }
    audits.push({
      ticketId: id,
      data: {
        importId: space.importId,
        source: space.sourceKind,
        sourceId: t.id,
        number: number.number,
        sourceStatus: t.sourceStatus,
        comments: t.comments.length,
        attachments: ticketAttachments,
        // Values no Beacon field takes are kept with the ticket's history, so nothing of the source is lost.
        ...(fields.leftOver.length ? { sourceCustomFields: fields.leftOver } : {}),
        ...(tags.dropped.length ? { sourceTagsDropped: tags.dropped } : {}),
      },
    });
    sampleTicket(tally, t, id);
    tally.add("ticket", "imported");
  }
  // The tickets carry their comments' text already: the comment trigger is told not to add it again (drizzle/0026).
  await tx.execute(sql`select set_config('beacon.ticket_search_fed', 'import', true)`);
  await insertTickets(tx, ticketRows);
  await insertComments(tx, commentInserts);
  await tx.execute(sql`select set_config('beacon.ticket_search_fed', '', true)`);
  if (attachmentRows.length) await tx.insert(attachments).values(attachmentRows);
  if (ccRows.length) await tx.insert(ticketCcs).values(ccRows).onConflictDoNothing();
  if (messageIds.length) await tx.insert(emailMessageIds).values(messageIds).onConflictDoNothing();
  await recordIds(tx, space, "ticket", ticketPairs);
  await recordIds(tx, space, "comment", commentPairs);
  await recordIds(tx, space, "attachment", attachmentPairs);
  await auditImported(
    tx,
    ctx.actor,
    audits.map((a) => ({ action: "ticket.imported", entityType: "ticket", entityId: a.ticketId, data: a.data })),
  );
}

type TicketRow = {
  org_id: string;
  id: string;
  number: number;
  subject: string;
  requester_id: string;
  assignee_id: string | null;
  group_id: string | null;
  customer_org_id: string | null;
  status: string;
  priority: string;
  tags: string[];
  custom_fields: unknown;
  first_response_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  search_text: string;
};

/**
 * A batch's tickets in one statement, the rows as one JSON parameter: drizzle's multi-row VALUES
 * (17 parameters and a to_tsvector expression a row) was the largest share of the app's CPU once
 * comments no longer went through the Markdown pipeline (decision 060). Columns not named take
 * their defaults, as they did.
 */
async function insertTickets(tx: Tx, rows: TicketRow[]): Promise<void> {
  await tx.execute(sql`insert into tickets (org_id, id, number, subject, requester_id, assignee_id, group_id, customer_org_id,
      status, priority, tags, custom_fields, first_response_at, resolved_at, closed_at, created_at, updated_at, search_vector)
    select org_id, id, number, subject, requester_id, assignee_id, group_id, customer_org_id, status::ticket_status,
      priority::ticket_priority, tags, custom_fields, first_response_at, resolved_at, closed_at, created_at, updated_at,
      to_tsvector('english', search_text)
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(org_id uuid, id uuid, number int, subject text,
      requester_id uuid, assignee_id uuid, group_id uuid, customer_org_id uuid, status text, priority text, tags text[], custom_fields jsonb,
      first_response_at timestamptz, resolved_at timestamptz, closed_at timestamptz, created_at timestamptz,
      updated_at timestamptz, search_text text)`);
}

/** The addresses of users that can receive mail (not the placeholders of users the export had no email for). */
async function mailableEmails(tx: Tx, orgId: string, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await tx
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(and(eq(users.orgId, orgId), inArray(users.id, [...new Set(ids)])));
  return new Map(
    rows.filter((r) => !r.email.endsWith(`@${PLACEHOLDER_DOMAIN}`)).map((r) => [r.id, r.email.toLowerCase()]),
  );
}

/** A ticket not written, with its comments and their attachments: each counted as skipped, so the report adds up. */
export function dropTicket(ctx: BatchContext, p: TicketItem, reason: string): void {
  const at = { file: ctx.file, record: p.rec.index };
  ctx.tally.skip("ticket", { ...at, sourceId: p.ticket.id }, reason);
  for (const c of p.ticket.comments) {
    ctx.tally.skip("comment", { ...at, sourceId: c.id }, "its ticket was skipped");
    for (const a of c.attachments) ctx.tally.skip("attachment", { ...at, sourceId: a.id }, "its ticket was skipped");
  }
}

/** The source's tags under Beacon's tag rules (the ones a later edit of the ticket validates), and the ones that do not fit. */
function beaconTags(source: string[]): { kept: string[]; dropped: string[] } {
  const kept = new Set<string>();
  const dropped: string[] = [];
  for (const raw of source) {
    const r = zTag.safeParse(raw);
    if (r.success && (kept.has(r.data) || kept.size < MAX_TAGS)) kept.add(r.data);
    else dropped.push(raw.slice(0, 100));
  }
  return { kept: [...kept].sort(), dropped };
}

function subjectOf(t: ImportedTicket): string {
  const text = clean(t.subject ?? t.description?.split("\n")[0] ?? "")
    .replace(/\s+/g, " ")
    .trim();
  // varchar(200) counts characters: cut by code point, never inside a surrogate pair.
  return clip(text, 200) || "(no subject)";
}
