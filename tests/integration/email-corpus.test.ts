import { readFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { applyInbound, type ApplyOutcome } from "../../src/server/intake/apply-inbound";
import { storeInbound } from "../../src/server/email/store-inbound";
import { createOrg, createUser, sessionCookie, type TestOrg } from "../helpers/factories";
import { api } from "../helpers/api";
import { apiRoute as exportRoute } from "../helpers/http";
import { createSupportAddress } from "../helpers/email";

// A corpus of messages written in the shapes real clients produce (tests/fixtures/email/), each
// stored as the intake stores it and applied by the email-inbound job's handler, with the ticket
// and comment it must produce. Each test builds its own org and support address.

const DIR = path.resolve(import.meta.dirname, "../fixtures/email");
type World = { org: TestOrg; support: string };

async function world(): Promise<World> {
  const org = await createOrg();
  return { org, support: await createSupportAddress(org) };
}

const newId = (tag: string) => `${tag}-${randomBytes(6).toString("hex")}@mail.customer.test`;

/** The fixture with its placeholders filled, byte for byte otherwise (charsets other than UTF-8 survive). */
function fixture(name: string, vars: Record<string, string>): Buffer {
  let s = readFileSync(path.join(DIR, name)).toString("latin1");
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{{${k}}}`, v);
  expect(s, `${name} has an unfilled placeholder`).not.toMatch(/\{\{\w+\}\}/);
  return Buffer.from(s, "latin1");
}

async function deliver(
  w: World,
  name: string,
  vars: Record<string, string> = {},
): Promise<ApplyOutcome & { inboundId: string }> {
  const raw = fixture(name, { support: w.support, mid: newId(name.replace(/\W/g, "")), ...vars });
  const stored = await storeInbound({ orgId: w.org.id, source: "smtp", raw, mailFrom: null, rcptTo: w.support });
  if (!stored.stored) throw new Error("not stored");
  return { ...(await applyInbound({ orgId: w.org.id, inboundId: stored.inboundId })), inboundId: stored.inboundId };
}

const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;

type CommentRow = {
  body: string;
  body_html: string;
  channel: string;
  email: {
    from: string;
    to: string[];
    cc: string[];
    messageId: string | null;
    refused?: { filename: string; reason: string }[];
  } | null;
  author_email: string;
  author_role: string;
  author_password: string | null;
};
const commentsOf = (ticketId: string) =>
  q<CommentRow>(sql`select c.body, c.body_html, c.channel::text as channel, c.email, u.email as author_email, u.role::text as author_role, u.password_hash as author_password
    from comments c join users u on u.org_id = c.org_id and u.id = c.author_id where c.ticket_id = ${ticketId} order by c.created_at, c.id`);
const ticketOf = async (id: string) =>
  (
    await q<{
      number: number;
      subject: string;
      status: string;
      requester_email: string;
      org_id: string;
    }>(sql`select t.number, t.subject, t.status::text as status, u.email as requester_email, t.org_id
    from tickets t join users u on u.org_id = t.org_id and u.id = t.requester_id where t.id = ${id}`)
  )[0]!;
const inbound = async (id: string) =>
  (
    await q<{ status: string; outcome: string | null; reason: string | null; ticket_id: string | null }>(
      sql`select status::text as status, outcome, reason, ticket_id from inbound_messages where id = ${id}`,
    )
  )[0]!;
const ticketCount = async (orgId: string) =>
  (await q<{ n: number }>(sql`select count(*)::int as n from tickets where org_id = ${orgId}`))[0]!.n;

/** A world with the conversation's first message already a ticket. */
async function conversation() {
  const w = await world();
  const orig = newId("orig");
  const first = await deliver(w, "original.eml", { orig });
  expect(first.outcome).toBe("ticket");
  return { w, orig, ticketId: first.ticketId!, number: (await ticketOf(first.ticketId!)).number };
}

describe("new conversations", () => {
  it("gmail: a new message opens a ticket with subject, first comment and a new password-less customer as requester", async () => {
    const w = await world();
    const r = await deliver(w, "gmail-new.eml");
    expect(r.outcome).toBe("ticket");
    const t = await ticketOf(r.ticketId!);
    expect(t).toMatchObject({
      subject: "Cannot log in to the dashboard",
      status: "new",
      requester_email: "robin.example@gmail.test",
    });
    const [c, ...more] = await commentsOf(r.ticketId!);
    expect(more).toHaveLength(0);
    expect(c!.body).toContain('It says "session expired".');
    expect(c!.body).toContain("Robin");
    expect(c).toMatchObject({ channel: "email", author_role: "customer", author_password: null });
    expect(c!.email).toMatchObject({ from: "robin.example@gmail.test", to: [w.support], cc: [] });
    expect(await inbound(r.inboundId)).toMatchObject({ status: "applied", outcome: "ticket", ticket_id: r.ticketId });
    // The audit chain and search see it like a web ticket.
    const audit = await q<{ action: string }>(
      sql`select action from audit_events where org_id = ${w.org.id} and entity_id = ${r.ticketId!}`,
    );
    expect(audit.map((a) => a.action)).toContain("ticket.created");
    const found = await q<{ id: string }>(
      sql`select id from tickets where org_id = ${w.org.id} and search_vector @@ plainto_tsquery('simple', 'dashboard')`,
    );
    expect(found.map((f) => f.id)).toContain(r.ticketId);
  });

  it("a message is applied in one transaction with one commit; applying it again is skipped and changes nothing", async () => {
    const w = await world();
    const raw = fixture("gmail-new.eml", { support: w.support, mid: newId("onecommit") });
    const stored = await storeInbound({ orgId: w.org.id, source: "smtp", raw, mailFrom: null, rcptTo: w.support });
    if (!stored.stored) throw new Error("not stored");
    const seen: string[] = [];
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
      const text = a[0];
      seen.push(
        (typeof text === "string" ? text : String((text as { text?: string }).text ?? "")).trim().toLowerCase(),
      );
      return (query as (...x: unknown[]) => unknown).apply(this, a);
    } as typeof pg.Client.prototype.query;
    let r: ApplyOutcome;
    try {
      r = await applyInbound({ orgId: w.org.id, inboundId: stored.inboundId });
    } finally {
      pg.Client.prototype.query = query;
    }
    expect(r.outcome).toBe("ticket");
    expect(seen.filter((t) => t === "commit")).toHaveLength(1);
    expect(seen.filter((t) => t.startsWith("begin"))).toHaveLength(1);
    expect(seen.filter((t) => /from "inbound_messages"/.test(t))).toHaveLength(1);
    expect(await applyInbound({ orgId: w.org.id, inboundId: stored.inboundId })).toEqual({ outcome: "skipped" });
    expect(await q(sql`select 1 from tickets where org_id = ${w.org.id}`)).toHaveLength(1);
  });

  it("an existing user of the org is the requester, not a new account", async () => {
    const w = await world();
    const known = await createUser(w.org, { role: "customer", email: "Robin.Example@gmail.test" });
    const r = await deliver(w, "gmail-new.eml");
    const users = await q<{ id: string }>(
      sql`select id from users where org_id = ${w.org.id} and lower(email) = 'robin.example@gmail.test'`,
    );
    expect(users).toEqual([{ id: known.id }]);
    expect((await ticketOf(r.ticketId!)).requester_email).toBe("Robin.Example@gmail.test");
  });

  it("HTML-only mail becomes markdown rendered by the comment sanitizer: no script, no tracking pixel, links kept", async () => {
    const w = await world();
    const r = await deliver(w, "html-only.eml");
    const [c] = await commentsOf(r.ticketId!);
    expect(c!.body).toContain("**invoice**");
    expect(c!.body).toContain("[invoice 42](https://billing.example.test/inv/42)");
    expect(c!.body).toMatch(/-\s+expected: 100 EUR/);
    expect(c!.body).not.toMatch(/alert|script|color: red|ignored|pixel/);
    expect(c!.body_html).toContain("<strong>invoice</strong>");
    expect(c!.body_html).not.toMatch(/<script|onclick|<img|<style/i);
  });

  it("forwarded mail keeps the forwarded content (it is the point of the message)", async () => {
    const w = await world();
    const r = await deliver(w, "forwarded.eml");
    const t = await ticketOf(r.ticketId!);
    expect(t.subject).toBe("Delivery delayed");
    const [c] = await commentsOf(r.ticketId!);
    expect(c!.body).toContain("The courier says it is your warehouse.");
    expect(c!.body).toContain("Your parcel 123456 is delayed");
  });

  it("a calendar invite opens a ticket with its text; the .ics is refused by the upload allow-list and listed as such", async () => {
    const w = await world();
    const r = await deliver(w, "calendar-invite.eml");
    const [c] = await commentsOf(r.ticketId!);
    expect(c!.body).toContain("onboarding call on Tuesday at 10:00");
    // Uploads do not take calendars (text/calendar is not on the allow-list): same rule by email.
    expect(c!.email!.refused).toEqual([
      { filename: "invite.ics", reason: expect.stringContaining("text/calendar is not on the allow-list") },
    ]);
    expect(c!.body).toContain("- invite.ics: this file type is not accepted");
    expect(await q(sql`select 1 from attachments where ticket_id = ${r.ticketId!}`)).toHaveLength(0);
  });

  it.each([
    ["iso-8859-1.eml", "Rechnung für März", "juergen@kunde.test", "Grüße aus Köln"],
    [
      "windows-1252.eml",
      "Price quote",
      "pat@customer.test",
      "\u201cpremium plan\u201d costs 120\u20ac \u2013 is that right?",
    ],
    ["iso-2022-jp.eml", "請求書について", "yamada@kokyaku.test", "請求書が届いていません。"],
  ])("%s: charset decoded in subject, sender and body", async (name, subject, from, text) => {
    const w = await world();
    const r = await deliver(w, name);
    expect(await ticketOf(r.ticketId!)).toMatchObject({ subject, requester_email: from });
    const [c] = await commentsOf(r.ticketId!);
    expect(c!.body).toContain(text);
  });

  it("ISO-2022-JP sender name is decoded for the new customer", async () => {
    const w = await world();
    await deliver(w, "iso-2022-jp.eml");
    const [u] = await q<{ name: string }>(
      sql`select name from users where org_id = ${w.org.id} and email = 'yamada@kokyaku.test'`,
    );
    expect(u!.name).toBe("山田太郎");
  });

  it("RFC 2047 subject and RFC 2231 file name are decoded; the PDF passes the upload rules", async () => {
    const w = await world();
    const r = await deliver(w, "rfc2231-filename.eml");
    expect((await ticketOf(r.ticketId!)).subject).toBe("Café order – résumé attached");
    const files = await q<{ filename: string; content_type: string; comment_id: string | null }>(
      sql`select filename, content_type, comment_id from attachments where ticket_id = ${r.ticketId!}`,
    );
    expect(files).toEqual([{ filename: "résumé.pdf", content_type: "application/pdf", comment_id: r.commentId }]);
  });

  it("a refused attachment is listed on the comment with its name and why, and not stored", async () => {
    const w = await world();
    const r = await deliver(w, "exe-attachment.eml");
    const [c] = await commentsOf(r.ticketId!);
    expect(c!.email!.refused).toEqual([{ filename: "setup.exe", reason: expect.stringMatching(/not accepted/) }]);
    expect(c!.body).toMatch(/Attachments not accepted:\n- setup\.exe: .*not accepted/);
    expect(await q(sql`select 1 from attachments where ticket_id = ${r.ticketId!}`)).toHaveLength(0);
  });

  it("30 recipients: the 29 Cc addresses become the ticket's CCs", async () => {
    const w = await world();
    const r = await deliver(w, "thirty-recipients.eml");
    const ccs = await q<{ email: string }>(
      sql`select email from ticket_ccs where ticket_id = ${r.ticketId!} order by email`,
    );
    expect(ccs.map((c) => c.email)).toEqual(
      Array.from({ length: 29 }, (_, i) => `person${String(i + 1).padStart(2, "0")}@customer.test`),
    );
    const [c] = await commentsOf(r.ticketId!);
    expect(c!.email!.cc).toHaveLength(29);
  });
});

describe("replies thread to their ticket with the quoted history stripped", () => {
  it.each([
    ["gmail-reply-en.eml", "It is out now, the fire brigade came.", ["We are sending someone", "wrote:"]],
    [
      "outlook-reply-en.eml",
      "Thanks, the technician fixed it. Closing from my side.",
      ["We are sending someone", "Sent: Sunday"],
    ],
    ["outlook-original-message.eml", "The new toner arrived as well.", ["Original Message", "We are sending someone"]],
    ["apple-mail-reply.eml", "Sure, tomorrow at 10 works for me.", ["When can they come", "wrote:"]],
    ["gmail-reply-de.eml", "Vielen Dank, jetzt funktioniert alles wieder.", ["schrieb", "Bitte starten"]],
    ["outlook-reply-de.eml", "Der Techniker war da, danke für die schnelle Hilfe.", ["Gesendet:", "Wir schicken"]],
    ["gmail-reply-fr.eml", "Merci, c'est réparé. À bientôt !", ["a écrit", "Nous envoyons"]],
    ["gmail-reply-es.eml", "Gracias, ya funciona. ¡Saludos!", ["escribió", "Enviamos"]],
  ])("%s", async (name, kept, gone) => {
    const { w, orig, ticketId } = await conversation();
    const r = await deliver(w, name, { orig });
    expect(r).toMatchObject({ outcome: "reply", ticketId });
    const comments = await commentsOf(ticketId);
    expect(comments).toHaveLength(2);
    const c = comments[1]!;
    expect(c.body).toContain(kept);
    for (const g of gone) expect(c.body).not.toContain(g);
    expect(c).toMatchObject({ channel: "email", author_email: "casey@customer.test" });
    expect(await ticketCount(w.org.id)).toBe(1);
  });

  it("[#n] in the subject threads for the ticket's requester", async () => {
    const { w, ticketId, number } = await conversation();
    const r = await deliver(w, "subject-tag-requester.eml", { n: String(number) });
    expect(r).toMatchObject({ outcome: "reply", ticketId });
  });

  it("[#n] from someone who is neither requester nor CC opens a new ticket and leaves #n alone", async () => {
    const { w, ticketId, number } = await conversation();
    const r = await deliver(w, "subject-tag-stranger.eml", { n: String(number) });
    expect(r.outcome).toBe("ticket");
    expect(r.ticketId).not.toBe(ticketId);
    expect(await commentsOf(ticketId)).toHaveLength(1);
  });

  it("a CC of the ticket may reply through [#n]", async () => {
    const { w, ticketId, number } = await conversation();
    await unsafeWithSystem((tx) =>
      tx.execute(
        sql`insert into ticket_ccs (org_id, ticket_id, email) values (${w.org.id}, ${ticketId}, 'mallory@attacker.test')`,
      ),
    );
    const r = await deliver(w, "subject-tag-stranger.eml", { n: String(number) });
    expect(r).toMatchObject({ outcome: "reply", ticketId });
  });

  it("a reply to a closed ticket opens a new ticket that links to it", async () => {
    const { w, orig, ticketId, number } = await conversation();
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update tickets set status = 'closed', closed_at = now() where id = ${ticketId}`),
    );
    const r = await deliver(w, "gmail-reply-en.eml", { orig });
    expect(r.outcome).toBe("ticket");
    expect(r.ticketId).not.toBe(ticketId);
    const [c] = await commentsOf(r.ticketId!);
    expect(c!.body).toContain(`Follow-up to #${number}, which is closed.`);
    expect(c!.body).toContain("It is out now");
    expect(await commentsOf(ticketId)).toHaveLength(1);
  });

  it("the requester's reply reopens a solved ticket, as a web reply would", async () => {
    const { w, orig, ticketId } = await conversation();
    await unsafeWithSystem((tx) => tx.execute(sql`update tickets set status = 'solved' where id = ${ticketId}`));
    await deliver(w, "gmail-reply-en.eml", { orig });
    expect((await ticketOf(ticketId)).status).toBe("open");
  });
});

describe("automatic mail and loops create nothing and are recorded as dropped", () => {
  it.each([
    ["out-of-office.eml", /Auto-Submitted: auto-replied/],
    ["mailing-list.eml", /Precedence: bulk|List-Id/],
    ["beacon-own-message-id.eml", /loop: a Beacon notification/],
  ])("%s", async (name, reason) => {
    const { w, orig, ticketId } = await conversation();
    const r = await deliver(w, name, { orig });
    expect(r.outcome).toBe("dropped");
    expect(await inbound(r.inboundId)).toMatchObject({
      status: "dropped",
      reason: expect.stringMatching(reason),
      ticket_id: null,
    });
    expect(await ticketCount(w.org.id)).toBe(1);
    expect(await commentsOf(ticketId)).toHaveLength(1);
  });

  it.each(["dsn-bounce.eml", "exchange-ndr.eml", "gmail-bounce.eml", "dsn-delayed.eml"])(
    "%s: a delivery report creates nothing; about mail the org did not send it marks nothing (email-bounces.test.ts has the rest)",
    async (name) => {
      const { w, orig, ticketId } = await conversation();
      const r = await deliver(w, name, { orig, about: orig, rcpt: "robin.example@gmail.test" });
      expect(r.outcome).toBe("bounce");
      expect(await inbound(r.inboundId)).toMatchObject({ status: "dropped", outcome: "bounce", ticket_id: null });
      expect(await ticketCount(w.org.id)).toBe(1);
      expect(await commentsOf(ticketId)).toHaveLength(1);
      const marked = await q(sql`select 1 from users where org_id = ${w.org.id} and email_bouncing_at is not null`);
      expect(marked).toHaveLength(0);
    },
  );

  it("a message whose Message-ID Beacon sent (an outbound mail bounced back as is) is a loop", async () => {
    const { w, ticketId } = await conversation();
    const mid = newId("sent-by-us");
    await q(
      sql`insert into email_message_ids (org_id, message_id, ticket_id, direction) values (${w.org.id}, ${mid}, ${ticketId}, 'outbound')`,
    );
    const r = await deliver(w, "gmail-new.eml", { mid });
    expect(r).toMatchObject({ outcome: "dropped", reason: "loop: a Message-ID Beacon sent" });
    expect(await ticketCount(w.org.id)).toBe(1);
  });

  it("mail from another org's support address (two helpdesks answering each other) is a loop", async () => {
    const w = await world();
    const other = await world();
    const r = await deliver(w, "mail-loop.eml", { other_support: other.support });
    expect(r).toMatchObject({ outcome: "dropped", reason: "loop: the sender is a support address" });
    expect(await ticketCount(w.org.id)).toBe(0);
  });

  it("a support address (of another org or its own) in Cc never becomes a CC: the two helpdesks would mail each other", async () => {
    const w = await world();
    const other = await world();
    const r = await deliver(w, "cc-support-address.eml", { other_support: other.support });
    expect(r.outcome).toBe("ticket");
    const ccs = await q<{ email: string }>(sql`select email from ticket_ccs where ticket_id = ${r.ticketId!}`);
    expect(ccs.map((c) => c.email)).toEqual(["friend@customer.test"]);
  });

  it("applying the same stored message twice does it once", async () => {
    const w = await world();
    const r = await deliver(w, "gmail-new.eml");
    expect(await applyInbound({ orgId: w.org.id, inboundId: r.inboundId })).toEqual({ outcome: "skipped" });
    expect(await ticketCount(w.org.id)).toBe(1);
  });
});

describe("across orgs", () => {
  it("a forged From of org A's requester with A's Message-ID and [#n], sent to org B, never touches A's ticket", async () => {
    const a = await conversation();
    const b = await world();
    // Org B has a ticket with the same number, of another requester: the tag must not reach it either.
    const bFirst = await deliver(b, "gmail-new.eml");
    const n = (await ticketOf(bFirst.ticketId!)).number;
    const r = await deliver(b, "forged-from.eml", {
      victim: "Casey Jones <casey@customer.test>",
      orig: a.orig,
      n: String(n),
    });
    expect(r.outcome).toBe("ticket");
    expect((await ticketOf(r.ticketId!)).org_id).toBe(b.org.id);
    expect(await commentsOf(a.ticketId)).toHaveLength(1);
    expect(await commentsOf(bFirst.ticketId!)).toHaveLength(1);
  });

  it("a Message-ID of org A's conversation sent to org B's address starts a ticket in B", async () => {
    const a = await conversation();
    const b = await world();
    const r = await deliver(b, "gmail-reply-en.eml", { orig: a.orig, support: b.support });
    expect(r.outcome).toBe("ticket");
    expect((await ticketOf(r.ticketId!)).org_id).toBe(b.org.id);
    expect(await commentsOf(a.ticketId)).toHaveLength(1);
  });
});

describe("the comment API shows the channel", () => {
  it("an email comment carries channel email and its envelope; a web reply says web", async () => {
    const { w, orig, ticketId } = await conversation();
    const agent = await createUser(w.org, { role: "agent" });
    const who = { cookie: await sessionCookie(agent) };
    expect((await api.addComment(who, ticketId, { body: "On our way." })).status).toBe(201);
    const r = await api.listComments(who, ticketId);
    expect(r.status).toBe(200);
    const data = (r.body as { data: { channel: string; email: unknown }[] }).data;
    expect(data[0]).toMatchObject({
      channel: "email",
      email: { from: "casey@customer.test", to: [w.support], cc: [], messageId: orig },
    });
    expect(data.at(-1)).toMatchObject({ channel: "web", email: null });
  });
});

describe("the ndjson export carries the same comment shape", () => {
  it("an email comment with a refused file exports exactly as the comment API shows it", async () => {
    const w = await world();
    const r = await deliver(w, "exe-attachment.eml");
    const admin = await createUser(w.org, { role: "admin" });
    const who = { cookie: await sessionCookie(admin) };
    const viaApi = ((await api.listComments(who, r.ticketId!)).body as { data: unknown[] }).data;
    const res = await exportRoute.GET(
      new Request("http://localhost/api/v1/export/tickets?format=ndjson", {
        headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" },
      }),
    );
    expect(res.status).toBe(200);
    const [doc] = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { comments: unknown[] });
    expect(doc!.comments).toEqual(viaApi);
    expect(doc!.comments[0]).toMatchObject({
      channel: "email",
      email: { from: "casey@customer.test", refused: [{ filename: "setup.exe" }] },
    });
  });
});
