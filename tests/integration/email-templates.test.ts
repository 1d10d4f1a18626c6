import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { simpleParser, type ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { createRule } from "../../src/server/automation/manage-rules";
import { unsafeScanAutomations } from "../../src/server/automation/time-rules";
import { handleCustomerMail, type CustomerMailJob } from "../../src/server/email/customer-mail";
import { startSmtpReceiver, type RunningSmtpReceiver } from "../../src/server/email/smtp-receiver";
import { setProcessEnv } from "../../src/server/env";
import { QUEUES } from "../../src/server/jobs/queues";
import { api, newTicket } from "../helpers/api";
import { createSupportAddress, deliverAndApply } from "../helpers/email";
import { apiRoute, call } from "../helpers/http";
import { jobsIn } from "../helpers/jobs";
import { createWorld, type World } from "../helpers/world";

// Acknowledgement and solve emails (issue 12 item 6, decision 040): per-org templates through the
// route table (admin only, placeholders validated), and what a ticket opened by email really
// produces: the rendered .eml in BEACON_DATA_DIR/mail (no SMTP_URL), threaded like a reply, once.
// Also issue 12 item 5: a customer created from email claims the account through the link in the
// acknowledgement and signs in with the password they chose.

let A: World, B: World;
let supportA: string, supportB: string;
let rx: RunningSmtpReceiver;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-templates-"));
const spool = path.join(dataDir, "mail");

beforeAll(async () => {
  [A, B] = await Promise.all([createWorld(), createWorld()]);
  supportA = await createSupportAddress(A.org);
  supportB = await createSupportAddress(B.org);
  rx = await startSmtpReceiver({ host: "127.0.0.1", port: 0 }, { maxBytes: 1024 * 1024, ratePerMin: 1000 });
  setProcessEnv({ BEACON_DATA_DIR: dataDir, SMTP_URL: "" });
});
afterAll(async () => {
  await rx?.close();
  setProcessEnv({});
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const get = (who: { cookie: string }) => call(apiRoute.GET, "GET", "/api/v1/email/templates", { cookie: who.cookie });
const put = (who: { cookie: string }, kind: string, body: unknown) =>
  call(apiRoute.PUT, "PUT", `/api/v1/email/templates/${kind}`, { cookie: who.cookie, body });
const reset_ = (who: { cookie: string }, kind: string) =>
  call(apiRoute.DELETE, "DELETE", `/api/v1/email/templates/${kind}`, { cookie: who.cookie });
const auditOf = async (orgId: string, action: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ data: Record<string, unknown> }>(
        sql`select data from audit_events where org_id = ${orgId} and action = ${action} order by seq`,
      ),
    )
  ).rows;

const sender = (name = "casey") => `${name}-${randomBytes(3).toString("hex")}@customer.test`;
const raw = (h: { from: string; to: string; subject: string; messageId: string; inReplyTo?: string; body: string }) =>
  [
    `From: ${h.from}`,
    `To: ${h.to}`,
    `Subject: ${h.subject}`,
    `Message-ID: <${h.messageId}>`,
    ...(h.inReplyTo ? [`In-Reply-To: <${h.inReplyTo}>`, `References: <${h.inReplyTo}>`] : []),
    "Date: Mon, 07 Dec 2026 04:00:00 +0000",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    h.body,
    "",
  ].join("\r\n");

/** A new conversation by email: the ticket it opened and the Message-ID it came with. */
async function mailIn(to: string, from: string, subject = "Printer on fire") {
  const messageId = `m-${randomBytes(5).toString("hex")}@customer.test`;
  const r = await deliverAndApply(
    rx.port,
    to,
    raw({ from: `Casey Jones <${from}>`, to, subject, messageId, body: "It is on fire." }),
    from,
  );
  expect(r.outcome).toBe("ticket");
  return { ticketId: r.ticketId!, messageId, inboundId: r.inboundId };
}

const customerJobs = async (ticketId: string) =>
  (await jobsIn(QUEUES.customerEmail.name, { ticketId })).map((j) => j.data as CustomerMailJob);

/** The .eml files the spool holds for a ticket's acknowledgement or solve emails. */
function spooled(ticketId: string, kind: "ack" | "solved"): string[] {
  if (!fs.existsSync(spool)) return [];
  return fs
    .readdirSync(spool)
    .filter((n) => n.includes(ticketId) && n.includes(`beacon.${kind}.`))
    .sort();
}
const parse = (name: string): Promise<ParsedMail> => simpleParser(fs.readFileSync(path.join(spool, name)));
const numberOf = async (ticketId: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ number: number }>(sql`select number from tickets where id = ${ticketId}`),
    )
  ).rows[0]!.number;

describe("email templates API", () => {
  it("lists the defaults until an admin saves one, then the saved text (audited); DELETE goes back to the default", async () => {
    const before = await get(A.admin);
    expect(before.status, before.text).toBe(200);
    expect(
      before.body.data.map((t: { kind: string; isDefault: boolean; enabled: boolean }) => [
        t.kind,
        t.isDefault,
        t.enabled,
      ]),
    ).toEqual([
      ["acknowledgement", true, true],
      ["solved", true, true],
      ["merged", true, true],
    ]);
    expect(before.body.data[0]!.body).toContain("{{account.claim_url}}");

    const saved = await put(A.admin, "solved", {
      enabled: true,
      subject: "Solved: {{ticket.subject}}",
      body: "Hi {{requester.first_name}}, {{agent.name}} solved #{{ ticket.number }}.",
    });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body).toMatchObject({
      kind: "solved",
      enabled: true,
      subject: "Solved: {{ticket.subject}}",
      isDefault: false,
    });
    expect((await get(A.admin)).body.data[1]).toMatchObject({
      kind: "solved",
      isDefault: false,
      body: "Hi {{requester.first_name}}, {{agent.name}} solved #{{ ticket.number }}.",
    });
    expect((await auditOf(A.org.id, "org.email_template_changed")).at(-1)!.data).toMatchObject({
      kind: "solved",
      before: { isDefault: true },
      after: { subject: "Solved: {{ticket.subject}}" },
    });

    const back = await reset_(A.admin, "solved");
    expect(back.status, back.text).toBe(200);
    expect(back.body).toMatchObject({ kind: "solved", isDefault: true, subject: "Re: {{ticket.subject}}" });
    expect((await auditOf(A.org.id, "org.email_template_reset")).at(-1)!.data).toMatchObject({
      kind: "solved",
      before: { subject: "Solved: {{ticket.subject}}" },
    });
  });

  it("an unknown placeholder is a 400 naming it and the field, and nothing is saved; other bad input is a 400 too", async () => {
    const r = await put(A.admin, "acknowledgement", {
      enabled: true,
      subject: "Got it {{ticket.numbr}}",
      body: "Hello {{requester.first_name}} {{customer.shoe_size}}",
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("validation_failed");
    expect(r.body.error.message).toContain("{{ticket.numbr}}");
    expect(r.body.error.message).toContain("{{customer.shoe_size}}");
    expect(r.body.error.details.issues).toEqual([
      { in: "body", path: "subject", message: "unknown placeholder {{ticket.numbr}}" },
      { in: "body", path: "body", message: "unknown placeholder {{customer.shoe_size}}" },
    ]);
    for (const body of [
      {},
      { enabled: true, subject: "x" },
      { enabled: "yes", subject: "x", body: "y" },
      { enabled: true, subject: "two\nlines", body: "y" },
      { enabled: true, subject: "", body: "y" },
      { enabled: true, subject: "x", body: "y".repeat(10_001) },
      { enabled: true, subject: "x", body: "y", extra: 1 },
    ]) {
      const bad = await put(A.admin, "acknowledgement", body);
      expect(bad.status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect((await put(A.admin, "welcome", { enabled: true, subject: "x", body: "y" })).status).toBe(400);
    expect((await get(A.admin)).body.data[0]).toMatchObject({ kind: "acknowledgement", isDefault: true });
  });

  it("is for admins only: agents and customers get 403 and change nothing", async () => {
    for (const who of [A.agent, A.customer]) {
      expect((await get(who)).status).toBe(403);
      expect((await put(who, "acknowledgement", { enabled: false, subject: "x", body: "y" })).status).toBe(403);
      expect((await reset_(who, "acknowledgement")).status).toBe(403);
    }
    expect((await call(apiRoute.GET, "GET", "/api/v1/email/templates")).status).toBe(401);
    expect((await get(A.admin)).body.data[0]).toMatchObject({ enabled: true, isDefault: true });
  });

  it("one org's template is its own: B's admin neither sees nor changes A's, and B's mail uses B's", async () => {
    expect(
      (
        await put(A.admin, "acknowledgement", {
          enabled: true,
          subject: "A got it",
          body: "A-only text for {{requester.name}}",
        })
      ).status,
    ).toBe(200);
    expect((await get(B.admin)).body.data[0]).toMatchObject({ isDefault: true, subject: "Re: {{ticket.subject}}" });
    expect(
      (await put(B.admin, "acknowledgement", { enabled: true, subject: "B got it", body: "B-only text" })).status,
    ).toBe(200);
    expect((await reset_(B.admin, "acknowledgement")).status).toBe(200);
    expect((await get(A.admin)).body.data[0]).toMatchObject({ isDefault: false, subject: "A got it" });

    const { ticketId } = await mailIn(supportB, sender());
    const [job] = await customerJobs(ticketId);
    expect(await handleCustomerMail(job!)).toBe("sent");
    const mail = await parse(spooled(ticketId, "ack")[0]!);
    expect(mail.text).not.toContain("A-only");
    expect(mail.text).toContain("Thank you for writing to");
    expect((await reset_(A.admin, "acknowledgement")).status).toBe(200);
  });
});

describe("the acknowledgement", () => {
  it("a ticket opened by email gets the rendered template as an .eml, from the support address, in the customer's thread, once", async () => {
    expect(
      (
        await put(A.admin, "acknowledgement", {
          enabled: true,
          subject: "We got it: {{ticket.subject}}",
          body: "Hello {{requester.first_name}},\n\n**{{org.name}}** received #{{ticket.number}} ({{ticket.status}}). {{assignee.name}}\n",
        })
      ).status,
    ).toBe(200);
    const from = sender();
    const { ticketId, messageId } = await mailIn(supportA, from, "Fax machine jammed");
    const number = await numberOf(ticketId);
    const jobs = await customerJobs(ticketId);
    expect(jobs).toEqual([{ orgId: A.org.id, ticketId, kind: "acknowledgement", key: expect.any(String) }]);

    expect(await handleCustomerMail(jobs[0]!)).toBe("sent");
    expect(await handleCustomerMail(jobs[0]!)).toBe("skipped");
    const files = spooled(ticketId, "ack");
    expect(files).toHaveLength(1);
    const mail = await parse(files[0]!);
    expect(mail.from!.value[0]).toMatchObject({ address: supportA, name: "Support" });
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((v) => v.address) : []).toEqual([from]);
    expect(mail.subject).toBe(`We got it: Fax machine jammed [#${number}]`);
    expect(mail.messageId).toBe(`<beacon.ack.${ticketId}@${supportA.split("@")[1]}>`);
    expect(mail.inReplyTo).toBe(`<${messageId}>`);
    expect([mail.references].flat()).toContain(`<${messageId}>`);
    expect(mail.replyTo!.value[0]!.address).toMatch(new RegExp(`^${supportA.split("@")[0]}\\+`));
    expect(mail.headers.get("auto-submitted")).toBe("auto-replied");
    expect(mail.text).toContain("Hello Casey,");
    expect(mail.text).toContain(`received #${number} (new).`);
    expect(mail.html).toContain("<strong>");

    // The customer's answer to the acknowledgement threads to the same ticket.
    const answer = await deliverAndApply(
      rx.port,
      supportA,
      raw({
        from,
        to: supportA,
        subject: `Re: ${mail.subject}`,
        messageId: `a-${randomBytes(4).toString("hex")}@customer.test`,
        inReplyTo: mail.messageId!.slice(1, -1),
        body: "Also the printer.",
      }),
      from,
    );
    expect(answer).toMatchObject({ outcome: "reply", ticketId });
    // A reply is not a new ticket: no second acknowledgement.
    expect(await customerJobs(ticketId)).toHaveLength(1);
    expect((await reset_(A.admin, "acknowledgement")).status).toBe(200);
  });

  it("a disabled template sends nothing: no job is queued, and a job queued before the change sends nothing", async () => {
    const early = await mailIn(supportA, sender());
    const [earlyJob] = await customerJobs(early.ticketId);
    expect(
      (await put(A.admin, "acknowledgement", { enabled: false, subject: "Re: {{ticket.subject}}", body: "x" })).status,
    ).toBe(200);
    const { ticketId } = await mailIn(supportA, sender());
    expect(await customerJobs(ticketId)).toEqual([]);
    expect(await handleCustomerMail(earlyJob!)).toBe("template-disabled");
    expect(spooled(early.ticketId, "ack")).toEqual([]);
    expect((await reset_(A.admin, "acknowledgement")).status).toBe(200);
  });

  it("goes to nobody whose address bounces", async () => {
    const from = sender();
    const { ticketId } = await mailIn(supportA, from);
    await unsafeWithSystem((tx) =>
      tx.execute(
        sql`update users set email_bouncing_at = now(), email_bouncing_reason = '5.1.1 unknown user' where org_id = ${A.org.id} and lower(email) = ${from}`,
      ),
    );
    const [job] = await customerJobs(ticketId);
    expect(await handleCustomerMail(job!)).toBe("skipped-bouncing");
    expect(spooled(ticketId, "ack")).toEqual([]);
  });

  it("is never queued for automatic mail or loops (nothing is created for them)", async () => {
    const from = sender("ooo");
    const r = await deliverAndApply(
      rx.port,
      supportA,
      [
        `From: ${from}`,
        `To: ${supportA}`,
        "Subject: Out of office",
        `Message-ID: <ooo-${randomBytes(4).toString("hex")}@customer.test>`,
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        "Content-Type: text/plain",
        "",
        "I am away.",
        "",
      ].join("\r\n"),
      from,
    );
    expect(r.outcome).toBe("dropped");
    expect(
      (await jobsIn(QUEUES.customerEmail.name, { orgId: A.org.id })).some((j) => j.data.ticketId === r.ticketId),
    ).toBe(false);
  });
});

describe("the solve email", () => {
  it("a solve of an email ticket sends the solved template in its thread, once per solve; a reopen and solve sends another", async () => {
    expect(
      (
        await put(A.admin, "solved", {
          enabled: true,
          subject: "Solved: {{ticket.subject}}",
          body: "{{agent.first_name}} solved #{{ticket.number}} for {{requester.email}}.",
        })
      ).status,
    ).toBe(200);
    const from = sender();
    const { ticketId, messageId } = await mailIn(supportA, from, "Screen is blue");
    const number = await numberOf(ticketId);
    expect((await api.patchTicket(A.agent, ticketId, { status: "solved" })).status).toBe(200);
    const solves = (await customerJobs(ticketId)).filter((j) => j.kind === "solved");
    expect(solves).toHaveLength(1);
    expect(solves[0]).toMatchObject({ actorId: A.agent.id });
    expect(await handleCustomerMail(solves[0]!)).toBe("sent");
    expect(await handleCustomerMail(solves[0]!)).toBe("skipped");
    const files = spooled(ticketId, "solved");
    expect(files).toHaveLength(1);
    const mail = await parse(files[0]!);
    expect(mail.subject).toBe(`Solved: Screen is blue [#${number}]`);
    const agentName = (
      await unsafeWithSystem((tx) => tx.execute<{ name: string }>(sql`select name from users where id = ${A.agent.id}`))
    ).rows[0]!.name;
    expect(mail.text).toContain(`${agentName.trim().split(/\s+/)[0]} solved #${number} for ${from}.`);
    expect(mail.inReplyTo).toBe(`<${messageId}>`);
    expect(mail.headers.get("auto-submitted")).toBe("auto-generated");

    // Reopened before its job ran: nothing; solved again: a second, distinct email.
    expect((await api.patchTicket(A.agent, ticketId, { status: "open" })).status).toBe(200);
    expect((await api.patchTicket(A.agent, ticketId, { status: "solved" })).status).toBe(200);
    expect((await api.patchTicket(A.agent, ticketId, { status: "open" })).status).toBe(200);
    const second = (await customerJobs(ticketId)).filter((j) => j.kind === "solved");
    expect(second).toHaveLength(2);
    expect(await handleCustomerMail(second[1]!)).toBe("skipped");
    expect((await api.patchTicket(A.agent, ticketId, { status: "solved" })).status).toBe(200);
    const third = (await customerJobs(ticketId)).filter((j) => j.kind === "solved");
    expect(third).toHaveLength(3);
    expect(await handleCustomerMail(third[2]!)).toBe("sent");
    expect(spooled(ticketId, "solved")).toHaveLength(2);
    expect((await reset_(A.admin, "solved")).status).toBe(200);
  });

  it("a time rule that solves an email ticket sends the solve email too (no agent: the template's agent is empty)", async () => {
    const from = sender("quiet");
    const { ticketId } = await mailIn(supportA, from, "Waiting on you");
    await withTenant(A.org.id, (tx) =>
      createRule(
        {
          tx,
          requestId: "test-time-rule",
          user: {
            userId: A.admin.id,
            orgId: A.org.id,
            role: "admin",
            email: A.admin.email,
            name: "Admin",
            mustChangePassword: false,
            sessionVersion: A.admin.sessionVersion,
            via: "session",
          },
        },
        "automation",
        {
          name: `Solve quiet pending ${randomBytes(3).toString("hex")}`,
          conditions: {
            all: [
              { field: "hours_since", anchor: "updated", op: "gte", value: 72 },
              { field: "status", op: "is", value: "pending" },
            ],
          },
          actions: [{ type: "set_status", value: "solved" }],
        },
      ),
    );
    await unsafeWithSystem((tx) =>
      tx.execute(
        sql`update tickets set status = 'pending', updated_at = now() - interval '73 hours' where id = ${ticketId}`,
      ),
    );
    expect((await customerJobs(ticketId)).filter((j) => j.kind === "solved")).toEqual([]);
    await unsafeScanAutomations();
    const solves = (await customerJobs(ticketId)).filter((j) => j.kind === "solved");
    expect(solves).toHaveLength(1);
    expect(solves[0]).toMatchObject({ actorId: null });
    expect(await handleCustomerMail(solves[0]!)).toBe("sent");
    expect(spooled(ticketId, "solved")).toHaveLength(1);
    // The next pass finds the ticket solved already: no second email.
    await unsafeScanAutomations();
    expect((await customerJobs(ticketId)).filter((j) => j.kind === "solved")).toHaveLength(1);
  });

  it("is not sent when disabled, nor for a ticket that never was an email conversation", async () => {
    const portal = await newTicket(A.customer);
    expect((await api.patchTicket(A.agent, portal.id, { status: "solved" })).status).toBe(200);
    expect(await customerJobs(portal.id)).toEqual([]);

    expect((await put(A.admin, "solved", { enabled: false, subject: "x", body: "y" })).status).toBe(200);
    const { ticketId } = await mailIn(supportA, sender());
    expect((await api.patchTicket(A.agent, ticketId, { status: "solved" })).status).toBe(200);
    expect((await customerJobs(ticketId)).filter((j) => j.kind === "solved")).toEqual([]);
    expect((await reset_(A.admin, "solved")).status).toBe(200);
  });
});

describe("claiming an account created from email (issue 12 item 5)", () => {
  it("an unknown sender gets a one-time link in the acknowledgement, chooses a password with it, and signs in", async () => {
    const from = sender("newbie");
    const { ticketId } = await mailIn(supportA, from);
    const [job] = await customerJobs(ticketId);
    expect(await handleCustomerMail(job!)).toBe("sent");
    const mail = await parse(spooled(ticketId, "ack")[0]!);
    const url = /(http\S+\/setup\/(\S+))/.exec(mail.text ?? "");
    expect(url, mail.text).not.toBeNull();
    const token = decodeURIComponent(url![2]!);
    expect((await auditOf(A.org.id, "user.claim_link_sent")).some((e) => e.data.email === from)).toBe(true);

    const password = `Claim-${randomBytes(8).toString("hex")}!`;
    // Before claiming, there is no password to sign in with.
    expect((await call(apiRoute.POST, "POST", "/api/v1/auth/token", { body: { email: from, password } })).status).toBe(
      401,
    );
    const set = await call(apiRoute.POST, "POST", "/api/v1/auth/setup", { body: { token, password } });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toMatchObject({ email: from, org: A.org.slug });
    // Single use: the same link again is the generic 404.
    expect(
      (await call(apiRoute.POST, "POST", "/api/v1/auth/setup", { body: { token, password: `${password}x` } })).status,
    ).toBe(404);

    const signIn = await call(apiRoute.POST, "POST", "/api/v1/auth/token", { body: { email: from, password } });
    expect(signIn.status, signIn.text).toBe(201);
    const me = await call(apiRoute.GET, "GET", "/api/v1/me", { token: signIn.body.token });
    expect(me.body).toMatchObject({ email: from, role: "customer", orgId: A.org.id });
    // Their ticket is theirs in the portal.
    expect((await call(apiRoute.GET, "GET", `/api/v1/tickets/${ticketId}`, { token: signIn.body.token })).status).toBe(
      200,
    );

    // Next time they write in, they already have a password: the sign-in page, not a new link.
    const next = await mailIn(supportA, from);
    const [nextJob] = await customerJobs(next.ticketId);
    expect(await handleCustomerMail(nextJob!)).toBe("sent");
    const nextMail = await parse(spooled(next.ticketId, "ack")[0]!);
    expect(nextMail.text).not.toContain("/setup/");
    expect(nextMail.text).toContain("/login");
  });

  it("without the placeholder, an admin's reset sends such a customer the invitation, and it works the same way", async () => {
    expect(
      (
        await put(A.admin, "acknowledgement", {
          enabled: true,
          subject: "Re: {{ticket.subject}}",
          body: "We have it, {{requester.first_name}}.",
        })
      ).status,
    ).toBe(200);
    const from = sender("quiet");
    const { ticketId } = await mailIn(supportA, from);
    const [job] = await customerJobs(ticketId);
    expect(await handleCustomerMail(job!)).toBe("sent");
    expect((await parse(spooled(ticketId, "ack")[0]!)).text).not.toContain("/setup/");
    expect((await auditOf(A.org.id, "user.claim_link_sent")).some((e) => e.data.email === from)).toBe(false);
    const [u] = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ id: string }>(sql`select id from users where org_id = ${A.org.id} and lower(email) = ${from}`),
      )
    ).rows;
    const reset = await call(apiRoute.POST, "POST", `/api/v1/users/${u!.id}/reset-password`, {
      cookie: A.admin.cookie,
    });
    expect(reset.status, reset.text).toBe(200);
    // No SMTP_URL: the invitation went to the spool and the link comes back for the admin to hand over.
    expect(reset.body.purpose).toBe("invite");
    const token = decodeURIComponent(/\/setup\/(\S+)$/.exec(reset.body.resetUrl!)![1]!);
    const password = `Claim-${randomBytes(8).toString("hex")}!`;
    expect((await call(apiRoute.POST, "POST", "/api/v1/auth/setup", { body: { token, password } })).status).toBe(200);
    expect((await call(apiRoute.POST, "POST", "/api/v1/auth/token", { body: { email: from, password } })).status).toBe(
      201,
    );
    expect((await reset_(A.admin, "acknowledgement")).status).toBe(200);
  });

  it("the link expires with the invitation rules and a newer acknowledgement replaces an older link", async () => {
    const from = sender("twice");
    const first = await mailIn(supportA, from, "One");
    const second = await mailIn(supportA, from, "Two");
    for (const t of [first, second]) {
      const [job] = await customerJobs(t.ticketId);
      expect(await handleCustomerMail(job!)).toBe("sent");
    }
    const tokenOf = async (ticketId: string) =>
      decodeURIComponent(/\/setup\/(\S+)/.exec((await parse(spooled(ticketId, "ack")[0]!)).text ?? "")![1]!);
    const [older, newer] = [await tokenOf(first.ticketId), await tokenOf(second.ticketId)];
    expect(older).not.toBe(newer);
    const password = `Claim-${randomBytes(8).toString("hex")}!`;
    expect((await call(apiRoute.POST, "POST", "/api/v1/auth/setup", { body: { token: older, password } })).status).toBe(
      404,
    );
    const rows = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ hours: number }>(sql`
      select extract(epoch from t.expires_at - t.created_at) / 3600 as hours from one_time_tokens t join users u on u.id = t.user_id
       where u.org_id = ${A.org.id} and lower(u.email) = ${from} and t.used_at is null`),
      )
    ).rows;
    expect(rows).toHaveLength(1);
    expect(Math.round(Number(rows[0]!.hours))).toBe(24);
    expect((await call(apiRoute.POST, "POST", "/api/v1/auth/setup", { body: { token: newer, password } })).status).toBe(
      200,
    );
  });
});
