import "server-only";
import { buffer } from "node:stream/consumers";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { storage } from "../attachments/configured-storage";
import { StorageNotFound } from "../attachments/storage";
import { emailAddresses, emailMessageIds, inboundMessages, ticketCcs } from "../db/schema/email";
import { attachments, comments, tickets } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import { withTenant, type Tx } from "../db/tenant";
import { isFeatureEnabled } from "../flags/flags";
import { enqueue } from "../jobs/enqueue";
import { QUEUES } from "../jobs/queues";
import { mailer } from "./mailer";
import { logger } from "../observability/logger";
import { baseAddress, normalizeAddress } from "./addresses";
import { bouncingAmong } from "./bouncing";
import { countOutbound } from "./email-metrics";
import { replyAddress } from "./reply-token";

// A staff member's public reply, emailed to the customer as part of one thread (SPEC §11 "Out",
// decision 031).

/** Attachments are uploaded after their comment is created: the email waits a little for them. */
export const REPLY_EMAIL_DELAY_SECONDS = 20;
/** Attachments past this total are left out of the email (they stay on the ticket). */
const MAX_ATTACHED_BYTES = 20 * 1024 * 1024;

/** Whether the org answers customers by email: it has a support address to send from. */
export async function orgSendsReplies(tx: Tx, orgId: string): Promise<boolean> {
  const r = await tx
    .select({ id: emailAddresses.id })
    .from(emailAddresses)
    .where(eq(emailAddresses.orgId, orgId))
    .limit(1);
  return r.length > 0;
}

/** Queues the reply email of a public staff comment, in the comment's transaction. */
export async function queueReplyEmail(
  tx: Tx,
  job: { orgId: string; ticketId: string; commentId: string },
): Promise<boolean> {
  if (!(await orgSendsReplies(tx, job.orgId))) return false;
  await enqueue(tx, QUEUES.replyEmail.name, job, {
    startAfter: new Date(Date.now() + REPLY_EMAIL_DELAY_SECONDS * 1000),
  });
  return true;
}

/** The Message-ID of a comment's email: stable, so a resend after a crash is recognisable as the same message. */
export const replyMessageId = (commentId: string, supportAddress: string) =>
  `beacon.${commentId}@${supportAddress.split("@")[1]}`;

/** The address the ticket's mail came in on (latest; a plus-address counts as its base), else the org's default, else its oldest. */
export async function fromAddress(
  tx: Tx,
  orgId: string,
  ticketId: string,
): Promise<{ address: string; displayName: string } | null> {
  const came = await tx
    .select({ rcpt: inboundMessages.rcptTo })
    .from(inboundMessages)
    .where(
      and(
        eq(inboundMessages.orgId, orgId),
        eq(inboundMessages.ticketId, ticketId),
        eq(inboundMessages.status, "applied"),
      ),
    )
    .orderBy(desc(inboundMessages.receivedAt))
    .limit(1);
  const rcpt = baseAddress(normalizeAddress(came[0]?.rcpt) ?? "");
  const [a] = await tx
    .select({ address: emailAddresses.address, displayName: emailAddresses.displayName })
    .from(emailAddresses)
    .where(eq(emailAddresses.orgId, orgId))
    .orderBy(
      desc(sql`lower(${emailAddresses.address}) = ${rcpt}`),
      desc(emailAddresses.isDefault),
      asc(emailAddresses.createdAt),
    )
    .limit(1);
  return a ?? null;
}

export type ReplyOutcome = "sent" | "skipped" | "disabled" | "no-recipient" | "no-address" | "skipped-bouncing";

/**
 * Sends a comment's reply email once (the email-reply job). The comment row is locked while
 * sending; the outbound row of email_message_ids, written in the same transaction after the SMTP
 * server accepted, is the "sent" mark, so a retried or duplicated job sends nothing more. A
 * failure rethrows: pg-boss retries with backoff, then dead-letters (email-reply-dead).
 */
export async function handleReplyEmail(job: {
  orgId: string;
  ticketId: string;
  commentId: string;
}): Promise<ReplyOutcome> {
  const { orgId, ticketId, commentId } = job;
  const outcome = await sendReply(job).catch((err: unknown) => {
    countOutbound("reply", "failed");
    throw err;
  });
  if (outcome === "sent" || outcome === "skipped-bouncing") countOutbound("reply", outcome);
  logger().info(
    { job: "email-reply", orgId, ticketId, commentId, outcome, event: "reply_email" },
    `reply email ${outcome}`,
  );
  return outcome;
}

async function sendReply(job: { orgId: string; ticketId: string; commentId: string }): Promise<ReplyOutcome> {
  const { orgId, ticketId, commentId } = job;
  return withTenant(orgId, async (tx): Promise<ReplyOutcome> => {
    if (!(await isFeatureEnabled(tx, orgId, "notifications_email"))) return "disabled";
    const [c] = await tx
      .select({
        id: comments.id,
        body: comments.body,
        bodyHtml: comments.bodyHtml,
        internal: comments.internal,
        authorId: comments.authorId,
      })
      .from(comments)
      .where(and(eq(comments.orgId, orgId), eq(comments.ticketId, ticketId), eq(comments.id, commentId)))
      .for("update");
    // Internal notes are never emailed, whoever queued the job.
    if (!c || c.internal) return "skipped";
    // The thread: every Message-ID of the ticket, oldest first. This comment's own outbound row
    // among them is the "sent" mark.
    const known = await tx
      .select({
        m: emailMessageIds.messageId,
        direction: emailMessageIds.direction,
        commentId: emailMessageIds.commentId,
      })
      .from(emailMessageIds)
      .where(and(eq(emailMessageIds.orgId, orgId), eq(emailMessageIds.ticketId, ticketId)))
      .orderBy(asc(emailMessageIds.createdAt));
    if (known.some((k) => k.commentId === commentId && k.direction === "outbound")) return "skipped";
    const [t] = await tx
      .select({ number: tickets.number, subject: tickets.subject, requesterId: tickets.requesterId })
      .from(tickets)
      .where(and(eq(tickets.orgId, orgId), eq(tickets.id, ticketId)));
    if (!t) return "skipped";
    const from = await fromAddress(tx, orgId, ticketId);
    if (!from) return "no-address";

    const [requester] = await tx
      .select({ email: users.email, name: users.name, role: users.role, blockedAt: users.blockedAt })
      .from(users)
      .where(and(eq(users.orgId, orgId), eq(users.id, t.requesterId)));
    const [author] = await tx
      .select({ email: users.email })
      .from(users)
      .where(and(eq(users.orgId, orgId), eq(users.id, c.authorId)));
    const ccs = (
      await tx
        .select({ email: ticketCcs.email })
        .from(ticketCcs)
        .where(and(eq(ticketCcs.orgId, orgId), eq(ticketCcs.ticketId, ticketId)))
        .orderBy(asc(ticketCcs.createdAt))
    ).map((r) => r.email.toLowerCase());
    const skip = new Set([author?.email.toLowerCase(), from.address.toLowerCase()]);
    const wanted =
      requester && requester.role === "customer" && !requester.blockedAt && !skip.has(requester.email.toLowerCase())
        ? [{ name: requester.name, address: requester.email }]
        : [];
    const ccWanted = [...new Set(ccs)].filter((e) => !skip.has(e) && e !== requester?.email.toLowerCase());
    if (wanted.length === 0 && ccWanted.length === 0) return "no-recipient";
    // A bouncing address gets nothing until it writes in again (decision 035).
    const bouncing = await bouncingAmong(tx, orgId, [...wanted.map((w) => w.address), ...ccWanted]);
    const to = wanted.filter((w) => !bouncing.has(w.address.toLowerCase()));
    const cc = ccWanted.filter((e) => !bouncing.has(e));
    if (bouncing.size)
      logger().info(
        {
          job: "email-reply",
          orgId,
          ticketId,
          commentId,
          skipped: bouncing.size,
          reason: "address bouncing",
          event: "reply_email_skipped_bouncing",
        },
        "reply email not sent to bouncing addresses",
      );
    if (to.length === 0 && cc.length === 0) return "skipped-bouncing";

    // In-Reply-To is the customer's last.
    const lastInbound = [...known].reverse().find((k) => k.direction === "inbound")?.m ?? known.at(-1)?.m;
    const chain = known.map((k) => k.m);
    const references = (chain.length > 20 ? [chain[0]!, ...chain.slice(-19)] : chain).map((m) => `<${m}>`).join(" ");

    const files = await tx
      .select({
        filename: attachments.filename,
        contentType: attachments.contentType,
        sizeBytes: attachments.sizeBytes,
        storageKey: attachments.storageKey,
      })
      .from(attachments)
      .where(and(eq(attachments.orgId, orgId), eq(attachments.commentId, commentId)))
      .orderBy(asc(attachments.createdAt));
    let total = 0;
    const attached: { filename: string; contentType: string; content: Buffer }[] = [];
    const left: string[] = [];
    const missing: string[] = [];
    for (const f of files) {
      if (total + f.sizeBytes > MAX_ATTACHED_BYTES) {
        left.push(f.filename);
        continue;
      }
      try {
        attached.push({
          filename: f.filename,
          contentType: f.contentType,
          content: await buffer(await storage().get(f.storageKey)),
        });
        total += f.sizeBytes;
      } catch (err) {
        // Bytes gone for good would fail every retry: the mail goes without them and says so.
        if (!(err instanceof StorageNotFound)) throw err;
        logger().error(
          { job: "email-reply", orgId, commentId, event: "reply_attachment_missing" },
          "an attachment of a reply has no stored bytes",
        );
        missing.push(f.filename);
      }
    }
    const leftNote = [
      left.length ? `(Too large to attach, kept on the ticket: ${left.join(", ")})` : "",
      missing.length ? `(Could not be attached: ${missing.join(", ")})` : "",
    ]
      .filter(Boolean)
      .map((l) => `\n\n${l}`)
      .join("");

    const messageId = replyMessageId(commentId, from.address);
    await mailer().send({
      from: { name: from.displayName || from.address, address: from.address },
      replyTo: { name: from.displayName || from.address, address: replyAddress(from.address, orgId, t.number) },
      to,
      cc,
      subject: `Re: ${t.subject} [#${t.number}]`,
      messageId: `<${messageId}>`,
      ...(lastInbound ? { inReplyTo: `<${lastInbound}>`, references } : {}),
      text: `${c.body}${leftNote}\n`,
      html: `<!doctype html><html><body>${c.bodyHtml}${leftNote ? `<p>${escapeHtml(leftNote.trim())}</p>` : ""}</body></html>`,
      attachments: attached,
      headers: { "X-Beacon-Ticket": String(t.number) },
    });
    await tx
      .insert(emailMessageIds)
      .values({ orgId, messageId, ticketId, commentId, direction: "outbound" })
      .onConflictDoNothing();
    return "sent";
  });
}

/** Called for a reply email that failed every retry (the email-reply-dead queue keeps the job). */
export async function markReplyEmailDead(job: { orgId: string; ticketId: string; commentId: string }): Promise<void> {
  logger().error({ job: "email-reply", ...job }, "reply email dead-lettered after retries");
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);
}
