import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { PgInsertValue } from "drizzle-orm/pg-core";
import { attachments, comments, tickets, type CommentEmail } from "../../db/schema/tickets";
import { emailMessageIds, ticketCcs } from "../../db/schema/email";
import { users } from "../../db/schema/users";
import { MAX_TICKET_CCS } from "../../email/ticket-ccs";
import type { Tx } from "../../db/tenant";
import { renderMarkdown } from "../../markdown/render";
import { MAX_TAGS, zTag } from "../../tickets/schemas";
import { cleanMessageId } from "../../email/message-id";
import { attachmentKey, auditImported, type BatchContext, type BatchRecord } from "../batch";
import { mappedIds, recordIds } from "../id-map";
import { idOf, PLACEHOLDER_DOMAIN, resolveUsers } from "./write-people";
import { fieldDefsFor, ticketFieldValues } from "./write-fields";
import { sampleTicket } from "./ticket-sample";
import {
  clean,
  describeIssues,
  ZENDESK_STATUS,
  zendeskPriority,
  ZZendeskComment,
  ZZendeskTicket,
  type ZendeskComment,
  type ZendeskTicket,
} from "./shapes";

const MAX_TICKET_NUMBER = 2_147_483_647;

type Parsed = { rec: BatchRecord; value: ZendeskTicket; comments: ZendeskComment[] };

/**
 * Zendesk tickets with their comments, as they were: number (Zendesk's ticket id, where no Beacon
 * ticket has it), requester, assignee, status, priority, tags, every comment with its author,
 * visibility and time. Written straight into the tables, not through createTicket: an import is
 * history, so no trigger, SLA policy, notification, email or webhook runs; each ticket's audit
 * event says "ticket.imported".
 */
export async function writeTickets(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const { space, tally, file } = ctx;
  const parsed: Parsed[] = [];
  const seen = new Set<string>();
  for (const rec of recs) {
    const r = ZZendeskTicket.safeParse(rec.value);
    if (!r.success) {
      const d = describeIssues(r.error);
      tally.skip("ticket", { sourceId: idOf(rec.value), file, record: rec.index }, d.reason, d.detail);
      continue;
    }
    const p: Parsed = { rec, value: r.data, comments: [] };
    p.comments = ticketComments(ctx, p);
    if (r.data.status === "deleted") dropTicket(ctx, p, "deleted in Zendesk");
    else if (seen.has(r.data.id)) dropTicket(ctx, p, "duplicate in the source");
    else parsed.push(p);
    seen.add(r.data.id);
  }
  const known = await mappedIds(
    tx,
    space,
    "ticket",
    parsed.map((p) => p.value.id),
  );
  for (const p of parsed.filter((p) => known.has(p.value.id))) {
    tally.add("ticket", "existing");
    tally.add("comment", "existing", p.comments.length);
    tally.add(
      "attachment",
      "existing",
      p.comments.reduce((n, c) => n + (c.attachments?.length ?? 0), 0),
    );
  }
  const fresh = parsed.filter((p) => !known.has(p.value.id));
  if (!fresh.length) return;

  const people = await resolveUsers(
    tx,
    ctx,
    fresh
      .flatMap((p) => [
        p.value.requester_id,
        p.value.submitter_id,
        p.value.assignee_id,
        ...p.comments.map((c) => c.author_id),
        ...ccIds(p.value),
      ])
      .filter((id): id is string => !!id),
  );
  const writable = fresh.filter((p) => {
    if (p.value.requester_id && people.has(p.value.requester_id)) return true;
    dropTicket(ctx, p, "no requester");
    return false;
  });
  if (!writable.length) return;
  const defs = await fieldDefsFor(
    tx,
    ctx,
    writable.map((p) => p.value),
  );
  const teams = await mappedIds(
    tx,
    space,
    "group",
    writable.flatMap((p) => (p.value.group_id ? [p.value.group_id] : [])),
  );
  const emails = await mailableEmails(
    tx,
    space.orgId,
    writable.flatMap((p) => ccIds(p.value).flatMap((id) => (people.has(id) ? [people.get(id)!.id] : []))),
  );
  const numbers = await allocateNumbers(
    tx,
    space.orgId,
    writable.map((p) => p.value.id),
  );

  const ticketRows: PgInsertValue<typeof tickets>[] = [];
  const commentRows: (typeof comments.$inferInsert)[] = [];
  const messageIds: (typeof emailMessageIds.$inferInsert)[] = [];
  const ccRows: (typeof ticketCcs.$inferInsert)[] = [];
  const ticketPairs: [string, string][] = [];
  const commentPairs: [string, string][] = [];
  const attachmentRows: (typeof attachments.$inferInsert)[] = [];
  const attachmentPairs: [string, string][] = [];
  const audits: { ticketId: string; data: Record<string, unknown> }[] = [];
  for (const p of writable) {
    const t = p.value;
    const id = randomUUID();
    const requester = people.get(t.requester_id!)!;
    const assignee = t.assignee_id ? people.get(t.assignee_id) : undefined;
    const updatedAt = t.updated_at ?? t.created_at;
    const status = ZENDESK_STATUS[t.status as keyof typeof ZENDESK_STATUS];
    const finished = status === "solved" || status === "closed";
    const fields = ticketFieldValues(ctx, t, defs);
    const tags = beaconTags(t.tags ?? []);
    if (tags.dropped.length)
      tally.note(
        "ticket",
        `tags Beacon does not take (over ${MAX_TAGS}, or not letters, digits, _ . : -): kept in the audit event`,
      );
    const firstResponse = p.comments.find(
      (c) => c.public && c.author_id && c.author_id !== t.requester_id && people.get(c.author_id)?.role !== "customer",
    );
    if (t.assignee_id && assignee?.role === "customer")
      tally.note("ticket", "assignee is not an agent in Beacon: left unassigned");
    if (t.group_id && !teams.has(t.group_id)) tally.note("ticket", "group not in the export: left without a group");
    ticketRows.push({
      orgId: space.orgId,
      id,
      number: numbers.get(t.id)!.number,
      subject: subjectOf(t),
      requesterId: requester.id,
      assigneeId: assignee && assignee.role !== "customer" ? assignee.id : null,
      groupId: (t.group_id && teams.get(t.group_id)) || null,
      status,
      priority: zendeskPriority(t.priority),
      tags: tags.kept,
      customFields: fields.values,
      firstResponseAt: firstResponse?.created_at ?? null,
      resolvedAt: finished ? updatedAt : null,
      closedAt: status === "closed" ? updatedAt : null,
      createdAt: t.created_at,
      updatedAt,
      // The public conversation, as a subject change recomputes it (the insert trigger puts the subject first).
      searchVector: sql`to_tsvector('english', ${p.comments
        .filter((c) => c.public)
        .map((c) => clean(c.plain_body ?? c.body ?? ""))
        .join("\n")})`,
    });
    ticketPairs.push([t.id, id]);
    const ccs = [
      ...new Set(
        ccIds(t).flatMap((z) => {
          const email = people.has(z) ? emails.get(people.get(z)!.id) : undefined;
          return email && people.get(z)!.id !== requester.id ? [email] : [];
        }),
      ),
    ];
    if (ccs.length > MAX_TICKET_CCS)
      tally.note("ticket", `more than ${MAX_TICKET_CCS} CCs: the first ${MAX_TICKET_CCS} kept`);
    for (const email of ccs.slice(0, MAX_TICKET_CCS))
      ccRows.push({ orgId: space.orgId, ticketId: id, email, createdAt: t.created_at });
    if (!numbers.get(t.id)!.kept) tally.note("ticket", "number taken in Beacon: given the next free number");
    for (const c of p.comments) {
      const commentId = randomUUID();
      const author = (c.author_id && people.get(c.author_id)) || requester;
      const body = clean(c.plain_body ?? c.body ?? "").trim() || "(no text)";
      const messageId = cleanMessageId(c.metadata?.system?.message_id);
      const viaEmail = c.via?.channel === "email";
      const email: CommentEmail | null = viaEmail
        ? {
            from: c.via?.source?.from?.address ?? "",
            to: c.via?.source?.to?.address ? [c.via.source.to.address] : [],
            cc: [],
            messageId,
          }
        : null;
      commentRows.push({
        orgId: space.orgId,
        id: commentId,
        ticketId: id,
        authorId: author.id,
        body,
        bodyHtml: renderMarkdown(body),
        internal: !c.public,
        channel: viaEmail ? "email" : c.via?.channel === "api" ? "api" : "web",
        email,
        createdAt: c.created_at,
      });
      commentPairs.push([c.id, commentId]);
      // Replies to an imported email thread find their ticket by this Message-ID (In-Reply-To / References).
      if (viaEmail && messageId)
        messageIds.push({
          orgId: space.orgId,
          messageId,
          ticketId: id,
          commentId,
          direction: "inbound",
          createdAt: c.created_at,
        });
      for (const [i, a] of (c.attachments ?? []).entries()) {
        const at = { sourceId: a.id ?? null, file, record: p.rec.index };
        const got = ctx.files?.get(attachmentKey(c.id, i));
        tally.bytes("attachment", a.size ?? 0, got?.ok ? got.size : 0);
        if (!a.content_url) tally.skip("attachment", at, "no URL in the export");
        else if (!got) tally.skip("attachment", at, "not fetched");
        else if (!got.ok) tally.skip("attachment", at, got.reason, got.detail);
        else {
          const attachmentId = randomUUID();
          attachmentRows.push({
            orgId: space.orgId,
            id: attachmentId,
            ticketId: id,
            commentId,
            uploaderId: author.id,
            filename: got.filename,
            contentType: got.contentType,
            sizeBytes: got.size,
            sha256: got.sha256,
            storageKey: got.key,
            createdAt: c.created_at,
          });
          attachmentPairs.push([a.id ?? attachmentKey(c.id, i), attachmentId]);
          tally.add("attachment", "imported");
        }
      }
      tally.add("comment", "imported");
    }
    audits.push({
      ticketId: id,
      data: {
        importId: space.importId,
        source: space.sourceKind,
        sourceId: t.id,
        number: numbers.get(t.id)!.number,
        sourceStatus: t.status,
        comments: p.comments.length,
        attachments: attachmentRows.filter((r) => r.ticketId === id).length,
        // Values no Beacon field takes are kept with the ticket's history, so nothing of the source is lost.
        ...(fields.leftOver.length ? { sourceCustomFields: fields.leftOver } : {}),
        ...(tags.dropped.length ? { sourceTagsDropped: tags.dropped } : {}),
      },
    });
    sampleTicket(tally, t, p.comments, id);
    tally.add("ticket", "imported");
  }
  // The tickets carry their comments' text already: the comment trigger is told not to add it again (drizzle/0026).
  await tx.execute(sql`select set_config('beacon.ticket_search_fed', 'import', true)`);
  await tx.insert(tickets).values(ticketRows);
  if (commentRows.length) await tx.insert(comments).values(commentRows);
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

/** The ticket's valid comments in time order; without a comments list (the incremental export), its description is the first comment. */
function ticketComments(ctx: BatchContext, p: Parsed): ZendeskComment[] {
  const t = p.value;
  if (!t.comments) {
    ctx.tally.source("comment");
    ctx.tally.note("ticket", "no comments in the export: the description is the first comment");
    return [
      {
        id: `description-${t.id}`,
        author_id: t.submitter_id ?? t.requester_id,
        body: t.description ?? "",
        public: true,
        created_at: t.created_at,
      },
    ];
  }
  const out: ZendeskComment[] = [];
  for (const raw of t.comments) {
    ctx.tally.source("comment");
    const r = ZZendeskComment.safeParse(raw);
    if (r.success) out.push(r.data);
    else
      ctx.tally.skip(
        "comment",
        { sourceId: idOf(raw), file: ctx.file, record: p.rec.index },
        describeIssues(r.error).reason,
        `ticket ${t.id}: ${describeIssues(r.error).detail}`,
      );
  }
  for (const c of out) ctx.tally.source("attachment", c.attachments?.length ?? 0);
  return out.sort((a, b) => a.created_at.getTime() - b.created_at.getTime());
}

const ccIds = (t: ZendeskTicket) => [...new Set([...(t.email_cc_ids ?? []), ...(t.collaborator_ids ?? [])])];

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
function dropTicket(ctx: BatchContext, p: Parsed, reason: string): void {
  const at = { file: ctx.file, record: p.rec.index };
  ctx.tally.skip("ticket", { ...at, sourceId: p.value.id }, reason);
  for (const c of p.comments) {
    ctx.tally.skip("comment", { ...at, sourceId: c.id }, "its ticket was skipped");
    for (const a of c.attachments ?? [])
      ctx.tally.skip("attachment", { ...at, sourceId: a.id ?? null }, "its ticket was skipped");
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

function subjectOf(t: ZendeskTicket): string {
  const text = clean(t.subject ?? t.raw_subject ?? t.description?.split("\n")[0] ?? "")
    .replace(/\s+/g, " ")
    .trim();
  // varchar(200) counts characters: cut by code point, never inside a surrogate pair.
  return Array.from(text).slice(0, 200).join("") || "(no subject)";
}

/**
 * Keeps the source's ticket number where no ticket of the org has it; the others get numbers past
 * every number kept so far. The org's counter moves past all of them, so tickets created later
 * never collide with an imported one.
 */
async function allocateNumbers(
  tx: Tx,
  orgId: string,
  sourceIds: string[],
): Promise<Map<string, { number: number; kept: boolean }>> {
  const wanted = sourceIds.map(Number).filter((n) => Number.isSafeInteger(n) && n >= 1 && n <= MAX_TICKET_NUMBER);
  const taken = new Set(
    wanted.length
      ? (
          await tx
            .select({ n: tickets.number })
            .from(tickets)
            .where(and(eq(tickets.orgId, orgId), inArray(tickets.number, wanted)))
        ).map((r) => r.n)
      : [],
  );
  const kept = wanted.filter((n) => !taken.has(n));
  const keptSet = new Set(kept.map(String));
  const others = sourceIds.filter((s) => !keptSet.has(s));
  const top = kept.length ? Math.max(...kept) : 0;
  const r = await tx.execute<{ seq: number }>(
    sql`update orgs set ticket_seq = greatest(ticket_seq, ${top}) + ${others.length} where id = ${orgId} returning ticket_seq as seq`,
  );
  let next = Number(r.rows[0]!.seq) - others.length + 1;
  const out = new Map<string, { number: number; kept: boolean }>();
  for (const s of sourceIds)
    out.set(s, keptSet.has(s) ? { number: Number(s), kept: true } : { number: next++, kept: false });
  return out;
}
