import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { verifyChain } from "../../src/server/audit/verify-chain";
import { applyInbound, markInboundDead } from "../../src/server/intake/apply-inbound";
import { startSmtpReceiver, type RunningSmtpReceiver } from "../../src/server/email/smtp-receiver";
import { startWorker, type RunningWorker } from "../../src/server/worker/worker";
import { createOrg, type TestOrg } from "../helpers/factories";
import { createSupportAddress, sendRaw } from "../helpers/email";
import { waitFor } from "../helpers/jobs";

// The whole inbound path on real servers: nodemailer → the SMTP receiver → PostgreSQL → the
// pg-boss worker → a ticket.

let rx: RunningSmtpReceiver;
let worker: RunningWorker;
let org: TestOrg;
let support: string;

beforeAll(async () => {
  org = await createOrg();
  support = await createSupportAddress(org);
  rx = await startSmtpReceiver({ host: "127.0.0.1", port: 0 }, { maxBytes: 1024 * 1024, ratePerMin: 1000 });
  worker = await startWorker({ url: process.env.DATABASE_URL!, pollingIntervalSeconds: 0.5, schedule: false });
});
afterAll(async () => {
  await rx?.close();
  await worker?.stop(1_000);
});

const mail = (mid: string, subject: string, extra: string[] = [], from = "Sam Sender <sam@customer.test>") =>
  [
    `From: ${from}`,
    `To: ${support}`,
    `Subject: ${subject}`,
    `Message-ID: <${mid}>`,
    ...extra,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Hello from SMTP.",
    "",
  ].join("\r\n");

const row = async (mid: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ id: string; status: string; outcome: string | null; ticket_id: string | null }>(
        sql`select id, status::text as status, outcome, ticket_id from inbound_messages where org_id = ${org.id} and message_id = ${mid}`,
      ),
    )
  ).rows[0];

describe("inbound email through the worker", () => {
  it("a message sent over SMTP becomes a ticket in the recipient's org, once, however often it is delivered", async () => {
    const mid = `worker-${Date.now()}@customer.test`;
    await sendRaw(rx.port, { from: "sam@customer.test", to: [support] }, mail(mid, "Sent over SMTP"));
    await sendRaw(rx.port, { from: "sam@customer.test", to: [support] }, mail(mid, "Sent over SMTP"));
    const applied = await waitFor("the message applied", async () => {
      const r = await row(mid);
      return r?.status === "applied" ? r : undefined;
    });
    expect(applied.outcome).toBe("ticket");
    const tickets = await unsafeWithSystem((tx) =>
      tx.execute<{ subject: string; org_id: string }>(
        sql`select subject, org_id from tickets where org_id = ${org.id}`,
      ),
    );
    expect(tickets.rows).toEqual([{ subject: "Sent over SMTP", org_id: org.id }]);
  });

  it("an auto-reply is stored, then dropped with its reason by the worker", async () => {
    const mid = `ooo-${Date.now()}@customer.test`;
    await sendRaw(
      rx.port,
      { from: "sam@customer.test", to: [support] },
      mail(mid, "Out of office", ["Auto-Submitted: auto-replied"]),
    );
    const dropped = await waitFor("the message dropped", async () => {
      const r = await row(mid);
      return r?.status === "dropped" ? r : undefined;
    });
    expect(dropped.ticket_id).toBeNull();
  });

  it("several at once (decision 063): a burst from new senders is applied once each, each sender made and audited once, and the org's chain verifies", async () => {
    const stamp = Date.now();
    // Two of the messages come from the same new sender: both make the user at once, one wins.
    const senders = Array.from({ length: 10 }, (_, i) => `burst${i}-${stamp}@customer.test`);
    const sent = [...senders, senders[0]!].map((address, i) => ({ address, mid: `burst-${stamp}-${i}@customer.test` }));
    await Promise.all(
      sent.map((m, i) =>
        sendRaw(
          rx.port,
          { from: m.address, to: [support] },
          mail(m.mid, `Burst ${i}`, [], `Burst Sender <${m.address}>`),
        ),
      ),
    );
    const rows = await waitFor("the burst applied", async () => {
      const r = await Promise.all(sent.map((m) => row(m.mid)));
      return r.every((x) => x?.status === "applied") ? r : undefined;
    });
    expect(rows.map((r) => r!.outcome)).toEqual(sent.map(() => "ticket"));
    expect(new Set(rows.map((r) => r!.ticket_id)).size).toBe(sent.length);
    const created = await unsafeWithSystem((tx) =>
      tx.execute<{ email: string }>(
        sql`select data->>'email' as email from audit_events where org_id = ${org.id} and action = 'user.created' and data->>'email' like ${`burst%-${stamp}@customer.test`}`,
      ),
    );
    expect(created.rows.map((r) => r.email).sort()).toEqual([...senders].sort());
    const users = await unsafeWithSystem((tx) =>
      tx.execute<{ n: number }>(
        sql`select count(*)::int as n from users where org_id = ${org.id} and email like ${`burst%-${stamp}@customer.test`}`,
      ),
    );
    expect(users.rows[0]!.n).toBe(senders.length);
    expect(await withTenant(org.id, (tx) => verifyChain(tx, org.id))).toMatchObject({ valid: true });
  });

  it("a dead-lettered message is marked failed, kept, and applied once when replayed", async () => {
    const mid = `dead-${Date.now()}@customer.test`;
    const raw = Buffer.from(mail(mid, "Failed every retry"));
    // A row whose job already died: no job is queued for it here, so the worker cannot race the test.
    const [ins] = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ id: string }>(sql`insert into inbound_messages
      (org_id, source, dedupe_key, message_id, sha256, raw, size_bytes, rcpt_to)
      values (${org.id}, 'smtp', ${`mid:${mid}`}, ${mid}, 'x', ${raw}, ${raw.length}, ${support}) returning id`),
      )
    ).rows;
    await markInboundDead({ orgId: org.id, inboundId: ins!.id }, "boom");
    expect(await row(mid)).toMatchObject({ status: "failed", ticket_id: null });
    const replayed = await applyInbound({ orgId: org.id, inboundId: ins!.id });
    expect(replayed.outcome).toBe("ticket");
    expect(await row(mid)).toMatchObject({ status: "applied", ticket_id: replayed.ticketId });
    expect(await applyInbound({ orgId: org.id, inboundId: ins!.id })).toEqual({ outcome: "skipped" });
    // Marking an applied message dead changes nothing.
    await markInboundDead({ orgId: org.id, inboundId: ins!.id }, "late");
    expect(await row(mid)).toMatchObject({ status: "applied" });
  });
});
