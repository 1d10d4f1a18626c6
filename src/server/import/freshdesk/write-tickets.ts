import "server-only";
import type { Tx } from "../../db/tenant";
import { htmlToMarkdown } from "../../email/html-to-markdown";
import { appendComments, type CommentItem } from "../append-comments";
import { parseRecords, type BatchContext, type BatchRecord } from "../batch";
import type { ImportedAttachment, ImportedComment, ImportedTicket } from "../imported-ticket";
import type { WantedFile } from "../ticket-files";
import { embeddedComments, wantedFiles } from "../imported-comments";
import { writeImportedSlaEvents, type ImportedSlaEvent } from "../imported-history";
import { dropTicket, ID_MAP_REFS, writeImportedTickets, type TicketItem } from "../write-imported-tickets";
import {
  EMAIL_CONVERSATION_SOURCES,
  EMAIL_SOURCES,
  FRESHDESK_PRIORITY,
  FRESHDESK_STATUS,
  ZFreshdeskConversation,
  ZFreshdeskTicket,
  type FreshdeskConversation,
  type FreshdeskTicket,
} from "./shapes";

/**
 * Freshdesk tickets (writeImportedTickets writes them): the ticket id is its number; the
 * description (with the ticket's own attachments) is the first comment, then the conversations
 * given with the ticket (?include=conversations). Spam and deleted tickets are skipped.
 */
export async function writeTickets(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const items: TicketItem[] = [];
  const sla: ImportedSlaEvent[] = [];
  for (const { rec, value } of parseRecords(ctx, "ticket", recs, ZFreshdeskTicket)) {
    const item = { rec, ticket: importedTicket(ctx, value, ticketComments(ctx, rec, value)) };
    if (value.spam) dropTicket(ctx, item, "spam in Freshdesk");
    else if (value.deleted) dropTicket(ctx, item, "deleted in Freshdesk");
    else {
      items.push(item);
      sla.push(...slaEventsOf(value, rec.index));
    }
  }
  await writeImportedTickets(tx, ctx, items, ID_MAP_REFS);
  // Freshdesk's own SLA record of each ticket, once the tickets are in the id map.
  if (sla.length) {
    ctx.tally.source("sla_event", sla.length);
    await writeImportedSlaEvents(tx, ctx, sla);
  }
}

/**
 * What Freshdesk recorded of a ticket's SLA, as Beacon's SLA events (decision 061): its due times
 * (`fr_due_by`, `due_by`) as the targets set when the ticket came in, and a breach for each
 * escalation flag (`fr_escalated`: the first response; `is_escalated`: the resolution), at the
 * due time it passed. Never computed: a ticket whose flags are false has no breach, whatever its times.
 */
function slaEventsOf(t: FreshdeskTicket, record: number): ImportedSlaEvent[] {
  const out: ImportedSlaEvent[] = [];
  const base = { ticketRef: t.id, record };
  const metrics = [
    { metric: "first_response", due: t.fr_due_by, breached: t.fr_escalated, flag: "fr_escalated" },
    { metric: "resolution", due: t.due_by, breached: t.is_escalated, flag: "is_escalated" },
  ] as const;
  for (const m of metrics) {
    if (m.due)
      out.push({
        ...base,
        sourceId: `${t.id}/${m.metric}/due`,
        metric: m.metric,
        kind: "apply",
        at: t.created_at,
        dueAt: m.due,
        data: { sourceField: m.metric === "first_response" ? "fr_due_by" : "due_by" },
      });
    if (m.breached)
      out.push({
        ...base,
        sourceId: `${t.id}/${m.metric}/breach`,
        metric: m.metric,
        kind: "breach",
        // Freshdesk says that the target was missed, not when: the due time it passed, else the ticket's last update.
        at: m.due ?? t.updated_at ?? t.created_at,
        dueAt: m.due ?? null,
        data: { sourceField: m.flag },
      });
  }
  return out;
}

/** Conversations saved apart from their tickets (GET /tickets/{id}/conversations), each naming its ticket_id. */
export async function writeConversations(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const items: CommentItem[] = [];
  for (const { rec, value } of parseRecords(ctx, "comment", recs, ZFreshdeskConversation)) {
    const comment = importedConversation(value);
    ctx.tally.source("attachment", comment.attachments.length);
    if (value.ticket_id) items.push({ rec, ticketRef: value.ticket_id, comment });
    else ctx.tally.skip("comment", { sourceId: value.id, file: ctx.file, record: rec.index }, "malformed: ticket_id");
  }
  await appendComments(tx, ctx, items, ID_MAP_REFS.people);
}

/** The attachments of a batch's tickets (the description's and the embedded conversations'), fetched before its transaction. */
export function freshdeskTicketFiles(recs: BatchRecord[]): WantedFile[] {
  return recs.flatMap((rec) => {
    const t = ZFreshdeskTicket.safeParse(rec.value);
    if (!t.success || t.data.spam || t.data.deleted) return [];
    const conversations = (t.data.conversations ?? []).flatMap((raw) => {
      const c = ZFreshdeskConversation.safeParse(raw);
      return c.success ? [importedConversation(c.data)] : [];
    });
    return wantedFiles(t.data.id, [description(t.data), ...conversations]);
  });
}

/** The attachments of a batch of conversations from a conversations file. */
export function freshdeskConversationFiles(recs: BatchRecord[]): WantedFile[] {
  return recs.flatMap((rec) => {
    const c = ZFreshdeskConversation.safeParse(rec.value);
    return c.success ? wantedFiles(c.data.id, [importedConversation(c.data)]) : [];
  });
}

function importedTicket(ctx: BatchContext, t: FreshdeskTicket, comments: ImportedComment[]): ImportedTicket {
  const status = FRESHDESK_STATUS[t.status];
  if (!status) ctx.tally.note("ticket", "a custom Freshdesk status: imported as open (its code is in the audit event)");
  return {
    id: t.id,
    number: t.id,
    subject: t.subject ?? null,
    description: t.description_text ?? null,
    status: status ?? "open",
    sourceStatus: t.status,
    priority: FRESHDESK_PRIORITY[t.priority ?? 2] ?? "normal",
    requesterRef: t.requester_id ?? null,
    assigneeRef: t.responder_id ?? null,
    groupRef: t.group_id ?? null,
    customerOrgRef: t.company_id ?? null,
    ccRefs: [],
    ccEmails: t.cc_emails ?? [],
    tags: t.tags ?? [],
    customFields: Object.entries(t.custom_fields ?? {}).map(([id, value]) => ({ id, value })),
    createdAt: t.created_at,
    updatedAt: t.updated_at ?? null,
    comments,
    recorded: t.stats
      ? {
          firstResponseAt: t.stats.first_responded_at ?? null,
          resolvedAt: t.stats.resolved_at ?? null,
          closedAt: t.stats.closed_at ?? null,
        }
      : undefined,
  };
}

/** The description as the ticket's first comment, by its requester, with the ticket's own attachments. */
function description(t: FreshdeskTicket): ImportedComment {
  const viaEmail = EMAIL_SOURCES.has(t.source ?? 0);
  return {
    id: `description-${t.id}`,
    authorRef: t.requester_id ?? null,
    body: t.description_text ?? htmlToMarkdown(t.description ?? ""),
    public: true,
    createdAt: t.created_at,
    channel: viaEmail ? "email" : "web",
    email: viaEmail ? { from: t.email ?? "", to: t.to_emails ?? [] } : null,
    messageId: null,
    attachments: attachmentsOf(t.attachments),
  };
}

function importedConversation(c: FreshdeskConversation): ImportedComment {
  const viaEmail = EMAIL_CONVERSATION_SOURCES.has(c.source ?? -1) && !c.private;
  return {
    id: c.id,
    authorRef: c.user_id ?? null,
    body: c.body_text ?? htmlToMarkdown(c.body ?? ""),
    public: !c.private,
    createdAt: c.created_at,
    channel: viaEmail ? "email" : "web",
    email: viaEmail ? { from: c.from_email ?? "", to: c.to_emails ?? [] } : null,
    messageId: null,
    attachments: attachmentsOf(c.attachments),
  };
}

function attachmentsOf(list: FreshdeskTicket["attachments"]): ImportedAttachment[] {
  return (list ?? []).map((a) => ({
    id: a.id ?? null,
    name: a.name ?? "attachment",
    url: a.attachment_url ?? null,
    size: a.size ?? null,
  }));
}

/** The description, then the embedded conversations that fit their shape, in time order. */
function ticketComments(ctx: BatchContext, rec: BatchRecord, t: FreshdeskTicket): ImportedComment[] {
  return embeddedComments(
    ctx,
    { rec, ticketId: t.id },
    t.conversations ?? [],
    ZFreshdeskConversation,
    importedConversation,
    [description(t)],
  );
}
