import "server-only";
import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit";
import { firstName, type PlaceholderValues } from "../markdown/placeholders";
import { createPasswordLink, LINK_HOURS } from "../auth/setup-link";
import { emailMessageIds } from "../db/schema/email";
import { orgs } from "../db/schema/orgs";
import { tickets } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import { withTenant, type Tx } from "../db/tenant";
import { env } from "../env";
import { isFeatureEnabled } from "../flags/flags";
import { enqueue, enqueueCte } from "../jobs/enqueue";
import { QUEUES } from "../jobs/queues";
import { renderMarkdown } from "../markdown/render";
import { mailer } from "./mailer";
import { logger } from "../observability/logger";
import { bouncingAmong } from "./bouncing";
import { countOutbound } from "./email-metrics";
import { fromAddress, orgSendsReplies, REPLY_EMAIL_DELAY_SECONDS } from "./outbound-reply";
import { replyAddress } from "./reply-token";
import { ratingUrls } from "../csat/rating-link";
import {
  DEFAULT_TEMPLATES,
  renderEmailTemplate,
  templateFor,
  usesClaimLink,
  type EmailOnlyPlaceholder,
  type TemplateKind,
} from "./templates";
import { isFinished } from "../lifecycle/ticket-lifecycle";

// The acknowledgement of a ticket opened by email, and the email on solve (issue 12 item 6,
// decision 040): the org's template, rendered when the job runs, sent from the ticket's support
// address as part of the customer's thread, through the job queue (retries, then
// email-customer-dead), exactly once per event.

export type CustomerMailJob = {
  orgId: string;
  ticketId: string;
  kind: TemplateKind;
  key: string;
  actorId?: string | null;
  /** A "merged" email (decision 051): the requester told (of either ticket) and the ticket merged into ticketId. */
  recipientId?: string;
  mergedTicketId?: string;
};
export type CustomerMailOutcome =
  | "sent"
  | "skipped"
  | "disabled"
  | "template-disabled"
  | "no-recipient"
  | "no-address"
  | "skipped-bouncing";

/** The solve email waits a little longer than an agent's reply, so "here is the fix" arrives before "solved". */
export const SOLVED_EMAIL_DELAY_SECONDS = REPLY_EMAIL_DELAY_SECONDS + 10;

/** Whether the ticket is an email conversation: a Message-ID of it was stored or sent. */
async function hasEmailThread(tx: Tx, orgId: string, ticketId: string): Promise<boolean> {
  const r = await tx
    .select({ m: emailMessageIds.messageId })
    .from(emailMessageIds)
    .where(and(eq(emailMessageIds.orgId, orgId), eq(emailMessageIds.ticketId, ticketId)))
    .limit(1);
  return r.length > 0;
}

/**
 * Queues the acknowledgement (a ticket the apply job just opened from a message) or the solve
 * email (a ticket just set to solved), in the caller's transaction, when it can go: the org has a
 * support address to send from, the template is on, and, for a solve, the ticket is an email
 * conversation (a customer of the portal sees the status there).
 */
export async function queueCustomerMail(tx: Tx, job: CustomerMailJob): Promise<boolean> {
  if (!(await orgSendsReplies(tx, job.orgId))) return false;
  if (!(await templateFor(tx, job.orgId, job.kind)).enabled) return false;
  if (job.kind === "solved" && !(await hasEmailThread(tx, job.orgId, job.ticketId))) return false;
  const delay = job.kind === "solved" ? SOLVED_EMAIL_DELAY_SECONDS : 0;
  await enqueue(
    tx,
    QUEUES.customerEmail.name,
    job,
    delay ? { startAfter: new Date(Date.now() + delay * 1000) } : undefined,
  );
  return true;
}

/**
 * The acknowledgement of queueCustomerMail as a CTE body for the caller's statement (the mail
 * intake's last write, decision 063): the same job, under the same two conditions (the org has a
 * support address, the template is on), decided by the statement instead of two reads before it.
 */
export async function acknowledgementJobCte(job: CustomerMailJob & { kind: "acknowledgement" }): Promise<SQL> {
  const enabled = DEFAULT_TEMPLATES.acknowledgement.enabled;
  return enqueueCte(sql`(select coalesce(json_agg(json_build_object('name', ${QUEUES.customerEmail.name}::text, 'data', ${JSON.stringify(job)}::jsonb)), '[]'::json)
    where exists (select 1 from email_addresses a where a.org_id = ${job.orgId})
      and coalesce((select t.enabled from email_templates t where t.org_id = ${job.orgId} and t.kind = 'acknowledgement'), ${enabled}))`);
}

/** The email-customer job. A failure rethrows: pg-boss retries with backoff, then dead-letters. */
export async function handleCustomerMail(job: CustomerMailJob): Promise<CustomerMailOutcome> {
  const outcome = await sendCustomerMail(job).catch((err: unknown) => {
    countOutbound("customer", "failed");
    throw err;
  });
  if (outcome === "sent" || outcome === "skipped-bouncing") countOutbound("customer", outcome);
  logger().info(
    {
      job: "email-customer",
      orgId: job.orgId,
      ticketId: job.ticketId,
      kind: job.kind,
      outcome,
      event: "customer_email",
    },
    `${job.kind} email ${outcome}`,
  );
  return outcome;
}

/** Called for a customer email that failed every retry (the email-customer-dead queue keeps the job). */
export async function markCustomerMailDead(job: CustomerMailJob): Promise<void> {
  logger().error(
    { job: "email-customer", orgId: job.orgId, ticketId: job.ticketId, kind: job.kind },
    "customer email dead-lettered after retries",
  );
}

/** One acknowledgement per ticket; one solve email per solve (the ticket's version at that solve). */
export const customerMessageId = (job: Pick<CustomerMailJob, "ticketId" | "kind" | "key">, supportAddress: string) =>
  `beacon.${job.kind === "acknowledgement" ? "ack" : `${job.kind}.${job.key.replace(/[^\w.-]/g, "")}`}.${job.ticketId}@${supportAddress.split("@")[1]}`;

async function sendCustomerMail(job: CustomerMailJob): Promise<CustomerMailOutcome> {
  const { orgId, ticketId } = job;
  return withTenant(orgId, async (tx): Promise<CustomerMailOutcome> => {
    if (!(await isFeatureEnabled(tx, orgId, "notifications_email"))) return "disabled";
    const template = await templateFor(tx, orgId, job.kind);
    if (!template.enabled) return "template-disabled";
    const [t] = await tx
      .select({
        id: tickets.id,
        number: tickets.number,
        subject: tickets.subject,
        status: tickets.status,
        priority: tickets.priority,
        requesterId: tickets.requesterId,
        assigneeId: tickets.assigneeId,
      })
      .from(tickets)
      .where(and(eq(tickets.orgId, orgId), eq(tickets.id, ticketId)));
    if (!t) return "skipped";
    // Reopened before the job ran (the customer answered at once): "solved" would be false news.
    if (job.kind === "solved" && !isFinished(t.status)) return "skipped";
    const from = await fromAddress(tx, orgId, ticketId);
    if (!from) return "no-address";
    const messageId = customerMessageId(job, from.address);
    // Two runs of one job (a retry racing a slow first run) wait here; the second finds the mark.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`email-customer:${orgId}:${messageId}`}))`);
    const known = await tx
      .select({ m: emailMessageIds.messageId, direction: emailMessageIds.direction })
      .from(emailMessageIds)
      .where(and(eq(emailMessageIds.orgId, orgId), eq(emailMessageIds.ticketId, ticketId)))
      .orderBy(emailMessageIds.createdAt);
    if (known.some((k) => k.m === messageId)) return "skipped";

    const [requester] = await tx
      .select({
        id: users.id,
        email: users.email,
        name: users.name,
        role: users.role,
        blockedAt: users.blockedAt,
        passwordHash: users.passwordHash,
        mustChangePassword: users.mustChangePassword,
      })
      .from(users)
      .where(and(eq(users.orgId, orgId), eq(users.id, job.recipientId ?? t.requesterId)));
    // Customer-facing only, and never to the support address itself.
    if (
      !requester ||
      requester.role !== "customer" ||
      requester.blockedAt ||
      requester.email.toLowerCase() === from.address.toLowerCase()
    )
      return "no-recipient";
    if ((await bouncingAmong(tx, orgId, [requester.email])).size) return "skipped-bouncing";

    const names = await namesOf(tx, [t.assigneeId, job.actorId ?? null]);
    const [org] = await tx.select({ name: orgs.name }).from(orgs).where(eq(orgs.id, orgId));
    const base = (env().NEXTAUTH_URL ?? `http://localhost:${env().PORT}`).replace(/\/+$/, "");
    const agent = job.actorId ? names.get(job.actorId) : undefined;
    const assignee = t.assigneeId ? names.get(t.assigneeId) : undefined;
    const values: PlaceholderValues = {
      "requester.name": requester.name,
      "requester.first_name": firstName(requester.name),
      "requester.email": requester.email,
      "assignee.name": assignee ?? "",
      "assignee.first_name": firstName(assignee),
      "agent.name": agent ?? "",
      "agent.first_name": firstName(agent),
      "ticket.number": String(t.number),
      "ticket.subject": t.subject,
      "ticket.status": t.status,
      "ticket.priority": t.priority,
      "ticket.url": `${base}/tickets/${t.id}`,
      "org.name": org?.name ?? "",
    };
    const claim =
      usesClaimLink(template.subject) || usesClaimLink(template.body)
        ? await claimUrl(tx, { orgId, base, requester, ticketId, kind: job.kind })
        : "";

    const only = await emailOnlyValues(tx, { orgId, base, job, ticket: t });
    const tag = `[#${t.number}]`;
    let subject = renderEmailTemplate(template.subject, values, claim, only).replace(/\s+/g, " ").trim();
    subject = [...subject].slice(0, 250).join("");
    if (!subject.includes(tag)) subject = `${subject} ${tag}`.trim();
    const text = renderEmailTemplate(template.body, values, claim, only).replace(/\r\n?/g, "\n").trim();

    const lastInbound = [...known].reverse().find((k) => k.direction === "inbound")?.m ?? known.at(-1)?.m;
    const chain = known.map((k) => k.m);
    const references = (chain.length > 20 ? [chain[0]!, ...chain.slice(-19)] : chain).map((m) => `<${m}>`).join(" ");
    await mailer().send({
      from: { name: from.displayName || from.address, address: from.address },
      replyTo: { name: from.displayName || from.address, address: replyAddress(from.address, orgId, t.number) },
      to: [{ name: requester.name, address: requester.email }],
      subject,
      messageId: `<${messageId}>`,
      ...(lastInbound ? { inReplyTo: `<${lastInbound}>`, references } : {}),
      text: `${text}\n`,
      html: `<!doctype html><html><body>${renderMarkdown(text)}</body></html>`,
      // RFC 3834: an auto-responder's message, so other auto-responders do not answer it (no loop).
      headers: {
        "X-Beacon-Ticket": String(t.number),
        "Auto-Submitted": job.kind === "acknowledgement" ? "auto-replied" : "auto-generated",
      },
    });
    await tx
      .insert(emailMessageIds)
      .values({ orgId, messageId, ticketId, commentId: null, direction: "outbound" })
      .onConflictDoNothing();
    return "sent";
  });
}

/** The placeholders only some kinds fill: the merged ticket ("merged"), the rating links ("solved"). */
async function emailOnlyValues(
  tx: Tx,
  c: { orgId: string; base: string; job: CustomerMailJob; ticket: { id: string; requesterId: string } },
): Promise<Partial<Record<EmailOnlyPlaceholder, string>>> {
  if (c.job.kind === "merged" && c.job.mergedTicketId) {
    const [m] = await tx
      .select({ number: tickets.number, subject: tickets.subject })
      .from(tickets)
      .where(and(eq(tickets.orgId, c.orgId), eq(tickets.id, c.job.mergedTicketId)));
    return m ? { "merged.ticket_number": String(m.number), "merged.ticket_subject": m.subject } : {};
  }
  if (c.job.kind === "solved") return ratingUrls(tx, { orgId: c.orgId, base: c.base, ticketId: c.ticket.id });
  return {};
}

async function namesOf(tx: Tx, ids: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((x): x is string => !!x))];
  if (!wanted.length) return new Map();
  const rows = await tx.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, wanted));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * {{account.claim_url}}: a customer whom email created (no password, no reset pending) gets a
 * one-time link to choose a password (the invitation link of src/server/auth/setup-link.ts: single
 * use, 24 hours, any older link of theirs spent); anyone else, or with sign-up links switched off,
 * the sign-in page. It goes only to the address the account is for, so it reveals nothing.
 */
async function claimUrl(
  tx: Tx,
  c: {
    orgId: string;
    base: string;
    ticketId: string;
    kind: TemplateKind;
    requester: { id: string; email: string; passwordHash: string | null; mustChangePassword: boolean };
  },
): Promise<string> {
  const signIn = `${c.base}/login`;
  if (c.requester.passwordHash !== null || c.requester.mustChangePassword) return signIn;
  if (!(await isFeatureEnabled(tx, c.orgId, "signup_tokens"))) return signIn;
  const link = await createPasswordLink(tx, { orgId: c.orgId, userId: c.requester.id }, "invite");
  await recordAudit(
    tx,
    { orgId: c.orgId, actorId: null, requestId: null },
    {
      action: "user.claim_link_sent",
      entityType: "user",
      entityId: c.requester.id,
      data: {
        email: c.requester.email,
        via: c.kind,
        ticketId: c.ticketId,
        linkExpiresAt: link.expiresAt.toISOString(),
        validHours: LINK_HOURS,
      },
    },
  );
  return link.url;
}
