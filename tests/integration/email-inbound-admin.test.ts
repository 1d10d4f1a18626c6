import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { markInboundDead } from "../../src/server/intake/apply-inbound";
import { startSmtpReceiver, type RunningSmtpReceiver } from "../../src/server/email/smtp-receiver";
import { QUEUES } from "../../src/server/jobs/queues";
import { createSupportAddress, deliverAndApply, sendRaw } from "../helpers/email";
import { apiRoute, call } from "../helpers/http";
import { jobsIn } from "../helpers/jobs";
import { createWorld, type World } from "../helpers/world";

// Held and failed inbound mail for the admin (decision 040): GET /api/v1/email/inbound lists what
// waits (held by the sender cap, with when it is applied; failed every retry, with the error), and
// GET /api/v1/email/inbound/{id}/raw gives the stored message byte for byte. Admin only, own org only.

let A: World, B: World;
let supportA: string;
let rx: RunningSmtpReceiver;
const held = { id: "", raw: "", from: "" };
const failed = { id: "", raw: "" };

const hex = () => randomBytes(4).toString("hex");
const mail = (from: string, to: string, subject: string) =>
  [
    `From: Flo Od <${from}>`,
    `To: ${to}`,
    `Subject: ${subject}`,
    `Message-ID: <w-${hex()}@customer.test>`,
    "Date: Mon, 07 Dec 2026 04:00:00 +0000",
    "Content-Type: text/plain; charset=utf-8",
    "",
    `About ${subject}.`,
    "",
  ].join("\r\n");
const list = (who: { cookie: string }, query: Record<string, string> = {}) =>
  call(apiRoute.GET, "GET", "/api/v1/email/inbound", { cookie: who.cookie, query });
const raw = (who: { cookie: string }, id: string) =>
  call(apiRoute.GET, "GET", `/api/v1/email/inbound/${id}/raw`, { cookie: who.cookie });

beforeAll(async () => {
  [A, B] = await Promise.all([createWorld(), createWorld()]);
  supportA = await createSupportAddress(A.org);
  await unsafeWithSystem((tx) =>
    tx.execute(
      sql`update orgs set settings = settings || '{"inboundTicketsPerSenderPerHour": 1}'::jsonb where id = ${A.org.id}`,
    ),
  );
  rx = await startSmtpReceiver({ host: "127.0.0.1", port: 0 }, { maxBytes: 1024 * 1024, ratePerMin: 1000 });

  held.from = `flood-${hex()}@customer.test`;
  expect((await deliverAndApply(rx.port, supportA, mail(held.from, supportA, "First"), held.from)).outcome).toBe(
    "ticket",
  );
  held.raw = mail(held.from, supportA, "Second =?utf-8?q?caf=C3=A9?=");
  const second = await deliverAndApply(rx.port, supportA, held.raw, held.from);
  expect(second.outcome).toBe("held");
  held.id = second.inboundId;

  // A message whose apply job failed every retry (the worker's dead-letter hook marks it).
  failed.raw = mail(`broken-${hex()}@customer.test`, supportA, "Broken");
  const r = await sendRaw(rx.port, { from: "bounce@customer.test", to: [supportA] }, failed.raw);
  failed.id = /Accepted (\S+)/.exec(r.response)![1]!;
  await markInboundDead({ orgId: A.org.id, inboundId: failed.id }, "failed every retry (test)");
});
afterAll(async () => {
  await rx?.close();
});

describe("GET /api/v1/email/inbound", () => {
  it("lists held mail with sender, subject, received and release time, and failed mail with its error, newest first", async () => {
    const r = await list(A.admin);
    expect(r.status, r.text).toBe(200);
    expect(r.body.data.map((m: { id: string }) => m.id)).toEqual([failed.id, held.id]);
    const [f, h] = r.body.data;
    expect(h).toMatchObject({
      status: "held",
      source: "smtp",
      from: held.from,
      subject: "Second café",
      reason: expect.stringMatching(/^held: 1 new tickets/),
      error: null,
    });
    // The release time is the delayed job's: about an hour after the first ticket.
    const rerun = (await jobsIn(QUEUES.inboundEmail.name, { inboundId: held.id }))
      .map((j) => new Date(j.start_after).getTime())
      .sort()
      .at(-1)!;
    expect(new Date(h!.releaseAt!).getTime()).toBe(rerun);
    expect(new Date(h!.releaseAt!).getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(f).toMatchObject({
      status: "failed",
      subject: "Broken",
      releaseAt: null,
      error: "failed every retry (test)",
    });
    expect(f!.from).toMatch(/^broken-/);

    expect((await list(A.admin, { status: "held" })).body.data.map((m: { id: string }) => m.id)).toEqual([held.id]);
    expect((await list(A.admin, { status: "failed", limit: "1" })).body.data.map((m: { id: string }) => m.id)).toEqual([
      failed.id,
    ]);
  });

  it("bad query is a 400", async () => {
    const queries: Record<string, string>[] = [{ status: "applied" }, { limit: "0" }, { limit: "x" }, { other: "1" }];
    for (const query of queries) expect((await list(A.admin, query)).status, JSON.stringify(query)).toBe(400);
  });
});

describe("GET /api/v1/email/inbound/{id}/raw", () => {
  it("gives the stored message byte for byte as a download", async () => {
    for (const m of [held, failed]) {
      const r = await raw(A.admin, m.id);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("message/rfc822");
      expect(r.headers.get("content-disposition")).toBe(`attachment; filename="inbound-${m.id.slice(0, 8)}.eml"`);
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(r.headers.get("cache-control")).toBe("private, no-store");
      const [stored] = (
        await unsafeWithSystem((tx) =>
          tx.execute<{ raw: Buffer }>(sql`select raw from inbound_messages where id = ${m.id}`),
        )
      ).rows;
      expect(Buffer.from(r.text, "utf8").equals(Buffer.from(stored!.raw))).toBe(true);
      expect(r.text).toContain("Subject: ");
    }
    expect((await raw(A.admin, "not-a-uuid")).status).toBe(400);
    expect((await raw(A.admin, "00000000-0000-4000-8000-000000000000")).status).toBe(404);
  });
});

describe("who may see waiting inbound mail", () => {
  it("agents and customers get 403; signed out 401", async () => {
    for (const who of [A.agent, A.customer]) {
      expect((await list(who)).status).toBe(403);
      expect((await raw(who, held.id)).status).toBe(403);
    }
    expect((await call(apiRoute.GET, "GET", "/api/v1/email/inbound")).status).toBe(401);
    expect((await call(apiRoute.GET, "GET", `/api/v1/email/inbound/${held.id}/raw`)).status).toBe(401);
  });

  it("another org's admin sees none of it: an empty list and a 404 for the message", async () => {
    const r = await list(B.admin);
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual([]);
    for (const id of [held.id, failed.id]) {
      const other = await raw(B.admin, id);
      expect(other.status).toBe(404);
      expect(other.text).not.toContain("Subject");
    }
  });
});
