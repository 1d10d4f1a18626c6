import { readFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { ticketBouncing } from "../../src/server/email/bouncing";
import { parseDeliveryReport } from "../../src/server/email/dsn";
import { handleReplyEmail } from "../../src/server/email/outbound-reply";
import { startSmtpReceiver, type RunningSmtpReceiver } from "../../src/server/email/smtp-receiver";
import { handleEmail } from "../../src/server/notifications/email";
import { metrics } from "../../src/server/observability/metrics";
import { GET as userRoute } from "../helpers/http";
import { api } from "../helpers/api";
import { call } from "../helpers/http";
import { createSupportAddress, deliverAndApply } from "../helpers/email";
import { startSmtp } from "../helpers/receivers";
import { createWorld, type World } from "../helpers/world";

// Delivery status notifications (decision 035) on real servers: a customer writes in with a CC,
// an agent's reply is emailed through a real SMTP sink, and the reports (Postfix, Exchange, Gmail,
// a delayed one) come back through the real SMTP receiver to the apply job.

const DIR = path.resolve(import.meta.dirname, "../fixtures/email");
let rx: RunningSmtpReceiver;
let sink: Awaited<ReturnType<typeof startSmtp>>;

beforeAll(async () => {
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

const outboundCount = async (kind: string, outcome: string) =>
  (await metrics().registry.getSingleMetric("email_outbound_messages_total")?.get())?.values.find(
    (v) => v.labels.kind === kind && v.labels.outcome === outcome,
  )?.value ?? 0;
const hex = () => randomBytes(4).toString("hex");
const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;

function fixture(name: string, vars: Record<string, string>): string {
  let s = readFileSync(path.join(DIR, name), "utf8");
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{{${k}}}`, v);
  expect(s, `${name} has an unfilled placeholder`).not.toMatch(/\{\{\w+\}\}/);
  return s;
}

/** Over SMTP to the receiver, then the apply job of the stored message. */
const deliver = (to: string, raw: string, from: string) => deliverAndApply(rx.port, to, raw, from);

const plain = (h: { from: string; to: string; cc?: string; subject: string; body: string }) =>
  [
    `From: ${h.from}`,
    `To: ${h.to}`,
    ...(h.cc ? [`Cc: ${h.cc}`] : []),
    `Subject: ${h.subject}`,
    `Message-ID: <m-${hex()}@customer.test>`,
    "Date: Sun, 06 Dec 2026 21:00:00 +0000",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    h.body,
    "",
  ].join("\r\n");

type Conv = { w: World; support: string; customer: string; friend: string; ticketId: string; replyMid: string };

/** A ticket opened by mail with a CC, and an agent's reply emailed to both. */
async function conversation(): Promise<Conv> {
  const w = await createWorld();
  const support = await createSupportAddress(w.org);
  const customer = `casey-${hex()}@customer.test`;
  const friend = `friend-${hex()}@customer.test`;
  const r = await deliver(
    support,
    plain({ from: `Casey <${customer}>`, to: support, cc: friend, subject: "Cannot log in", body: "Help." }),
    customer,
  );
  expect(r.outcome).toBe("ticket");
  const reply = await api.addComment(w.agent, r.ticketId!, { body: "We have reset your session." });
  const commentId = (reply.body as { id: string }).id;
  expect(await handleReplyEmail({ orgId: w.org.id, ticketId: r.ticketId!, commentId })).toBe("sent");
  return {
    w,
    support,
    customer,
    friend,
    ticketId: r.ticketId!,
    replyMid: `beacon.${commentId}@${support.split("@")[1]}`,
  };
}

const userMark = async (orgId: string, email: string) =>
  (
    await q<{ at: Date | null; reason: string | null }>(
      sql`select email_bouncing_at as at, email_bouncing_reason as reason from users where org_id = ${orgId} and lower(email) = ${email}`,
    )
  )[0];
const ccMark = async (ticketId: string, email: string) =>
  (
    await q<{ at: Date | null; reason: string | null }>(
      sql`select bouncing_at as at, bouncing_reason as reason from ticket_ccs where ticket_id = ${ticketId} and email = ${email}`,
    )
  )[0];
const row = async (id: string) =>
  (
    await q<{ status: string; outcome: string; reason: string; ticket_id: string | null }>(
      sql`select status::text as status, outcome, reason, ticket_id from inbound_messages where id = ${id}`,
    )
  )[0]!;

async function agentReply(c: Conv, body: string) {
  const reply = await api.addComment(c.w.agent, c.ticketId, { body });
  expect(reply.status).toBe(201);
  const commentId = (reply.body as { id: string }).id;
  return {
    commentId,
    outcome: await handleReplyEmail({ orgId: c.w.org.id, ticketId: c.ticketId, commentId }),
    mails: () => sink.mails.filter((m) => m.raw.includes(`beacon.${commentId}@`)),
  };
}

describe("the delivery report parser", () => {
  it.each([
    ["dsn-bounce.eml", "5.1.1"],
    ["exchange-ndr.eml", "5.1.10"],
    ["gmail-bounce.eml", "5.1.1"],
  ])("%s: the failed recipient, its status and the returned Message-ID", (name, status) => {
    const r = parseDeliveryReport(
      Buffer.from(
        fixture(name, { support: "s@x.test", mid: "m@x.test", rcpt: "Gone@Customer.test", about: "beacon.1@x.test" }),
      ),
    );
    expect(r).toMatchObject({ failed: [{ address: "gone@customer.test", status }], notFailed: 0 });
    expect(r!.aboutMessageIds[0]).toBe("beacon.1@x.test");
  });

  it("a delayed report has no failed recipient; ordinary mail and an out-of-office are no report", () => {
    expect(
      parseDeliveryReport(
        Buffer.from(
          fixture("dsn-delayed.eml", {
            support: "s@x.test",
            mid: "m@x.test",
            rcpt: "a@b.test",
            about: "beacon.1@x.test",
          }),
        ),
      ),
    ).toMatchObject({ failed: [], notFailed: 1 });
    expect(
      parseDeliveryReport(Buffer.from(plain({ from: "a@b.test", to: "s@x.test", subject: "hi", body: "x" }))),
    ).toBeNull();
    expect(parseDeliveryReport(readFileSync(path.join(DIR, "out-of-office.eml")))).toBeNull();
  });
});

describe("a bounce marks the address, agents see it, and replies stop until they write in", () => {
  it.each([
    ["dsn-bounce.eml", "5.1.1"],
    ["exchange-ndr.eml", "5.1.10"],
    ["gmail-bounce.eml", "5.1.1"],
  ])("%s for the requester marks the user; the next reply is skipped for them", async (name, status) => {
    const c = await conversation();
    const r = await deliver(
      c.support,
      fixture(name, { support: c.support, mid: `dsn-${hex()}@mx.test`, rcpt: c.customer, about: c.replyMid }),
      "",
    );
    expect(r).toMatchObject({ outcome: "bounce", ticketId: c.ticketId });
    expect(await row(r.inboundId)).toMatchObject({ status: "applied", outcome: "bounce", ticket_id: c.ticketId });
    const mark = await userMark(c.w.org.id, c.customer);
    expect(mark!.at).not.toBeNull();
    expect(mark!.reason).toContain(status);
    // An admin sees it on the user (GET /users/:id).
    const [u] = await q<{ id: string }>(
      sql`select id from users where org_id = ${c.w.org.id} and lower(email) = ${c.customer}`,
    );
    const shown = await call(userRoute, "GET", `/api/v1/users/${u!.id}`, {
      cookie: c.w.admin.cookie,
      params: { id: u!.id },
    });
    expect(shown.status).toBe(200);
    expect((shown.body as { emailBouncing: { reason: string } | null }).emailBouncing).toMatchObject({
      since: expect.any(String),
      reason: expect.stringContaining(status),
    });
    // Nothing was created by the report: still the first comment and the agent's reply.
    expect((await q(sql`select 1 from comments where ticket_id = ${c.ticketId}`)).length).toBe(2);

    // The next reply goes to the CC only, not to the bouncing requester.
    const next = await agentReply(c, "Second answer.");
    expect(next.outcome).toBe("sent");
    expect(next.mails().flatMap((m) => m.to)).toEqual([c.friend]);
  });

  it("a bounce for a CC marks the CC row; when every recipient bounces the reply is skipped-bouncing, and the customer's notification email is not sent", async () => {
    const c = await conversation();
    await deliver(
      c.support,
      fixture("dsn-bounce.eml", { support: c.support, mid: `dsn-${hex()}@mx.test`, rcpt: c.friend, about: c.replyMid }),
      "",
    );
    expect((await ccMark(c.ticketId, c.friend))!.reason).toMatch(/^5\.1\.1 smtp; 550 5\.1\.1/);
    // What the ticket page shows staff: the CC marked with its reason, the requester not.
    const shown = await unsafeWithSystem((tx) => ticketBouncing(tx, c.w.org.id, c.ticketId));
    expect(shown.requester).toBeNull();
    expect([...shown.ccs.keys()]).toEqual([c.friend]);
    const onlyCustomer = await agentReply(c, "Third answer.");
    expect(onlyCustomer.mails().flatMap((m) => m.to)).toEqual([c.customer]);

    await deliver(
      c.support,
      fixture("gmail-bounce.eml", {
        support: c.support,
        mid: `dsn-${hex()}@mx.test`,
        rcpt: c.customer,
        about: c.replyMid,
      }),
      "",
    );
    const skippedBefore = await outboundCount("reply", "skipped-bouncing");
    expect((await unsafeWithSystem((tx) => ticketBouncing(tx, c.w.org.id, c.ticketId))).requester).toMatch(/^5\.1\.1/);
    // Asked as another org (here without RLS: the org filter alone), the ticket has no marks to show.
    const other = await createWorld();
    expect(await unsafeWithSystem((tx) => ticketBouncing(tx, other.org.id, c.ticketId))).toEqual({
      requester: null,
      ccs: new Map(),
    });
    const none = await agentReply(c, "Fourth answer.");
    expect(none.outcome).toBe("skipped-bouncing");
    expect(await outboundCount("reply", "skipped-bouncing")).toBe(skippedBefore + 1);
    expect(none.mails()).toHaveLength(0);

    // A notification email to the bouncing customer is not sent either, and says why.
    const [n] = await q<{
      id: string;
    }>(sql`insert into notifications (org_id, user_id, kind, ticket_id, payload, idempotency_key)
      select org_id, id, 'ticket.replied', ${c.ticketId}, '{}'::jsonb, ${`test-${hex()}`} from users where org_id = ${c.w.org.id} and lower(email) = ${c.customer} returning id`);
    expect(await handleEmail({ orgId: c.w.org.id, notificationId: n!.id })).toBe("skipped");
    const [after] = await q<{ emailed_at: Date | null; email_error: string }>(
      sql`select emailed_at, email_error from notifications where id = ${n!.id}`,
    );
    expect(after).toMatchObject({ emailed_at: null, email_error: expect.stringMatching(/bouncing/) });
  });

  it("the mark clears when that person writes in again, and replies reach them", async () => {
    const c = await conversation();
    await deliver(
      c.support,
      fixture("exchange-ndr.eml", {
        support: c.support,
        mid: `dsn-${hex()}@mx.test`,
        rcpt: c.customer,
        about: c.replyMid,
      }),
      "",
    );
    expect((await userMark(c.w.org.id, c.customer))!.at).not.toBeNull();
    const t = (await q<{ number: number }>(sql`select number from tickets where id = ${c.ticketId}`))[0]!;
    const back = await deliver(
      c.support,
      plain({ from: c.customer, to: c.support, subject: `Re: Cannot log in [#${t.number}]`, body: "I am back." }),
      c.customer,
    );
    expect(back.outcome).toBe("reply");
    expect(await userMark(c.w.org.id, c.customer)).toMatchObject({ at: null, reason: null });
    const [u] = await q<{ id: string }>(
      sql`select id from users where org_id = ${c.w.org.id} and lower(email) = ${c.customer}`,
    );
    const shown = await call(userRoute, "GET", `/api/v1/users/${u!.id}`, {
      cookie: c.w.admin.cookie,
      params: { id: u!.id },
    });
    expect((shown.body as { emailBouncing: unknown }).emailBouncing).toBeNull();
    const next = await agentReply(c, "Welcome back.");
    expect(
      next
        .mails()
        .flatMap((m) => m.to)
        .sort(),
    ).toEqual([c.customer, c.friend].sort());
  });

  it("a delayed report (4.x.x) marks nothing", async () => {
    const c = await conversation();
    const r = await deliver(
      c.support,
      fixture("dsn-delayed.eml", {
        support: c.support,
        mid: `dsn-${hex()}@mx.test`,
        rcpt: c.customer,
        about: c.replyMid,
      }),
      "",
    );
    expect(r.outcome).toBe("bounce");
    expect(await row(r.inboundId)).toMatchObject({ status: "dropped", reason: expect.stringMatching(/delayed/) });
    expect((await userMark(c.w.org.id, c.customer))!.at).toBeNull();
  });

  it("a report naming someone who is not on the ticket marks nothing", async () => {
    const c = await conversation();
    await deliver(
      c.support,
      fixture("dsn-bounce.eml", {
        support: c.support,
        mid: `dsn-${hex()}@mx.test`,
        rcpt: c.w.customer2.email.toLowerCase(),
        about: c.replyMid,
      }),
      "",
    );
    expect((await userMark(c.w.org.id, c.w.customer2.email.toLowerCase()))!.at).toBeNull();
  });
});

describe("across orgs", () => {
  it("a bounce for org A's Message-ID sent to org B's address marks nothing in A (nor in B)", async () => {
    const a = await conversation();
    const b = await conversation();
    const r = await deliver(
      b.support,
      fixture("dsn-bounce.eml", {
        support: b.support,
        mid: `dsn-${hex()}@mx.test`,
        rcpt: a.customer,
        about: a.replyMid,
      }),
      "",
    );
    expect(r).toMatchObject({ orgId: b.w.org.id, outcome: "bounce" });
    expect(r.ticketId).toBeUndefined();
    expect(await row(r.inboundId)).toMatchObject({
      status: "dropped",
      reason: expect.stringMatching(/did not send/),
      ticket_id: null,
    });
    expect((await userMark(a.w.org.id, a.customer))!.at).toBeNull();
    // And B's own requester is not touched by A's Message-ID either.
    const r2 = await deliver(
      b.support,
      fixture("dsn-bounce.eml", {
        support: b.support,
        mid: `dsn-${hex()}@mx.test`,
        rcpt: b.customer,
        about: a.replyMid,
      }),
      "",
    );
    expect(r2.ticketId).toBeUndefined();
    expect((await userMark(b.w.org.id, b.customer))!.at).toBeNull();
  });
});
