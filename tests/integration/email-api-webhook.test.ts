import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { applyInbound } from "../../src/server/intake/apply-inbound";
import { setProcessEnv } from "../../src/server/env";
import { apiRoute, call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// The provider webhook POST /api/v1/email/inbound over HTTP through the route table (issue 12
// item 2, decision 039): per-org secret, size limit, idempotence, the kill switch, and the wall
// between orgs.

let A: World, B: World;
let supportA: string, supportB: string;
beforeAll(async () => {
  [A, B] = await Promise.all([createWorld(), createWorld()]);
  supportA = `support-${randomBytes(4).toString("hex")}@a-${randomBytes(2).toString("hex")}.test`;
  supportB = `support-${randomBytes(4).toString("hex")}@b-${randomBytes(2).toString("hex")}.test`;
  expect(
    (
      await call(apiRoute.POST, "POST", "/api/v1/email/addresses", {
        cookie: A.admin.cookie,
        body: { address: supportA },
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await call(apiRoute.POST, "POST", "/api/v1/email/addresses", {
        cookie: B.admin.cookie,
        body: { address: supportB },
      })
    ).status,
  ).toBe(201);
});

const message = (
  to: string,
  subject = "Printer on fire",
  messageId: string | null = `wh-${randomBytes(6).toString("hex")}@mail.customer.test`,
) =>
  [
    `From: Pat Customer <pat-${randomBytes(3).toString("hex")}@customer.test>`,
    `To: ${to}`,
    `Subject: ${subject}`,
    ...(messageId ? [`Message-ID: <${messageId}>`] : []),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    `Hello, ${subject}`,
    "",
  ].join("\r\n");
const post = (secret: string | null, body: string, o: { type?: string; query?: Record<string, string> } = {}) =>
  call(apiRoute.POST, "POST", "/api/v1/email/inbound", {
    body,
    query: o.query,
    headers: { "content-type": o.type ?? "message/rfc822", ...(secret ? { authorization: `Bearer ${secret}` } : {}) },
  });
const newSecret = async (w: World) => {
  const r = await call(apiRoute.POST, "POST", "/api/v1/email/inbound-secret", { cookie: w.admin.cookie });
  expect(r.status, r.text).toBe(201);
  return r.body.secret as string;
};
const stored = async (orgId: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ id: string; source: string; rcpt_to: string }>(
        sql`select id, source::text, rcpt_to from inbound_messages where org_id = ${orgId} order by received_at`,
      ),
    )
  ).rows;
const ticketCount = async (orgId: string) =>
  Number(
    (
      await unsafeWithSystem((tx) =>
        tx.execute<{ n: string }>(sql`select count(*)::text as n from tickets where org_id = ${orgId}`),
      )
    ).rows[0]!.n,
  );

describe("provider webhook", () => {
  it("the secret is shown once, stored hashed, audited; only admins manage it", async () => {
    expect((await call(apiRoute.GET, "GET", "/api/v1/email/inbound-secret", { cookie: A.admin.cookie })).body).toEqual({
      configured: false,
      hint: null,
      createdAt: null,
    });
    expect((await call(apiRoute.POST, "POST", "/api/v1/email/inbound-secret", { cookie: A.agent.cookie })).status).toBe(
      403,
    );
    expect(
      (await call(apiRoute.GET, "GET", "/api/v1/email/inbound-secret", { cookie: A.customer.cookie })).status,
    ).toBe(403);
    const secret = await newSecret(A);
    const shown = await call(apiRoute.GET, "GET", "/api/v1/email/inbound-secret", { cookie: A.admin.cookie });
    expect(shown.body).toMatchObject({ configured: true, hint: `bwi_…${secret.slice(-4)}` });
    expect(shown.text).not.toContain(secret);
    const row = (
      await unsafeWithSystem((tx) =>
        tx.execute<Record<string, string>>(sql`select * from email_inbound_secrets where org_id = ${A.org.id}`),
      )
    ).rows[0]!;
    expect(JSON.stringify(row)).not.toContain(secret.slice(4));
    const audit = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ data: unknown }>(
          sql`select data from audit_events where org_id = ${A.org.id} and action = 'email.inbound_secret.rotated'`,
        ),
      )
    ).rows;
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(secret.slice(8));
  });

  it("stores a message for the org, committed before the 202; the same message again is the same answer and one ticket", async () => {
    const secret = await newSecret(A);
    const raw = message(`Support <${supportA}>`);
    const first = await post(secret, raw);
    expect(first.status, first.text).toBe(202);
    const rows = (await stored(A.org.id)).filter((r) => r.id === first.body.id);
    expect(rows).toMatchObject([{ source: "webhook", rcpt_to: supportA }]);
    const again = await post(secret, raw);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    const before = await ticketCount(A.org.id);
    expect(await applyInbound({ orgId: A.org.id, inboundId: first.body.id })).toMatchObject({ outcome: "ticket" });
    expect(await applyInbound({ orgId: A.org.id, inboundId: again.body.id })).toMatchObject({ outcome: "skipped" });
    expect(await ticketCount(A.org.id)).toBe(before + 1);
    // Without a Message-ID the bytes are the key.
    const bare = message(supportA, "no id", null);
    expect((await post(secret, bare)).body).toEqual((await post(secret, bare)).body);
  });

  it("no secret, a wrong one, a rotated one or another org's is 401 and stores nothing", async () => {
    const old = await newSecret(A);
    const secret = await newSecret(A);
    const count = (await stored(A.org.id)).length;
    const forged = secret.slice(0, -4) + (secret.endsWith("AAAA") ? "BBBB" : "AAAA");
    for (const s of [null, "nonsense", old, forged, `bwi_${"0".repeat(32)}_${"A".repeat(43)}`]) {
      const r = await post(s, message(supportA));
      expect(r.status, String(s)).toBe(401);
      expect(r.body.error.code).toBe("unauthenticated");
    }
    // B's own secret cannot put mail into A's address: B has no such address (400), and A's table is untouched.
    const b = await newSecret(B);
    const cross = await post(b, message(supportA));
    expect(cross.status).toBe(400);
    expect((await stored(A.org.id)).length).toBe(count);
    expect((await stored(B.org.id)).length).toBe(0);
    expect((await post(secret, message(supportA))).status).toBe(202);
    // Revoked: 401.
    expect(
      (await call(apiRoute.DELETE, "DELETE", "/api/v1/email/inbound-secret", { cookie: A.admin.cookie })).status,
    ).toBe(204);
    expect((await post(secret, message(supportA))).status).toBe(401);
  });

  it("refuses a wrong media type (415), an oversized body (413), no support address (400), and with email_inbound off answers 503 storing nothing", async () => {
    const secret = await newSecret(B);
    const count = (await stored(B.org.id)).length;
    expect((await post(secret, message(supportB), { type: "text/plain" })).status).toBe(415);
    expect((await post(secret, message("someone@else.test"))).status).toBe(400);
    // ?recipient= names the support address when the headers do not (a provider's envelope recipient).
    expect((await post(secret, message("someone@else.test"), { query: { recipient: supportB } })).status).toBe(202);
    expect((await post(secret, "just some words")).status).toBe(400);
    setProcessEnv({ INBOUND_MAX_BYTES: "2048" });
    try {
      const big = await post(secret, message(supportB, "big") + "x".repeat(4096));
      expect(big.status).toBe(413);
      expect(big.body.error.code).toBe("payload_too_large");
    } finally {
      setProcessEnv({ INBOUND_MAX_BYTES: String(25 * 1024 * 1024) });
    }
    expect((await stored(B.org.id)).length).toBe(count + 1);
    const off = await call(apiRoute.PUT, "PUT", "/api/v1/feature-flags", {
      cookie: B.admin.cookie,
      body: { key: "email_inbound", enabled: false },
    });
    expect(off.status, off.text).toBe(200);
    try {
      const r = await post(secret, message(supportB));
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe("feature_disabled");
      expect((await stored(B.org.id)).length).toBe(count + 1);
    } finally {
      await call(apiRoute.PUT, "PUT", "/api/v1/feature-flags", {
        cookie: B.admin.cookie,
        body: { key: "email_inbound", enabled: null },
      });
    }
    expect((await post(secret, message(supportB))).status).toBe(202);
  });
});
