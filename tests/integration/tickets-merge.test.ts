import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { handleCustomerMail, type CustomerMailJob } from "../../src/server/email/customer-mail";
import { startSmtpReceiver, type RunningSmtpReceiver } from "../../src/server/email/smtp-receiver";
import { setProcessEnv } from "../../src/server/env";
import { QUEUES } from "../../src/server/jobs/queues";
import { api, newTicket } from "../helpers/api";
import { createSupportAddress, deliverAndApply } from "../helpers/email";
import { apiRoute, call } from "../helpers/http";
import { jobsIn } from "../helpers/jobs";
import { createWorld, type Actor, type World } from "../helpers/world";

// Merge and link (issue 14 item 4, decision 051): a duplicate merged into another ticket loses
// nothing (every comment and file of both is reachable on the target), is closed pointing there,
// both are audited, both requesters can be told by email, and mail answering the duplicate lands on
// the target. Links show on both tickets. Staff only; another org's tickets are 404 and untouched.

let A: World, B: World;
let supportA: string;
let rx: RunningSmtpReceiver;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-merge-"));
const spool = path.join(dataDir, "mail");

beforeAll(async () => {
  [A, B] = await Promise.all([createWorld(), createWorld()]);
  supportA = await createSupportAddress(A.org);
  rx = await startSmtpReceiver({ host: "127.0.0.1", port: 0 }, { maxBytes: 1024 * 1024, ratePerMin: 1000 });
  setProcessEnv({ BEACON_DATA_DIR: dataDir, SMTP_URL: "" });
});
afterAll(async () => {
  await rx?.close();
  setProcessEnv({});
  fs.rmSync(dataDir, { recursive: true, force: true });
});

type Who = { cookie: string };
const merge = (who: Who, id: string, body: unknown) =>
  call(apiRoute.POST, "POST", `/api/v1/tickets/${id}/merge`, { cookie: who.cookie, body });
const links = (who: Who, id: string) =>
  call(apiRoute.GET, "GET", `/api/v1/tickets/${id}/links`, { cookie: who.cookie });
const link = (who: Who, id: string, body: unknown) =>
  call(apiRoute.POST, "POST", `/api/v1/tickets/${id}/links`, { cookie: who.cookie, body });
const unlink = (who: Who, id: string, other: string) =>
  call(apiRoute.DELETE, "DELETE", `/api/v1/tickets/${id}/links/${other}`, { cookie: who.cookie });
const files = (who: Who, id: string) =>
  call(apiRoute.GET, "GET", `/api/v1/tickets/${id}/attachments`, { cookie: who.cookie });
const download = (who: Who, id: string) =>
  call(apiRoute.GET, "GET", `/api/v1/attachments/${id}`, { cookie: who.cookie });
const auditOf = async (orgId: string, entityId: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ action: string; actor_id: string | null; data: Record<string, unknown> }>(
        sql`select action, actor_id, data from audit_events where org_id = ${orgId} and entity_id = ${entityId} order by seq`,
      ),
    )
  ).rows;
const row = async (id: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ status: string; merged_into_id: string | null; version: number }>(
        sql`select status::text, merged_into_id, version from tickets where id = ${id}`,
      ),
    )
  ).rows[0]!;

async function upload(who: Actor, ticketId: string, name: string, content: string): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([content], { type: "text/plain" }), name);
  const req = new Request(`http://localhost/api/v1/tickets/${ticketId}/attachments`, {
    method: "POST",
    body: form,
    headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" },
  });
  const res = await apiRoute.POST(req);
  const body = (await res.json()) as { id: string };
  if (res.status !== 201) throw new Error(`upload → ${res.status} ${JSON.stringify(body)}`);
  return body.id;
}

async function allComments(
  who: Who,
  id: string,
): Promise<{ id: string; ticketId: string; body: string; internal: boolean; authorId: string; createdAt: string }[]> {
  const out = [];
  let cursor: string | undefined;
  do {
    const r = await api.listComments(who, id, cursor ? { limit: "100", cursor } : { limit: "100" });
    expect(r.status, r.text).toBe(200);
    out.push(...r.body.data);
    cursor = r.body.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

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

async function mailIn(from: string, subject: string, inReplyTo?: string, to = supportA) {
  const messageId = `m-${randomBytes(5).toString("hex")}@customer.test`;
  const r = await deliverAndApply(
    rx.port,
    to,
    raw({ from: `Casey Jones <${from}>`, to, subject, messageId, inReplyTo, body: `About ${subject}.` }),
    from,
  );
  return { ...r, messageId };
}

describe("merging a ticket", () => {
  it("moves every comment, file and CC of the duplicate to the target; nothing of either is lost; the duplicate is closed pointing there; both audited", async () => {
    const dup = await newTicket(A.customer, { subject: "Printer jammed" });
    const target = await newTicket(A.customer2, { subject: "Printer broken" });
    await api.addComment(A.agent, dup.id, { body: "Have you tried turning it off?" });
    await api.addComment(A.agent, dup.id, { body: "Staff-only: probably the fuser", internal: true });
    await api.addComment(A.customer, dup.id, { body: "Yes, still jammed." });
    await api.addComment(A.agent, target.id, { body: "Looking into it." });
    const fileDup = await upload(A.customer, dup.id, "jam.txt", "jam log");
    const fileTarget = await upload(A.agent, target.id, "broken.txt", "broken log");
    const cc = `cc-${randomBytes(3).toString("hex")}@partner.test`;
    expect(
      (
        await call(apiRoute.POST, "POST", `/api/v1/tickets/${dup.id}/ccs`, {
          cookie: A.agent.cookie,
          body: { email: cc },
        })
      ).status,
    ).toBe(201);

    const before = [...(await allComments(A.agent, dup.id)), ...(await allComments(A.agent, target.id))];
    expect(before).toHaveLength(6); // two opening messages, three on the duplicate, one on the target

    const r = await merge(A.agent, dup.id, { number: target.number });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({
      ticketId: dup.id,
      mergedIntoId: target.id,
      mergedIntoNumber: target.number,
      moved: { comments: 4, attachments: 1, ccs: 2, messageIds: 0 },
      emailsQueued: 0,
    });

    // Every comment of both tickets is on the target, unchanged (author, time, body, internal flag).
    const after = await allComments(A.agent, target.id);
    for (const c of before)
      expect(
        after.find((x) => x.id === c.id),
        c.body,
      ).toEqual({ ...c, ticketId: target.id });
    expect(after.some((c) => c.internal && c.body.includes(`#${dup.number}`))).toBe(true);
    // Every file of both is listed on the target and downloads.
    const listed = (await files(A.agent, target.id)).body.data.map((f: { id: string }) => f.id);
    expect(listed).toEqual(expect.arrayContaining([fileDup, fileTarget]));
    expect((await download(A.agent, fileDup)).text).toBe("jam log");
    expect((await download(A.agent, fileTarget)).text).toBe("broken log");
    // The duplicate's CC, and its requester, are CCs of the target now.
    const ccs = (
      await call(apiRoute.GET, "GET", `/api/v1/tickets/${target.id}/ccs`, { cookie: A.agent.cookie })
    ).body.data.map((c: { email: string }) => c.email);
    expect(ccs).toEqual(expect.arrayContaining([cc, A.customer.email.toLowerCase()]));

    // The duplicate: closed, pointing at the target, with a note saying where everything went.
    expect(await row(dup.id)).toMatchObject({ status: "closed", merged_into_id: target.id });
    const left = await allComments(A.agent, dup.id);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ internal: true });
    expect(left[0]!.body).toContain(`#${target.number}`);
    expect((await links(A.agent, dup.id)).body).toMatchObject({
      mergedInto: { id: target.id, number: target.number },
      mergedFrom: [],
      data: [],
    });
    expect((await links(A.agent, target.id)).body).toMatchObject({
      mergedInto: null,
      mergedFrom: [{ id: dup.id, number: dup.number, status: "closed" }],
    });
    // The duplicate stays visible to its requester, closed.
    expect((await api.getTicket(A.customer, dup.id)).body.status).toBe("closed");

    // Audited on both, by the agent.
    expect((await auditOf(A.org.id, dup.id)).find((e) => e.action === "ticket.merged")).toMatchObject({
      actor_id: A.agent.id,
      data: { into: { id: target.id, number: target.number }, moved: { comments: 4, attachments: 1 } },
    });
    expect((await auditOf(A.org.id, target.id)).find((e) => e.action === "ticket.merge_received")).toMatchObject({
      actor_id: A.agent.id,
      data: { from: { id: dup.id, number: dup.number } },
    });
    // The events API shows it on both tickets.
    expect((await api.events(A.agent, dup.id)).body.data.map((e: { action: string }) => e.action)).toContain(
      "ticket.merged",
    );
  });

  it("refuses bad merges with a clear 4xx and changes nothing", async () => {
    const a = await newTicket(A.agent, { requesterId: A.customer.id });
    const b = await newTicket(A.agent, { requesterId: A.customer.id });
    const closed = await newTicket(A.agent, { requesterId: A.customer.id });
    expect((await api.patchTicket(A.agent, closed.id, { status: "closed" })).status).toBe(200);
    const va = (await row(a.id)).version;
    for (const [body, status] of [
      [{ ticketId: a.id }, 400],
      [{}, 400],
      [{ ticketId: b.id, number: b.number }, 400],
      [{ number: 0 }, 400],
      [{ number: "7" }, 400],
      [{ ticketId: "nope" }, 400],
      [{ ticketId: b.id, extra: 1 }, 400],
      [{ number: 2_000_000_000 }, 404],
      [{ ticketId: closed.id }, 409],
    ] as const) {
      const r = await merge(A.agent, a.id, body);
      expect(r.status, `${JSON.stringify(body)} → ${r.text}`).toBe(status);
    }
    expect((await merge(A.agent, closed.id, { ticketId: a.id })).status).toBe(409);
    expect(await row(a.id)).toMatchObject({ status: "new", merged_into_id: null, version: va });
  });

  it("is for staff only, and never across orgs: customers 403, another org's tickets 404, untouched", async () => {
    const a = await newTicket(A.customer);
    const b = await newTicket(A.customer);
    const other = await newTicket(B.agent, { requesterId: B.customer.id });
    expect((await merge(A.customer, a.id, { ticketId: b.id })).status).toBe(403);
    // A's agent cannot merge B's ticket, nor merge into it; B's admin cannot touch A's.
    expect((await merge(A.agent, other.id, { ticketId: a.id })).status).toBe(404);
    expect((await merge(A.agent, a.id, { ticketId: other.id })).status).toBe(404);
    expect((await merge(A.agent, a.id, { number: other.number + 100_000 })).status).toBe(404);
    expect((await merge(B.admin, a.id, { ticketId: other.id })).status).toBe(404);
    expect((await merge(B.admin, other.id, { ticketId: a.id })).status).toBe(404);
    expect((await links(B.admin, a.id)).status).toBe(404);
    for (const id of [a.id, b.id, other.id]) expect(await row(id)).toMatchObject({ merged_into_id: null });
    expect(await allComments(A.agent, a.id)).toHaveLength(1);
    expect(await allComments(B.agent, other.id)).toHaveLength(1);
  });

  it("tells both requesters by email when asked, in the target's thread; replies to the duplicate's mail land on the target", async () => {
    const first = `first-${randomBytes(3).toString("hex")}@customer.test`;
    const second = `second-${randomBytes(3).toString("hex")}@customer.test`;
    const dup = await mailIn(first, "VPN down");
    const target = await mailIn(second, "VPN is down for everyone");
    const r = await merge(A.agent, dup.ticketId!, { ticketId: target.ticketId, notifyRequesters: true });
    expect(r.status, r.text).toBe(200);
    expect(r.body.emailsQueued).toBe(2);
    expect(r.body.moved.messageIds).toBeGreaterThanOrEqual(1);
    const jobs = (await jobsIn(QUEUES.customerEmail.name, { ticketId: target.ticketId!, kind: "merged" })).map(
      (j) => j.data as CustomerMailJob,
    );
    expect(jobs).toHaveLength(2);
    for (const job of jobs) expect(await handleCustomerMail(job)).toBe("sent");
    // A second run of the same job sends nothing more.
    expect(await handleCustomerMail(jobs[0]!)).toBe("skipped");
    const names = fs.readdirSync(spool).filter((n) => n.includes(target.ticketId!) && n.includes("beacon.merged."));
    expect(names).toHaveLength(2);
    const mails = await Promise.all(names.map((n) => simpleParser(fs.readFileSync(path.join(spool, n)))));
    const to = mails.map((m) => (Array.isArray(m.to) ? m.to[0] : m.to)!.value[0]!.address).sort();
    expect(to).toEqual([first, second].sort());
    const dupNumber = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ number: number }>(sql`select number from tickets where id = ${dup.ticketId}`),
      )
    ).rows[0]!.number;
    for (const m of mails) {
      expect(m.text).toContain(`#${dupNumber}`);
      expect(m.subject).toContain("[#");
      expect(m.inReplyTo).toBeTruthy();
    }

    // The first customer answers their original mail (its Message-ID was the duplicate's): it lands on the target.
    const reply = await mailIn(first, "Re: VPN down", dup.messageId);
    expect(reply.outcome).toBe("reply");
    expect(reply.ticketId).toBe(target.ticketId);
    // The subject tag of the duplicate, from its requester, lands on the target too.
    const tagged = await mailIn(first, `Re: VPN down [#${dupNumber}]`);
    expect(tagged.ticketId).toBe(target.ticketId);
    expect(await row(dup.ticketId!)).toMatchObject({ status: "closed" });
  });
});

describe("linking tickets", () => {
  it("links two tickets of the org (by id or number); both show it; once only; unlinking removes it from both; audited", async () => {
    const a = await newTicket(A.agent, { requesterId: A.customer.id, subject: "Wi-Fi slow" });
    const b = await newTicket(A.agent, { requesterId: A.customer2.id, subject: "Wi-Fi drops" });
    const c = await newTicket(A.agent, { requesterId: A.customer2.id, subject: "Wi-Fi password" });
    const r = await link(A.agent, a.id, { number: b.number });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ id: b.id, number: b.number, subject: "Wi-Fi drops" });
    expect((await link(A.admin, b.id, { ticketId: a.id })).status).toBe(201); // the same link, from the other side
    expect((await link(A.agent, c.id, { ticketId: a.id })).status).toBe(201);
    expect((await links(A.agent, a.id)).body.data.map((l: { id: string }) => l.id).sort()).toEqual([b.id, c.id].sort());
    expect((await links(A.agent, b.id)).body.data.map((l: { id: string }) => l.id)).toEqual([a.id]);
    expect((await links(A.agent, c.id)).body.data.map((l: { id: string }) => l.id)).toEqual([a.id]);
    const linkedEvents = (await auditOf(A.org.id, a.id)).filter((e) => e.action === "ticket.linked");
    expect(linkedEvents).toHaveLength(2);

    expect((await unlink(A.agent, b.id, a.id)).status).toBe(204);
    expect((await links(A.agent, a.id)).body.data.map((l: { id: string }) => l.id)).toEqual([c.id]);
    expect((await links(A.agent, b.id)).body.data).toEqual([]);
    expect((await unlink(A.agent, b.id, a.id)).status).toBe(404);
    expect((await auditOf(A.org.id, b.id)).filter((e) => e.action === "ticket.unlinked")).toHaveLength(1);
  });

  it("refuses self-links and bad input (400), customers (403) and other orgs' tickets (404)", async () => {
    const a = await newTicket(A.customer);
    const b = await newTicket(A.customer);
    const other = await newTicket(B.agent, { requesterId: B.customer.id });
    for (const body of [
      { ticketId: a.id },
      {},
      { ticketId: b.id, number: b.number },
      { number: -1 },
      { ticketId: b.id, x: 1 },
    ]) {
      expect((await link(A.agent, a.id, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await link(A.customer, a.id, { ticketId: b.id })).status).toBe(403);
    expect((await links(A.customer, a.id)).status).toBe(403);
    expect((await link(A.agent, a.id, { ticketId: other.id })).status).toBe(404);
    expect((await link(B.agent, other.id, { ticketId: a.id })).status).toBe(404);
    expect((await link(B.agent, a.id, { ticketId: other.id })).status).toBe(404);
    expect((await unlink(B.agent, a.id, b.id)).status).toBe(404);
    expect((await links(A.agent, a.id)).body.data).toEqual([]);
    expect((await links(B.agent, other.id)).body.data).toEqual([]);
  });
});
