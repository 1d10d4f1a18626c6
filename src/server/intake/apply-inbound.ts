import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { inboundMessages, ticketCcs, type MailAuthResult } from "../db/schema/email";
import { enterTenant, unsafeWithSystem, withTenant, type Tx } from "../db/tenant";
import type { Scope } from "../core/scope";
import { logger } from "../observability/logger";
import { addComment } from "../tickets/add-comment";
import { createTicket } from "../tickets/create-ticket";
import { MAX_BODY_BYTES, MAX_SUBJECT } from "../tickets/schemas";
import type { CommentEmail } from "../db/schema/tickets";
import { enqueue } from "../jobs/enqueue";
import { auditAppendCtes, recordAudit } from "../audit/record-audit";
import { countInbound, inboundMetricOutcome } from "../email/email-metrics";
import { QUEUES } from "../jobs/queues";
import { unsafeAutomaticMailReason } from "../email/automatic-mail";
import { applyDeliveryReport, clearBouncingCtes } from "../email/bouncing";
import { parseDeliveryReport, type DeliveryReport } from "../email/dsn";
import { storeMailAttachments, recordMailAttachments } from "../email/email-attachments";
import { htmlToMarkdown } from "../email/html-to-markdown";
import { inboundSettingsOf, type InboundSettings } from "../email/inbound-settings";
import { orgs } from "../db/schema/orgs";
import { checkMailAuth, NOT_CHECKED, refusesDmarcFailure } from "../email/mail-auth";
import { existingUserId, openPolicyRefusal } from "../email/open-policy";
import { parseMessage, type InboundMail } from "../email/parse-message";
import { senderPrincipal } from "../email/sender";
import { checkSenderCap } from "../email/sender-cap";
import { visibleReply } from "../email/strip-reply";
import { findThread } from "../email/thread";
import { plusTag, verifyReplyToken } from "../email/reply-token";
import { acknowledgementJobCte } from "../email/customer-mail";
import { isFinal } from "../lifecycle/ticket-lifecycle";

// held: over the sender's hourly cap, retried by a delayed job (decision 035).
const pending = (status: string) => status === "received" || status === "failed" || status === "held";

export type ApplyOutcome = {
  outcome: "ticket" | "reply" | "dropped" | "bounce" | "held" | "rejected" | "skipped";
  ticketId?: string;
  commentId?: string;
  reason?: string;
};

/**
 * The email-inbound job (decision 029): parses a stored raw message and applies it once. Dropped
 * mail (automatic, loops, blocked senders) is recorded with its reason and creates nothing. A new
 * conversation becomes a ticket; a reply becomes a comment through the same domain functions as
 * the web (SLA, audit, search, notifications), with channel `email`. Everything of one message
 * commits together with its status, so a retry after a failure starts from scratch and a retry
 * after success finds it applied.
 */
export async function applyInbound(job: { orgId: string; inboundId: string }): Promise<ApplyOutcome> {
  const { orgId, inboundId } = job;
  const requestId = `email:${inboundId}`;
  const seen: { source?: (typeof inboundMessages.$inferSelect)["source"] } = {};
  const r = await unsafeApplyOnce(orgId, inboundId, requestId, seen);
  if (r.outcome !== "skipped" && seen.source) countInbound(seen.source, inboundMetricOutcome(r));
  return r;
}

/**
 * The whole apply in one transaction, one commit: it starts as the system role for the two
 * cross-org questions (is it automatic mail or a loop; which CCs are support addresses of any
 * org), with the message's row locked so a concurrent or retried job waits and then finds it
 * applied, and enters the org (enterTenant) for everything else. Parsing, the SPF/DKIM/DMARC
 * check (SMTP mail only) and storing the attachments happen while the row is locked; a failure
 * anywhere rolls everything back and discards the stored attachments.
 */
async function unsafeApplyOnce(
  orgId: string,
  inboundId: string,
  requestId: string,
  seen: { source?: (typeof inboundMessages.$inferSelect)["source"] },
): Promise<ApplyOutcome> {
  const held: { discard?: () => Promise<void> } = {};
  try {
    return await unsafeWithSystem(async (tx) => {
      // The message's row (locked) and, in the same round trip, the org's inbound settings.
      const [found] = await tx
        .select({ row: inboundMessages, settings: orgs.settings })
        .from(inboundMessages)
        .innerJoin(orgs, eq(orgs.id, inboundMessages.orgId))
        .where(and(eq(inboundMessages.orgId, orgId), eq(inboundMessages.id, inboundId)))
        .for("update", { of: inboundMessages });
      const row = found?.row;
      // failed: dead-lettered, then replayed by a person (npm run jobs -- replay).
      if (!row || !pending(row.status)) return { outcome: "skipped" } as const;
      seen.source = row.source;
      // A delivery report is automatic mail too, but it says something: which address bounces.
      const report = parseDeliveryReport(row.raw);
      if (report) {
        await enterTenant(tx, orgId);
        return applyReport(tx, orgId, inboundId, report, requestId);
      }
      const mail = await parseMessage(row.raw);
      const dropped = await unsafeAutomaticMailReason(tx, mail);
      const supportCcs = dropped ? new Set<string>() : await unsafeSupportAddressesAmong(tx, mail.cc);
      await enterTenant(tx, orgId);
      if (dropped) return drop(tx, orgId, inboundId, dropped);
      // SPF needs the SMTP client, which only the receiver saw; IMAP and webhook mail is not checked.
      const auth =
        row.source === "smtp" && row.clientIp
          ? await checkMailAuth(row.raw, { ip: row.clientIp, helo: row.helo, mailFrom: row.mailFrom })
          : NOT_CHECKED;
      const files = await storeMailAttachments(orgId, mail.attachments);
      held.discard = files.discard;
      return applyMail(tx, {
        orgId,
        inboundId,
        requestId,
        row,
        mail,
        supportCcs,
        auth,
        files,
        settings: inboundSettingsOf(found.settings),
      });
    });
  } catch (err) {
    await held.discard?.();
    throw err;
  }
}

type Files = Awaited<ReturnType<typeof storeMailAttachments>>;

async function applyMail(
  tx: Tx,
  x: {
    orgId: string;
    inboundId: string;
    requestId: string;
    row: typeof inboundMessages.$inferSelect;
    mail: InboundMail;
    supportCcs: Set<string>;
    auth: MailAuthResult;
    files: Files;
    settings: InboundSettings;
  },
): Promise<ApplyOutcome> {
  const { orgId, inboundId, requestId, row, mail, supportCcs, auth, files, settings } = x;
  const guarded = auth.dmarc === "fail" ? refusesDmarcFailure(mail.from!.address, settings.dmarcRefuseDomains) : null;
  if (guarded)
    return reject(
      tx,
      { orgId, inboundId, requestId },
      `rejected: DMARC failed for ${mail.from!.address.split("@")[1]}, and the org refuses mail failing DMARC for ${guarded}`,
      auth,
      files.discard,
    );
  const token = tokenOf(orgId, [row.rcptTo, ...mail.to, ...mail.cc], requestId);
  // Who may open tickets by email (decision 039): refused before a user is made, unless it is a reply of a participant.
  const closedTo =
    settings.inboundOpenPolicy === "anyone" ? null : await openPolicyRefusal(tx, orgId, mail.from!.address, settings);
  if (closedTo && !(await findThread(tx, orgId, mail, await existingUserId(tx, orgId, mail.from!.address), token)))
    return reject(tx, { orgId, inboundId, requestId }, closedTo, auth, files.discard);
  const found = await senderPrincipal(tx, orgId, mail.from!);
  if (!found) return drop(tx, orgId, inboundId, "sender is blocked", files.discard);
  const sender = found.principal;
  // A new sender's user.created event joins the chain with this message's last statement (or the hold's).
  const system = { orgId, actorId: null, requestId };
  const scope: Scope = { tx, user: sender, requestId };
  const email: CommentEmail = {
    from: mail.from!.address,
    to: mail.to,
    cc: mail.cc,
    messageId: mail.messageId,
    auth: { spf: auth.spf, dkim: auth.dkim, dmarc: auth.dmarc },
    ...(files.refused.length ? { refused: files.refused } : {}),
  };
  const body = commentBody(mail, files.refused);
  const thread = await findThread(tx, orgId, mail, sender.userId, token);

  let ticketId: string;
  let commentId: string;
  let outcome: "ticket" | "reply";
  let ack = sql``;
  if (thread && !isFinal(thread.status)) {
    // A stranger who knows a Message-ID of the conversation is a participant, like a CC.
    const participant = sender.role === "customer" && thread.requesterId !== sender.userId;
    const c = await addComment(
      scope,
      thread.ticketId,
      { body: body.reply, internal: false },
      { channel: "email", email, ccParticipant: participant },
    );
    ticketId = thread.ticketId;
    commentId = c.id;
    outcome = "reply";
  } else {
    // Replies (and follow-ups to a closed ticket) are never capped; new conversations are.
    if (!thread) {
      const cap = await checkSenderCap(tx, orgId, mail.from!.address, settings.ticketsPerSenderPerHour);
      if (cap.over) {
        if (found.created) await recordAudit(tx, system, found.created);
        return hold(tx, { orgId, inboundId, requestId }, mail.from!.address, cap, files.discard);
      }
    }
    // SPEC §5: closed is final, so a reply to a closed ticket opens a new one that points back.
    const first = thread ? `_Follow-up to #${thread.number}, which is closed._\n\n${body.reply}` : body.full;
    // The first comment's id is chosen here, so it need not be read back.
    commentId = randomUUID();
    const t = await createTicket(
      scope,
      { subject: subjectOf(mail), body: clip(first) },
      { channel: "email", email, commentId },
    );
    ticketId = t.id;
    outcome = "ticket";
    // The acknowledgement (decision 040): only mail that passed the loop and automatic-mail checks
    // gets here. Queued by the last statement below, under queueCustomerMail's conditions.
    ack = sql`, ack as (${await acknowledgementJobCte({ orgId, ticketId, kind: "acknowledgement", key: inboundId })})`;
  }
  const people = mail.cc.filter((a) => a !== sender.email.toLowerCase() && !supportCcs.has(a)).slice(0, 50);
  if (people.length)
    await tx
      .insert(ticketCcs)
      .values(people.map((e) => ({ orgId, ticketId, email: e })))
      .onConflictDoNothing();
  await recordMailAttachments(tx, { orgId, ticketId, commentId, uploaderId: sender.userId, requestId }, files.stored);
  // One statement for the message's last writes: its Message-ID (so replies thread here), the
  // sender's bouncing marks cleared (mail from them proves the address works), the acknowledgement
  // of a new ticket, and its status.
  const messageId = mail.messageId
    ? sql`, thread_id as (
        insert into email_message_ids (org_id, message_id, ticket_id, comment_id, direction)
        values (${orgId}, ${mail.messageId}, ${ticketId}, ${commentId}, 'inbound') on conflict do nothing)`
    : sql``;
  const userCreated = found.created ? sql`, ${auditAppendCtes(system, found.created)}` : sql``;
  await tx.execute(sql`with ${clearBouncingCtes(orgId, sender.email)}${messageId}${ack}${userCreated}
    update inbound_messages set status = 'applied', outcome = ${outcome}, ticket_id = ${ticketId},
      comment_id = ${commentId}, from_address = ${mail.from!.address}, auth = ${JSON.stringify(auth)}::jsonb,
      applied_at = ${new Date().toISOString()}::timestamptz, error = null
    where org_id = ${orgId} and id = ${inboundId}`);
  logger().info(
    { requestId, orgId, inboundId, outcome, ticketId, event: "inbound_applied" },
    "inbound message applied",
  );
  return { outcome, ticketId, commentId };
}

/** Called by the worker when the last retry failed: the message stays, marked failed with the error. */
export async function markInboundDead(job: { orgId: string; inboundId: string }, error: string): Promise<void> {
  const dead = await withTenant(job.orgId, (tx) =>
    tx
      .update(inboundMessages)
      .set({ status: "failed", error: error.slice(0, 2000) })
      .where(
        and(
          eq(inboundMessages.orgId, job.orgId),
          eq(inboundMessages.id, job.inboundId),
          inArray(inboundMessages.status, ["received", "held"]),
        ),
      )
      .returning({ source: inboundMessages.source }),
  );
  if (dead[0]) countInbound(dead[0].source, "dead");
}

/** A delivery report, in the apply's transaction (the message's row locked, the org entered). */
async function applyReport(
  tx: Tx,
  orgId: string,
  inboundId: string,
  report: DeliveryReport,
  requestId: string,
): Promise<ApplyOutcome> {
  const r = await applyDeliveryReport(tx, orgId, report, requestId);
  // Nothing is created and nothing answers a report; "applied" when it marked someone.
  await tx
    .update(inboundMessages)
    .set({
      status: r.marked.length ? "applied" : "dropped",
      outcome: "bounce",
      reason: r.reason,
      ticketId: r.ticketId,
      appliedAt: new Date(),
      error: null,
    })
    .where(and(eq(inboundMessages.orgId, orgId), eq(inboundMessages.id, inboundId)));
  logger().info(
    { requestId, orgId, inboundId, ticketId: r.ticketId, marked: r.marked.length, event: "inbound_bounce" },
    r.reason,
  );
  return { outcome: "bounce", reason: r.reason, ...(r.ticketId ? { ticketId: r.ticketId } : {}) };
}

/** Refused (a forged From of a domain the org protects): recorded with the reason and the verdicts, nothing created. */
async function reject(
  tx: Tx,
  job: { orgId: string; inboundId: string; requestId: string },
  reason: string,
  auth: MailAuthResult,
  discard: () => Promise<void>,
): Promise<ApplyOutcome> {
  await discard();
  await tx
    .update(inboundMessages)
    .set({ status: "rejected", outcome: "rejected", reason, auth, appliedAt: new Date(), error: null })
    .where(and(eq(inboundMessages.orgId, job.orgId), eq(inboundMessages.id, job.inboundId)));
  logger().warn(
    { requestId: job.requestId, orgId: job.orgId, inboundId: job.inboundId, event: "inbound_rejected" },
    reason,
  );
  return { outcome: "rejected", reason };
}

/** Over the sender's cap: kept as held, and its job comes back when the window has room (the job checks again). */
async function hold(
  tx: Tx,
  job: { orgId: string; inboundId: string; requestId: string },
  sender: string,
  cap: { retryAt: Date; count: number },
  discard: () => Promise<void>,
): Promise<ApplyOutcome> {
  await discard();
  const reason = `held: ${cap.count} new tickets from this sender in the last hour (the org's cap); applied after ${cap.retryAt.toISOString()}`;
  await tx
    .update(inboundMessages)
    .set({ status: "held", reason, fromAddress: sender, error: null })
    .where(and(eq(inboundMessages.orgId, job.orgId), eq(inboundMessages.id, job.inboundId)));
  await enqueue(
    tx,
    QUEUES.inboundEmail.name,
    { orgId: job.orgId, inboundId: job.inboundId },
    { startAfter: cap.retryAt },
  );
  logger().warn(
    {
      requestId: job.requestId,
      orgId: job.orgId,
      inboundId: job.inboundId,
      retryAt: cap.retryAt.toISOString(),
      event: "inbound_held",
    },
    "inbound message held: sender over the hourly ticket cap",
  );
  return { outcome: "held", reason };
}

async function drop(
  tx: Tx,
  orgId: string,
  inboundId: string,
  reason: string,
  discard?: () => Promise<void>,
): Promise<ApplyOutcome> {
  await discard?.();
  await tx
    .update(inboundMessages)
    .set({ status: "dropped", outcome: "dropped", reason, appliedAt: new Date() })
    .where(
      and(
        eq(inboundMessages.orgId, orgId),
        eq(inboundMessages.id, inboundId),
        inArray(inboundMessages.status, ["received", "failed", "held"]),
      ),
    );
  logger().info({ orgId, inboundId, reason, event: "inbound_dropped" }, "inbound message dropped");
  return { outcome: "dropped", reason };
}

/** Support addresses (of any org) among some addresses: never made CCs, or two helpdesks would mail each other. */
async function unsafeSupportAddressesAmong(tx: Tx, list: string[]): Promise<Set<string>> {
  if (list.length === 0) return new Set();
  const r = await tx.execute<{ a: string }>(
    sql`select lower(address) as a from email_addresses where lower(address) in ${list}`,
  );
  return new Set(r.rows.map((x) => x.a));
}

/**
 * The ticket number of the first reply token among the recipients that verifies for this org
 * (decision 031). A token that does not (forged, or signed for another org) is ignored and logged:
 * the message is threaded by the other rules inside the org it was addressed to.
 */
function tokenOf(orgId: string, recipients: string[], requestId: string): number | null {
  for (const r of recipients) {
    const tag = plusTag(r);
    if (!tag) continue;
    const n = verifyReplyToken(tag, orgId);
    if (n !== null) return n;
    logger().warn(
      { requestId, orgId, event: "reply_token_refused" },
      "a reply token not signed for this org was ignored",
    );
  }
  return null;
}

function subjectOf(mail: InboundMail): string {
  const s =
    mail.subject.replace(/^\s*((re|fwd?|aw|wg|tr|rv|sv|vs)\s*(\[\d+\])?\s*:\s*)+/i, "").trim() ||
    mail.subject.trim() ||
    "(no subject)";
  return [...s].slice(0, MAX_SUBJECT).join("");
}

/**
 * The body as markdown: the text part, or the HTML part converted. `reply` is without quoted
 * history and signature; `full` keeps everything for a message that starts a conversation (a
 * forward's content is the point), unless it is itself a reply to mail Beacon did not see.
 */
function commentBody(
  mail: InboundMail,
  refused: { filename: string; reason: string }[],
): { full: string; reply: string } {
  const source = (mail.text ?? (mail.html ? htmlToMarkdown(mail.html) : "")).replace(/\r\n?/g, "\n").trim();
  const reply = visibleReply(source);
  const isReply = mail.inReplyTo.length > 0 || /^\s*(re|aw|sv|vs|rv)\s*:/i.test(mail.subject);
  const note = refused.length
    ? `\n\n---\nAttachments not accepted:\n${refused.map((r) => `- ${r.filename}: ${r.reason}`).join("\n")}`
    : "";
  const orEmpty = (s: string) => (s.trim() ? s : "(no text)");
  return { full: clip(orEmpty(isReply ? reply : source) + note), reply: clip(orEmpty(reply) + note) };
}

function clip(s: string): string {
  if (Buffer.byteLength(s, "utf8") <= MAX_BODY_BYTES) return s;
  const suffix = "\n\n_(cut: the message is longer than a comment may be; the original is kept)_";
  let out = Buffer.from(s, "utf8")
    .subarray(0, MAX_BODY_BYTES - Buffer.byteLength(suffix) - 4)
    .toString("utf8");
  out = out.replace(/\uFFFD$/, "");
  return out + suffix;
}
