import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { simpleParser, type ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiRoute as ticketAttachments } from "../helpers/http";
import { storage } from "../../src/server/attachments/configured-storage";
import { emailAddresses } from "../../src/server/db/schema/email";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { applyInbound } from "../../src/server/intake/apply-inbound";
import { handleReplyEmail } from "../../src/server/email/outbound-reply";
import { startSmtpReceiver, type RunningSmtpReceiver } from "../../src/server/email/smtp-receiver";
import { enqueue } from "../../src/server/jobs/enqueue";
import { QUEUES } from "../../src/server/jobs/queues";
import { startWorker } from "../../src/server/worker/worker";
import { handleNotify } from "../../src/server/notifications/notify";
import { api } from "../helpers/api";
import { createSupportAddress, sendRaw } from "../helpers/email";
import { jobsIn, waitFor } from "../helpers/jobs";
import { startSmtp } from "../helpers/receivers";
import { createWorld, type Actor, type World } from "../helpers/world";

// Outbound replies (decision 031) on real servers: the API writes a public reply, the email-reply
// job sends it through nodemailer to a real SMTP sink, and the customer's answer to what the sink
// received goes back through the real inbound SMTP receiver and the apply job.

const GIF = Buffer.from("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==", "base64");

let a: World, b: World;
let supportA: string, supportB: string;
let rx: RunningSmtpReceiver;
let sink: Awaited<ReturnType<typeof startSmtp>>;
const customer = `casey-${randomBytes(3).toString("hex")}@customer.test`;
const friend = `friend-${randomBytes(3).toString("hex")}@customer.test`;

beforeAll(async () => {
  [a, b] = await Promise.all([createWorld(), createWorld()]);
  supportA = await createSupportAddress(a.org);
  supportB = await createSupportAddress(b.org);
  rx = await startSmtpReceiver({ host: "127.0.0.1", port: 0 }, { maxBytes: 1024 * 1024, ratePerMin: 1000 });
  sink = await startSmtp();
  setProcessEnv({ SMTP_URL: sink.url });
});
afterAll(async () => {
  await rx?.close();
  await sink?.close();
  delete process.env.SMTP_URL;
  setProcessEnv({});
});

const raw = (h: {
  from: string;
  to: string;
  cc?: string;
  subject: string;
  messageId: string;
  inReplyTo?: string;
  body: string;
}) =>
  [
    `From: ${h.from}`,
    `To: ${h.to}`,
    ...(h.cc ? [`Cc: ${h.cc}`] : []),
    `Subject: ${h.subject}`,
    `Message-ID: <${h.messageId}>`,
    ...(h.inReplyTo ? [`In-Reply-To: <${h.inReplyTo}>`, `References: <${h.inReplyTo}>`] : []),
    "Date: Sun, 06 Dec 2026 21:00:00 +0000",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    h.body,
    "",
  ].join("\r\n");

/** Sends over SMTP to the receiver, then runs the apply job of the stored message(s). */
async function deliver(to: string, message: string, from = customer) {
  const r = await sendRaw(rx.port, { from, to: [to] }, message);
  expect(r.response).toMatch(/^250 /);
  const ids = /Accepted (.+)$/.exec(r.response)![1]!.trim().split(" ");
  const [{ org_id }] = (
    await unsafeWithSystem((tx) =>
      tx.execute<{ org_id: string }>(sql`select org_id from inbound_messages where id = ${ids[0]}`),
    )
  ).rows as [{ org_id: string }];
  return applyInbound({ orgId: org_id, inboundId: ids[0]! });
}

async function upload(who: Actor, ticketId: string, commentId: string) {
  const form = new FormData();
  form.append("commentId", commentId);
  form.append("file", new Blob([GIF], { type: "image/gif" }), "pixel.gif");
  const req = new Request(`http://localhost/api/v1/tickets/${ticketId}/attachments`, {
    method: "POST",
    body: form,
    headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" },
  });
  const res = await ticketAttachments.POST(req);
  expect(res.status).toBe(201);
}

const commentsOf = async (ticketId: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ id: string; author_email: string; channel: string; body: string }>(
        sql`select c.id, u.email as author_email, c.channel::text as channel, c.body from comments c join users u on u.id = c.author_id where c.ticket_id = ${ticketId} order by c.created_at`,
      ),
    )
  ).rows;

const midOf = async (ticketId: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ message_id: string }>(
        sql`select message_id from email_message_ids where ticket_id = ${ticketId} and direction = 'inbound' limit 1`,
      ),
    )
  ).rows[0]?.message_id;

const sentFor = (commentId: string) => sink.mails.filter((m) => m.raw.includes(`beacon.${commentId}@`));

let ticket: { id: string; number: number };
let firstMid: string;
let sent: ParsedMail;

describe("an agent's public reply by email", () => {
  it("goes to the requester and CCs as one thread, with the reply token, text, sanitized HTML and attachments, once", async () => {
    firstMid = `first-${randomBytes(4).toString("hex")}@customer.test`;
    const r = await deliver(
      supportA,
      raw({
        from: `Casey <${customer}>`,
        to: supportA,
        cc: friend,
        subject: "Printer on fire",
        messageId: firstMid,
        body: "It is on fire.",
      }),
    );
    expect(r.outcome).toBe("ticket");
    const [t] = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ id: string; number: number }>(sql`select id, number from tickets where id = ${r.ticketId!}`),
      )
    ).rows;
    ticket = t!;

    const note = await api.addComment(a.agent, ticket.id, { body: "internal: the customer is a VIP", internal: true });
    expect(note.status).toBe(201);
    const reply = await api.addComment(a.agent, ticket.id, {
      body: "**Hello** Casey, we are on it. <script>alert(1)</script>",
    });
    expect(reply.status).toBe(201);
    const commentId = (reply.body as { id: string }).id;
    await upload(a.agent, ticket.id, commentId);

    // One job for the public reply, none for the note; the note's id never sends anything.
    expect(await jobsIn(QUEUES.replyEmail.name, { commentId })).toHaveLength(1);
    expect(await jobsIn(QUEUES.replyEmail.name, { commentId: (note.body as { id: string }).id })).toHaveLength(0);
    expect(
      await handleReplyEmail({ orgId: a.org.id, ticketId: ticket.id, commentId: (note.body as { id: string }).id }),
    ).toBe("skipped");

    expect(await handleReplyEmail({ orgId: a.org.id, ticketId: ticket.id, commentId })).toBe("sent");
    expect(await handleReplyEmail({ orgId: a.org.id, ticketId: ticket.id, commentId })).toBe("skipped");
    expect(sentFor(commentId)).toHaveLength(1);
    expect(sink.mails.some((m) => m.raw.includes("VIP"))).toBe(false);
    const m = sentFor(commentId)[0]!;
    expect(m.to.sort()).toEqual([customer, friend].sort());
    sent = await simpleParser(m.raw);

    expect(sent.from!.value[0]).toMatchObject({ address: supportA, name: "Support" });
    const replyTo = sent.replyTo!.value[0]!.address!;
    const [local, domain] = supportA.split("@");
    expect(replyTo).toMatch(new RegExp(`^${local}\\+[0-9a-z]+-[a-z2-7]{16}@${domain!.replace(/\./g, "\\.")}$`));
    expect(sent.messageId).toBe(`<beacon.${commentId}@${domain}>`);
    expect(sent.inReplyTo).toBe(`<${firstMid}>`);
    expect([sent.references].flat()).toContain(`<${firstMid}>`);
    expect(sent.subject).toBe(`Re: Printer on fire [#${ticket.number}]`);
    expect(sent.text).toContain("we are on it");
    expect(sent.html).toContain("<strong>Hello</strong>");
    expect(sent.html).not.toContain("<script");
    expect(sent.attachments.map((x) => [x.filename, x.contentType, x.content.equals(GIF)])).toEqual([
      ["pixel.gif", "image/gif", true],
    ]);

    const outbound = await unsafeWithSystem((tx) =>
      tx.execute(
        sql`select 1 from email_message_ids where org_id = ${a.org.id} and message_id = ${`beacon.${commentId}@${domain}`} and direction = 'outbound' and ticket_id = ${ticket.id}`,
      ),
    );
    expect(outbound.rows).toHaveLength(1);
  });

  it("the customer's reply to that email lands on the same ticket as their comment", async () => {
    const mid = `answer-${randomBytes(4).toString("hex")}@customer.test`;
    const to = sent.replyTo!.value[0]!.address!;
    const r = await deliver(
      to,
      raw({
        from: `Casey <${customer}>`,
        to,
        subject: `Re: ${sent.subject}`,
        messageId: mid,
        inReplyTo: sent.messageId!.slice(1, -1),
        body: "Thanks, it is out now.",
      }),
    );
    expect(r).toMatchObject({ outcome: "reply", ticketId: ticket.id });
    const last = (await commentsOf(ticket.id)).at(-1)!;
    expect(last).toMatchObject({ author_email: customer, channel: "email" });
    expect(last.body).toContain("it is out now");
  });

  it("threads by the reply token first, even without In-Reply-To or a subject tag", async () => {
    const to = sent.replyTo!.value[0]!.address!;
    const r = await deliver(
      to,
      raw({
        from: `Casey <${customer}>`,
        to,
        subject: "one more thing",
        messageId: `token-${randomBytes(4).toString("hex")}@customer.test`,
        body: "Token only.",
      }),
    );
    expect(r).toMatchObject({ outcome: "reply", ticketId: ticket.id });
  });

  it("the token wins over In-Reply-To: a token for one ticket with a Message-ID of another lands on the token's", async () => {
    const other = await deliver(
      supportA,
      raw({
        from: `Casey <${customer}>`,
        to: supportA,
        subject: "Second problem",
        messageId: `second-${randomBytes(4).toString("hex")}@customer.test`,
        body: "Another one.",
      }),
    );
    expect(other.outcome).toBe("ticket");
    const to = sent.replyTo!.value[0]!.address!;
    const r = await deliver(
      to,
      raw({
        from: `Casey <${customer}>`,
        to,
        subject: "Re: Second problem",
        messageId: `both-${randomBytes(4).toString("hex")}@customer.test`,
        inReplyTo: (await midOf(other.ticketId!))!,
        body: "Token and another thread.",
      }),
    );
    expect(r).toMatchObject({ outcome: "reply", ticketId: ticket.id });
  });

  it("a forged token threads nothing", async () => {
    const [local, domain] = supportA.split("@");
    const forged = `${local}+${ticket.number.toString(36)}-aaaaaaaaaaaaaaaa@${domain}`;
    const r = await deliver(
      forged,
      raw({
        from: `Casey <${customer}>`,
        to: forged,
        subject: "forged",
        messageId: `forged-${randomBytes(4).toString("hex")}@customer.test`,
        body: "Forged.",
      }),
    );
    expect(r.outcome).toBe("ticket");
    expect(r.ticketId).not.toBe(ticket.id);
  });

  it("a token and Message-ID of org A sent to org B's address never touch A's ticket: new mail for B", async () => {
    const before = (await commentsOf(ticket.id)).length;
    const token = sent.replyTo!.value[0]!.address!.split("@")[0]!.split("+")[1]!;
    const [localB, domainB] = supportB.split("@");
    const to = `${localB}+${token}@${domainB}`;
    const r = await deliver(
      to,
      raw({
        from: `Casey <${customer}>`,
        to,
        subject: `Re: ${sent.subject}`,
        messageId: `cross-${randomBytes(4).toString("hex")}@customer.test`,
        inReplyTo: sent.messageId!.slice(1, -1),
        body: "Cross-org.",
      }),
    );
    expect(r.outcome).toBe("ticket");
    const owner = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ org_id: string }>(sql`select org_id from tickets where id = ${r.ticketId!}`),
      )
    ).rows[0]!;
    expect(owner.org_id).toBe(b.org.id);
    expect((await commentsOf(ticket.id)).length).toBe(before);
  });

  it("the customer gets the reply itself, not a 'new reply' notification email; staff notifications are unchanged", async () => {
    const reply = await api.addComment(a.agent, ticket.id, { body: "Anything else?" });
    const commentId = (reply.body as { id: string }).id;
    await handleNotify({
      orgId: a.org.id,
      kind: "ticket.replied",
      ticketId: ticket.id,
      actorId: a.agent.id,
      commentId,
    });
    const n = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ id: string; user_id: string }>(
          sql`select n.id, n.user_id from notifications n where n.ticket_id = ${ticket.id} and n.kind = 'ticket.replied' and n.payload->>'commentId' = ${commentId}`,
        ),
      )
    ).rows;
    expect(n).toHaveLength(1);
    expect(await jobsIn(QUEUES.email.name, { notificationId: n[0]!.id })).toHaveLength(0);
    expect(await jobsIn(QUEUES.replyEmail.name, { commentId })).toHaveLength(1);
  });

  it("a failed send is retried and sends once", async () => {
    const flaky = await startSmtp({ rejectFirst: 1 });
    setProcessEnv({ SMTP_URL: flaky.url });
    try {
      const reply = await api.addComment(a.agent, ticket.id, { body: "Retry me." });
      const commentId = (reply.body as { id: string }).id;
      await expect(handleReplyEmail({ orgId: a.org.id, ticketId: ticket.id, commentId })).rejects.toThrow();
      expect(await handleReplyEmail({ orgId: a.org.id, ticketId: ticket.id, commentId })).toBe("sent");
      expect(await handleReplyEmail({ orgId: a.org.id, ticketId: ticket.id, commentId })).toBe("skipped");
      expect(flaky.mails.filter((m) => m.raw.includes(`beacon.${commentId}@`))).toHaveLength(1);
    } finally {
      setProcessEnv({ SMTP_URL: sink.url });
      await flaky.close();
    }
  });

  it("without SMTP_URL the .eml lands in the spool with the same headers", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-spool-"));
    const dataDir = process.env.BEACON_DATA_DIR;
    delete process.env.SMTP_URL;
    setProcessEnv({ BEACON_DATA_DIR: dir });
    try {
      const reply = await api.addComment(a.agent, ticket.id, { body: "From the spool." });
      const commentId = (reply.body as { id: string }).id;
      expect(await handleReplyEmail({ orgId: a.org.id, ticketId: ticket.id, commentId })).toBe("sent");
      const files = fs.readdirSync(path.join(dir, "mail")).filter((f) => f.includes(commentId));
      expect(files).toHaveLength(1);
      const eml = await simpleParser(fs.readFileSync(path.join(dir, "mail", files[0]!)));
      expect(eml.replyTo!.value[0]!.address).toBe(sent.replyTo!.value[0]!.address);
      expect(eml.from!.value[0]!.address).toBe(supportA);
      expect(eml.subject).toBe(`Re: Printer on fire [#${ticket.number}]`);
      expect(eml.messageId).toMatch(new RegExp(`^<beacon\\.${commentId}@`));
      const last = (
        await unsafeWithSystem((tx) =>
          tx.execute<{ message_id: string }>(
            sql`select message_id from email_message_ids where ticket_id = ${ticket.id} and direction = 'inbound' order by created_at desc limit 1`,
          ),
        )
      ).rows[0]!;
      expect(eml.inReplyTo).toBe(`<${last.message_id}>`);
      expect([eml.references].flat()).toContain(`<${firstMid}>`);
      expect([eml.references].flat()).toContain(sent.messageId);
    } finally {
      if (dataDir === undefined) delete process.env.BEACON_DATA_DIR;
      setProcessEnv({ SMTP_URL: sink.url, ...(dataDir ? { BEACON_DATA_DIR: dataDir } : {}) });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an attachment whose bytes are gone does not block the reply: it is named as not attached", async () => {
    const reply = await api.addComment(a.agent, ticket.id, { body: "With a lost file." });
    const commentId = (reply.body as { id: string }).id;
    await upload(a.agent, ticket.id, commentId);
    const [row] = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ storage_key: string }>(sql`select storage_key from attachments where comment_id = ${commentId}`),
      )
    ).rows;
    await storage().delete(row!.storage_key);
    expect(await handleReplyEmail({ orgId: a.org.id, ticketId: ticket.id, commentId })).toBe("sent");
    const m = await simpleParser(sentFor(commentId)[0]!.raw);
    expect(m.attachments).toHaveLength(0);
    expect(m.text).toContain("Could not be attached: pixel.gif");
  });

  it("goes from the address the ticket's mail came in on, not the org's default; a web ticket's reply from the default", async () => {
    const w = await createWorld();
    const main = await createSupportAddress(w.org);
    const billing = `billing-${randomBytes(4).toString("hex")}@${w.org.id.slice(0, 8)}.mail.test`;
    await unsafeWithSystem((tx) =>
      tx.insert(emailAddresses).values({ orgId: w.org.id, address: billing, displayName: "Billing", isDefault: false }),
    );
    const fromOf = async (ticketId: string) => {
      const reply = await api.addComment(w.agent, ticketId, { body: "On it." });
      const commentId = (reply.body as { id: string }).id;
      expect(await handleReplyEmail({ orgId: w.org.id, ticketId, commentId })).toBe("sent");
      return (await simpleParser(sentFor(commentId)[0]!.raw)).from!.value[0];
    };
    const r = await deliver(
      billing,
      raw({
        from: `Casey <${customer}>`,
        to: billing,
        subject: "Invoice",
        messageId: `bill-${randomBytes(4).toString("hex")}@customer.test`,
        body: "Wrong amount.",
      }),
    );
    expect(r.outcome).toBe("ticket");
    expect(await fromOf(r.ticketId!)).toMatchObject({ address: billing, name: "Billing" });
    const web = await api.createTicket(w.customer, { subject: "From the portal", body: "hi" });
    expect(await fromOf((web.body as { id: string }).id)).toMatchObject({ address: main, name: "Support" });
  });

  it("sends nothing while notifications_email is switched off", async () => {
    const reply = await api.addComment(a.agent, ticket.id, { body: "Switched off." });
    const commentId = (reply.body as { id: string }).id;
    setProcessEnv({ FEATURES_DISABLED: "notifications_email" });
    try {
      expect(await handleReplyEmail({ orgId: a.org.id, ticketId: ticket.id, commentId })).toBe("disabled");
    } finally {
      setProcessEnv({ FEATURES_DISABLED: "" });
    }
    expect(sentFor(commentId)).toHaveLength(0);
  });

  it("the worker runs the email-reply job", async () => {
    const reply = await api.addComment(a.agent, ticket.id, { body: "Through the worker." });
    const commentId = (reply.body as { id: string }).id;
    const worker = await startWorker({ url: process.env.DATABASE_URL!, pollingIntervalSeconds: 0.5, schedule: false });
    try {
      // The queued job waits for attachments; a second one, due now, is what the worker picks up first.
      await withTenant(a.org.id, (tx) =>
        enqueue(tx, QUEUES.replyEmail.name, { orgId: a.org.id, ticketId: ticket.id, commentId }),
      );
      await waitFor("the reply email", async () => sentFor(commentId).length > 0);
      expect(sentFor(commentId)).toHaveLength(1);
    } finally {
      await worker.stop(1_000);
    }
  });

  it("sends nothing for a ticket of an org without a support address", async () => {
    const w = await createWorld();
    const tw = await api.createTicket(w.customer, { subject: "No support address", body: "hi" });
    const reply = await api.addComment(w.agent, (tw.body as { id: string }).id, { body: "web only" });
    expect(await jobsIn(QUEUES.replyEmail.name, { commentId: (reply.body as { id: string }).id })).toHaveLength(0);
  });

  it("without a support address the customer still gets the 'new reply' notification email (the control of the one above it)", async () => {
    const w = await createWorld();
    const tw = await api.createTicket(w.customer, { subject: "Notified by email", body: "hi" });
    const ticketId = (tw.body as { id: string }).id;
    const reply = await api.addComment(w.agent, ticketId, { body: "web only" });
    const commentId = (reply.body as { id: string }).id;
    await handleNotify({ orgId: w.org.id, kind: "ticket.replied", ticketId, actorId: w.agent.id, commentId });
    const n = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ id: string }>(
          sql`select n.id from notifications n where n.ticket_id = ${ticketId} and n.user_id = ${w.customer.id} and n.kind = 'ticket.replied'`,
        ),
      )
    ).rows;
    expect(n).toHaveLength(1);
    expect(await jobsIn(QUEUES.email.name, { notificationId: n[0]!.id })).toHaveLength(1);
  });
});
