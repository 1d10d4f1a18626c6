import "server-only";
import type { Tx } from "../../db/tenant";
import { cleanMessageId } from "../../email/message-id";
import { parseRecords, type BatchContext, type BatchRecord } from "../batch";
import type { ImportedComment, ImportedTicket } from "../imported-ticket";
import type { WantedFile } from "../ticket-files";
import { commentBody, embeddedComments, wantedFiles } from "../imported-comments";
import { renderAhead } from "../comment-html";
import { safeParseOnce } from "../parse-once";
import { writeEmbeddedHistory } from "./write-history";
import { dropTicket, ID_MAP_REFS, writeImportedTickets, type TicketItem } from "../write-imported-tickets";
import {
  ZENDESK_STATUS,
  zendeskPriority,
  ZZendeskComment,
  ZZendeskTicket,
  type ZendeskComment,
  type ZendeskTicket,
} from "./shapes";

/**
 * Zendesk tickets with their comments (writeImportedTickets writes them): Zendesk's ticket id is
 * its number; a deleted ticket is skipped; without a comments list (the incremental export) the
 * description is the first comment.
 */
export async function writeTickets(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const items: TicketItem[] = [];
  const history: { rec: BatchRecord; value: ZendeskTicket }[] = [];
  for (const { rec, value } of parseRecords(ctx, "ticket", recs, ZZendeskTicket)) {
    const item = { rec, ticket: importedTicket(value, ticketComments(ctx, rec, value)) };
    if (value.status === "deleted") dropTicket(ctx, item, "deleted in Zendesk");
    else items.push(item);
    if (value.satisfaction_rating != null || value.metric_set != null) history.push({ rec, value });
  }
  await writeImportedTickets(tx, ctx, items, ID_MAP_REFS);
  // A ticket's own rating and metrics, once the batch's tickets are in the id map (nothing to do for most exports).
  if (history.length) await writeEmbeddedHistory(tx, ctx, history);
}

/** What writeTickets will need of a batch that does not touch the database: each record's shape check and each comment's HTML. */
export function prepareTickets(recs: BatchRecord[]): void {
  for (const rec of recs) {
    const t = safeParseOnce(ZZendeskTicket, rec.value);
    if (!t.success || t.data.status === "deleted") continue;
    for (const raw of t.data.comments ?? []) {
      const c = safeParseOnce(ZZendeskComment, raw);
      if (c.success) renderAhead(commentBody(importedComment(c.data)));
    }
  }
}

/** The attachments of a batch's tickets, fetched before its transaction. */
export function zendeskTicketFiles(recs: BatchRecord[]): WantedFile[] {
  return recs.flatMap((rec) => {
    // Most tickets have no attachment: those are not parsed twice (the writer parses each record in the transaction).
    if (!mayHaveAttachments(rec.value)) return [];
    const t = safeParseOnce(ZZendeskTicket, rec.value);
    if (!t.success || t.data.status === "deleted") return [];
    const comments = (t.data.comments ?? []).flatMap((raw) => {
      const c = safeParseOnce(ZZendeskComment, raw);
      return c.success ? [importedComment(c.data)] : [];
    });
    return wantedFiles(t.data.id, comments);
  });
}

/** Whether any of a raw ticket's comments lists an attachment (a quick look, before any shape check). */
function mayHaveAttachments(raw: unknown): boolean {
  const comments = raw && typeof raw === "object" ? (raw as { comments?: unknown }).comments : undefined;
  if (!Array.isArray(comments)) return false;
  return comments.some((c) => {
    const a = c && typeof c === "object" ? (c as { attachments?: unknown }).attachments : undefined;
    return Array.isArray(a) && a.length > 0;
  });
}

function importedTicket(t: ZendeskTicket, comments: ImportedComment[]): ImportedTicket {
  return {
    id: t.id,
    number: t.id,
    subject: t.subject ?? t.raw_subject ?? null,
    description: t.description ?? null,
    status: t.status === "deleted" ? "closed" : ZENDESK_STATUS[t.status],
    sourceStatus: t.status,
    priority: zendeskPriority(t.priority),
    requesterRef: t.requester_id ?? null,
    assigneeRef: t.assignee_id ?? null,
    groupRef: t.group_id ?? null,
    customerOrgRef: t.organization_id ?? null,
    ccRefs: [...new Set([...(t.email_cc_ids ?? []), ...(t.collaborator_ids ?? [])])],
    ccEmails: [],
    tags: t.tags ?? [],
    customFields: t.custom_fields ?? [],
    createdAt: t.created_at,
    updatedAt: t.updated_at ?? null,
    comments,
  };
}

function importedComment(c: ZendeskComment): ImportedComment {
  const viaEmail = c.via?.channel === "email";
  return {
    id: c.id,
    authorRef: c.author_id ?? null,
    body: c.plain_body ?? c.body ?? "",
    public: c.public,
    createdAt: c.created_at,
    channel: viaEmail ? "email" : c.via?.channel === "api" ? "api" : "web",
    email: viaEmail
      ? {
          from: c.via?.source?.from?.address ?? "",
          to: c.via?.source?.to?.address ? [c.via.source.to.address] : [],
        }
      : null,
    messageId: viaEmail ? cleanMessageId(c.metadata?.system?.message_id) : null,
    attachments: (c.attachments ?? []).map((a) => ({
      id: a.id ?? null,
      name: a.file_name ?? "attachment",
      url: a.content_url ?? null,
      size: a.size ?? null,
    })),
  };
}

/** The ticket's valid comments in time order; without a comments list (the incremental export), its description is the first comment. */
function ticketComments(ctx: BatchContext, rec: BatchRecord, t: ZendeskTicket): ImportedComment[] {
  if (!t.comments) {
    ctx.tally.source("comment");
    ctx.tally.note("ticket", "no comments in the export: the description is the first comment");
    return [
      importedComment({
        id: `description-${t.id}`,
        author_id: t.submitter_id ?? t.requester_id,
        body: t.description ?? "",
        public: true,
        created_at: t.created_at,
      }),
    ];
  }
  return embeddedComments(ctx, { rec, ticketId: t.id }, t.comments, ZZendeskComment, importedComment);
}
