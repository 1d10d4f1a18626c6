import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { inboundSmtpListen, startSmtpReceiver, type RunningSmtpReceiver } from "../../src/server/email/smtp-receiver";
import { storeInbound } from "../../src/server/email/store-inbound";
import { createOrg, type TestOrg } from "../helpers/factories";
import { createSupportAddress, sendRaw, smtpCodeOf } from "../helpers/email";
import { jobsIn } from "../helpers/jobs";

// The SMTP intake against the real receiver on loopback, with nodemailer as the sending server.

let rx: RunningSmtpReceiver;
let org: TestOrg;
let support: string;
const MAX = 64 * 1024;

const message = (opts: { to: string; messageId?: string; body?: string; from?: string }) =>
  [
    `From: ${opts.from ?? "Casey <casey@customer.test>"}`,
    `To: ${opts.to}`,
    "Subject: Printer on fire",
    ...(opts.messageId ? [`Message-ID: <${opts.messageId}>`] : []),
    "Date: Sun, 06 Dec 2026 21:00:00 +0000",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    opts.body ?? "It is on fire.",
    "",
  ].join("\r\n");

const stored = async (orgId: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ id: string; message_id: string | null; size_bytes: number; status: string; rcpt_to: string }>(
        sql`select id, message_id, size_bytes, status::text as status, rcpt_to from inbound_messages where org_id = ${orgId} order by received_at`,
      ),
    )
  ).rows;

beforeAll(async () => {
  org = await createOrg();
  support = await createSupportAddress(org);
  rx = await startSmtpReceiver({ host: "127.0.0.1", port: 0 }, { maxBytes: MAX, ratePerMin: 1000 });
});
afterAll(async () => rx?.close());
afterEach(() => setProcessEnv({ FEATURES_DISABLED: "" }));

describe("SMTP intake", () => {
  it("answers 250 only with the raw message and its apply job committed", async () => {
    const mid = `first-${Date.now()}@customer.test`;
    const r = await sendRaw(
      rx.port,
      { from: "casey@customer.test", to: [support] },
      message({ to: support, messageId: mid }),
    );
    expect(r.response).toMatch(/^250 /);
    const rows = (await stored(org.id)).filter((m) => m.message_id === mid);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "received", rcpt_to: support });
    const raw = await unsafeWithSystem((tx) =>
      tx.execute<{ raw: Buffer }>(sql`select raw from inbound_messages where id = ${rows[0]!.id}`),
    );
    expect(raw.rows[0]!.raw.toString("utf8")).toContain("It is on fire.");
    expect(await jobsIn("email-inbound", { inboundId: rows[0]!.id })).toHaveLength(1);
  });

  it("stores a redelivered Message-ID once, with one job", async () => {
    const mid = `dup-${Date.now()}@customer.test`;
    for (let i = 0; i < 3; i++) {
      const r = await sendRaw(
        rx.port,
        { from: "casey@customer.test", to: [support] },
        message({ to: support, messageId: mid }),
      );
      expect(r.response).toMatch(/^250 /);
    }
    const rows = (await stored(org.id)).filter((m) => m.message_id === mid);
    expect(rows).toHaveLength(1);
    expect(await jobsIn("email-inbound", { inboundId: rows[0]!.id })).toHaveLength(1);
  });

  it("deduplicates a message without Message-ID by its bytes", async () => {
    const body = `no id ${Date.now()}`;
    // nodemailer adds nothing to a raw message, so it really arrives without a Message-ID.
    for (let i = 0; i < 2; i++)
      await sendRaw(rx.port, { from: "casey@customer.test", to: [support] }, message({ to: support, body }));
    const all = await unsafeWithSystem((tx) =>
      tx.execute<{ n: number }>(
        sql`select count(*)::int as n from inbound_messages where org_id = ${org.id} and message_id is null and position(${body}::bytea in raw) > 0`,
      ),
    );
    expect(all.rows[0]!.n).toBe(1);
  });

  it("refuses an unknown recipient with 550 at RCPT TO and stores nothing", async () => {
    const before = (await stored(org.id)).length;
    const code = await smtpCodeOf(
      sendRaw(
        rx.port,
        { from: "casey@customer.test", to: ["nobody@nowhere.test"] },
        message({ to: "nobody@nowhere.test", messageId: `x-${Date.now()}@c.test` }),
      ),
    );
    expect(code).toBe(550);
    expect((await stored(org.id)).length).toBe(before);
  });

  it("refuses a message over INBOUND_MAX_BYTES with 552 and stores nothing", async () => {
    const before = (await stored(org.id)).length;
    const code = await smtpCodeOf(
      sendRaw(
        rx.port,
        { from: "casey@customer.test", to: [support] },
        message({ to: support, messageId: `big-${Date.now()}@c.test`, body: "x".repeat(MAX + 10) }),
      ),
    );
    expect(code).toBe(552);
    expect((await stored(org.id)).length).toBe(before);
  });

  it("answers 451 while email_inbound is switched off, and takes the retried message afterwards", async () => {
    const mid = `paused-${Date.now()}@customer.test`;
    setProcessEnv({ FEATURES_DISABLED: "email_inbound" });
    const code = await smtpCodeOf(
      sendRaw(rx.port, { from: "casey@customer.test", to: [support] }, message({ to: support, messageId: mid })),
    );
    expect(code).toBe(451);
    expect((await stored(org.id)).filter((m) => m.message_id === mid)).toHaveLength(0);
    setProcessEnv({ FEATURES_DISABLED: "" });
    const r = await sendRaw(
      rx.port,
      { from: "casey@customer.test", to: [support] },
      message({ to: support, messageId: mid }),
    );
    expect(r.response).toMatch(/^250 /);
    expect((await stored(org.id)).filter((m) => m.message_id === mid)).toHaveLength(1);
  });

  it("holds a message back when email_inbound is switched off after RCPT TO: the committing check stores nothing and queues no job", async () => {
    const mid = `late-switch-${Date.now()}@customer.test`;
    setProcessEnv({ FEATURES_DISABLED: "email_inbound" });
    const r = await storeInbound({
      orgId: org.id,
      source: "smtp",
      raw: Buffer.from(message({ to: support, messageId: mid })),
      mailFrom: "casey@customer.test",
      rcptTo: support,
    });
    expect(r).toEqual({ stored: false, reason: "switched_off" });
    expect((await stored(org.id)).filter((m) => m.message_id === mid)).toHaveLength(0);
    setProcessEnv({ FEATURES_DISABLED: "" });
    const again = await storeInbound({
      orgId: org.id,
      source: "smtp",
      raw: Buffer.from(message({ to: support, messageId: mid })),
      mailFrom: "casey@customer.test",
      rcptTo: support,
    });
    expect(again).toMatchObject({ stored: true, duplicate: false });
    expect((await stored(org.id)).filter((m) => m.message_id === mid)).toHaveLength(1);
  });

  it("answers 451 for an org whose email_inbound flag is off, and only for that org", async () => {
    const paused = await createOrg();
    const pausedSupport = await createSupportAddress(paused);
    // A fresh org: no cached flags yet, so the row is read at once.
    await unsafeWithSystem((tx) =>
      tx.execute(sql`insert into feature_flags (org_id, key, enabled) values (${paused.id}, 'email_inbound', false)`),
    );
    const mid = `org-paused-${Date.now()}@customer.test`;
    expect(
      await smtpCodeOf(
        sendRaw(
          rx.port,
          { from: "casey@customer.test", to: [pausedSupport] },
          message({ to: pausedSupport, messageId: mid }),
        ),
      ),
    ).toBe(451);
    expect(await stored(paused.id)).toHaveLength(0);
    const r = await sendRaw(
      rx.port,
      { from: "casey@customer.test", to: [support] },
      message({ to: support, messageId: mid }),
    );
    expect(r.response).toMatch(/^250 /);
  });

  it("rate-limits one envelope sender with 451", async () => {
    const limited = await startSmtpReceiver({ host: "127.0.0.1", port: 0 }, { maxBytes: MAX, ratePerMin: 2 });
    try {
      const from = `burst-${Date.now()}@customer.test`;
      const codes = [];
      for (let i = 0; i < 3; i++)
        codes.push(
          await smtpCodeOf(
            sendRaw(limited.port, { from, to: [support] }, message({ to: support, messageId: `rl-${i}-${from}` })),
          ),
        );
      expect(codes).toEqual(["ok", "ok", 451]);
      // Another sender is not held back by the first.
      expect(
        await smtpCodeOf(
          sendRaw(
            limited.port,
            { from: `other-${from}`, to: [support] },
            message({ to: support, messageId: `rl-other-${from}` }),
          ),
        ),
      ).toBe("ok");
    } finally {
      await limited.close();
    }
  });

  it("stores a message to two orgs' addresses once in each org, and never in a third", async () => {
    const other = await createOrg();
    const otherSupport = await createSupportAddress(other);
    const third = await createOrg();
    await createSupportAddress(third);
    const mid = `both-${Date.now()}@customer.test`;
    await sendRaw(
      rx.port,
      { from: "casey@customer.test", to: [support, otherSupport] },
      message({ to: `${support}, ${otherSupport}`, messageId: mid }),
    );
    expect((await stored(org.id)).filter((m) => m.message_id === mid)).toHaveLength(1);
    expect((await stored(other.id)).filter((m) => m.message_id === mid)).toHaveLength(1);
    expect(await stored(third.id)).toHaveLength(0);
  });

  it("listens on 127.0.0.1:2525 outside production and only when configured in production", () => {
    expect(
      inboundSmtpListen({ NODE_ENV: "development", INBOUND_SMTP_HOST: undefined, INBOUND_SMTP_PORT: undefined }),
    ).toEqual({ host: "127.0.0.1", port: 2525 });
    expect(
      inboundSmtpListen({ NODE_ENV: "production", INBOUND_SMTP_HOST: undefined, INBOUND_SMTP_PORT: undefined }),
    ).toBeNull();
    expect(inboundSmtpListen({ NODE_ENV: "production", INBOUND_SMTP_HOST: "0.0.0.0", INBOUND_SMTP_PORT: 25 })).toEqual({
      host: "0.0.0.0",
      port: 25,
    });
    expect(
      inboundSmtpListen({ NODE_ENV: "development", INBOUND_SMTP_HOST: undefined, INBOUND_SMTP_PORT: "off" }),
    ).toBeNull();
  });
});
