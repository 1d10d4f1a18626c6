import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { startSmtpReceiver, type RunningSmtpReceiver } from "../../src/server/email/smtp-receiver";
import { createSupportAddress, deliverAndApply } from "../helpers/email";
import { apiRoute, call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// Who may open tickets by email (decision 039), through the real SMTP receiver and the apply job:
// a refused sender's new conversation is recorded as rejected and creates no ticket and no user;
// replies of participants still thread; one org's policy is only its own.

let rx: RunningSmtpReceiver;
beforeAll(async () => {
  rx = await startSmtpReceiver({ host: "127.0.0.1", port: 0 }, { maxBytes: 1024 * 1024, ratePerMin: 1000 });
});
afterAll(async () => {
  await rx?.close();
});

const hex = () => randomBytes(4).toString("hex");
const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;
const mail = (from: string, to: string, subject: string, extra: string[] = []) =>
  [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    `Message-ID: <o-${hex()}@sender.test>`,
    ...extra,
    "Date: Mon, 07 Dec 2026 02:00:00 +0000",
    "Content-Type: text/plain; charset=utf-8",
    "",
    `About ${subject}.`,
    "",
  ].join("\r\n");

const deliver = (to: string, raw: string, from: string) => deliverAndApply(rx.port, to, raw, from);
const patch = (w: World, body: unknown) =>
  call(apiRoute.PATCH, "PATCH", "/api/v1/email/settings", { cookie: w.admin.cookie, body });
const ticketCount = async (orgId: string) =>
  (await q<{ n: number }>(sql`select count(*)::int as n from tickets where org_id = ${orgId}`))[0]!.n;
const userCount = async (orgId: string, email: string) =>
  (
    await q<{ n: number }>(
      sql`select count(*)::int as n from users where org_id = ${orgId} and lower(email) = ${email}`,
    )
  )[0]!.n;
const row = async (id: string) =>
  (
    await q<{ status: string; outcome: string | null; reason: string | null; ticket_id: string | null }>(
      sql`select status::text as status, outcome::text as outcome, reason, ticket_id from inbound_messages where id = ${id}`,
    )
  )[0]!;

async function expectRefused(w: World, support: string, from: string) {
  const before = await ticketCount(w.org.id);
  const users = await userCount(w.org.id, from.toLowerCase());
  const r = await deliver(support, mail(from, support, "let me in"), from);
  expect(r.outcome, from).toBe("rejected");
  expect(await row(r.inboundId)).toMatchObject({
    status: "rejected",
    outcome: "rejected",
    reason: expect.stringMatching(/^rejected: the org opens tickets by email only/),
    ticket_id: null,
  });
  expect(await ticketCount(w.org.id)).toBe(before);
  expect(await userCount(w.org.id, from.toLowerCase())).toBe(users);
  return r;
}

describe("who may open tickets by email", () => {
  it("PATCH validates the policy: domains needs a domain (400 naming the field, nothing saved); an unknown policy is 400", async () => {
    const w = await createWorld();
    const r = await patch(w, { inboundOpenPolicy: "domains" });
    expect(r.status, r.text).toBe(400);
    expect(JSON.stringify(r.body)).toContain("inboundOpenDomains");
    expect((await patch(w, { inboundOpenPolicy: "domains", inboundOpenDomains: ["not a domain"] })).status).toBe(400);
    expect((await patch(w, { inboundOpenPolicy: "friends" })).status).toBe(400);
    const got = await call(apiRoute.GET, "GET", "/api/v1/email/settings", { cookie: w.admin.cookie });
    expect(got.body).toMatchObject({ inboundOpenPolicy: "anyone", inboundOpenDomains: [] });
    const ok = await patch(w, { inboundOpenPolicy: "domains", inboundOpenDomains: ["Partner.Example"] });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({ inboundOpenPolicy: "domains", inboundOpenDomains: ["partner.example"] });
    // Clearing the list while the policy needs it is refused too.
    expect((await patch(w, { inboundOpenDomains: [] })).status).toBe(400);
  });

  it("anyone (the default) opens tickets for strangers", async () => {
    const w = await createWorld();
    const support = await createSupportAddress(w.org);
    const from = `stranger-${hex()}@anywhere.test`;
    expect((await deliver(support, mail(from, support, "hello"), from)).outcome).toBe("ticket");
    expect(await userCount(w.org.id, from)).toBe(1);
  });

  it("known admits the org's users and refuses strangers (no ticket, no user); org B is unaffected", async () => {
    const w = await createWorld();
    const other = await createWorld();
    const support = await createSupportAddress(w.org);
    const otherSupport = await createSupportAddress(other.org);
    expect((await patch(w, { inboundOpenPolicy: "known" })).status).toBe(200);

    expect((await deliver(support, mail(w.customer.email, support, "known customer"), w.customer.email)).outcome).toBe(
      "ticket",
    );
    const stranger = `stranger-${hex()}@anywhere.test`;
    await expectRefused(w, support, stranger);
    expect(await userCount(w.org.id, stranger)).toBe(0);
    // A user of another org is a stranger here.
    await expectRefused(w, support, other.customer.email);
    // Org B still takes anyone.
    expect((await deliver(otherSupport, mail(stranger, otherSupport, "hello B"), stranger)).outcome).toBe("ticket");
  });

  it("domains admits the listed domains and their subdomains, and refuses look-alikes", async () => {
    const w = await createWorld();
    const support = await createSupportAddress(w.org);
    const d = `partner-${hex()}.test`;
    expect((await patch(w, { inboundOpenPolicy: "domains", inboundOpenDomains: [d] })).status).toBe(200);
    expect((await deliver(support, mail(`a-${hex()}@${d}`, support, "direct"), `a@${d}`)).outcome).toBe("ticket");
    expect((await deliver(support, mail(`b-${hex()}@eu.${d}`, support, "sub"), `b@eu.${d}`)).outcome).toBe("ticket");
    await expectRefused(w, support, `c-${hex()}@evil${d}`);
    await expectRefused(w, support, `d-${hex()}@${d}.evil.test`);
    // A known customer outside the domains may not open one either: the list is the rule.
    await expectRefused(w, support, w.customer.email);
  });

  it("replies to existing tickets still thread, from the requester and from a CC the policy would refuse", async () => {
    const w = await createWorld();
    const support = await createSupportAddress(w.org);
    const cc = `cc-${hex()}@outside.test`;
    const first = mail(w.customer.email, support, "needs help", [`Cc: ${cc}`]);
    const opened = await deliver(support, first, w.customer.email);
    expect(opened.outcome).toBe("ticket");
    const messageId = /Message-ID: (<[^>]+>)/.exec(first)![1]!;
    const d = `only-${hex()}.test`;
    expect((await patch(w, { inboundOpenPolicy: "domains", inboundOpenDomains: [d] })).status).toBe(200);

    const reply = await deliver(
      support,
      mail(w.customer.email, support, "Re: needs help", [`In-Reply-To: ${messageId}`]),
      w.customer.email,
    );
    expect(reply).toMatchObject({ outcome: "reply", ticketId: opened.ticketId });
    const ccReply = await deliver(support, mail(cc, support, "Re: needs help", [`In-Reply-To: ${messageId}`]), cc);
    expect(ccReply).toMatchObject({ outcome: "reply", ticketId: opened.ticketId });
    // The same stranger without a thread is refused.
    const before = await ticketCount(w.org.id);
    const fresh = await deliver(support, mail(`x-${hex()}@outside.test`, support, "new thing"), "x@outside.test");
    expect(fresh.outcome).toBe("rejected");
    expect(await ticketCount(w.org.id)).toBe(before);
  });
});
