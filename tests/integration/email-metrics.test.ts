import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as metricsRoute } from "../../src/app/api/metrics/route";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { applyInbound } from "../../src/server/intake/apply-inbound";
import { startSmtpReceiver, type RunningSmtpReceiver } from "../../src/server/email/smtp-receiver";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { createSupportAddress, sendRaw, smtpCodeOf } from "../helpers/email";
import { createOrg } from "../helpers/factories";

// Email metrics (decision 035) as /api/metrics exposes them: inbound by source and outcome,
// counted through the real SMTP receiver and the apply job.

let rx: RunningSmtpReceiver;
beforeAll(async () => {
  rx = await startSmtpReceiver({ host: "127.0.0.1", port: 0 }, { maxBytes: 64 * 1024, ratePerMin: 1000 });
});
afterAll(async () => {
  await rx?.close();
});

const hex = () => randomBytes(4).toString("hex");

async function scrape(): Promise<string> {
  resetLimitersForTests();
  const res = await metricsRoute(new Request("http://x/api/metrics"));
  expect(res.status).toBe(200);
  return res.text();
}
const value = (text: string, series: string) =>
  Number(
    text
      .split("\n")
      .find((l) => l.startsWith(`${series} `))
      ?.split(" ")[1] ?? NaN,
  );
const inbound = (outcome: string) => `email_inbound_messages_total{source="smtp",outcome="${outcome}"}`;

const mail = (from: string, to: string, subject: string) =>
  [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    `Message-ID: <m-${hex()}@customer.test>`,
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Hello.",
    "",
  ].join("\r\n");

async function deliver(to: string, raw: string, from: string) {
  const r = await sendRaw(rx.port, { from, to: [to] }, raw);
  const id = /Accepted (\S+)/.exec(r.response)![1]!;
  const [{ org_id }] = (
    await unsafeWithSystem((tx) =>
      tx.execute<{ org_id: string }>(sql`select org_id from inbound_messages where id = ${id}`),
    )
  ).rows as [{ org_id: string }];
  return applyInbound({ orgId: org_id, inboundId: id });
}

describe("email metrics", () => {
  it("every series exists from zero, and inbound mail is counted by source and outcome", async () => {
    const before = await scrape();
    for (const o of ["ticket", "reply", "dropped-loop", "dropped-automatic", "bounce", "held", "rejected", "dead"]) {
      for (const s of ["smtp", "imap", "webhook"])
        expect(
          value(before, `email_inbound_messages_total{source="${s}",outcome="${o}"}`),
          `${s} ${o}`,
        ).toBeGreaterThanOrEqual(0);
    }
    for (const o of ["sent", "failed", "skipped-bouncing"])
      expect(value(before, `email_outbound_messages_total{kind="reply",outcome="${o}"}`)).toBeGreaterThanOrEqual(0);

    const org = await createOrg();
    const support = await createSupportAddress(org);
    const other = await createSupportAddress(await createOrg());
    await unsafeWithSystem((tx) =>
      tx.execute(
        sql`update orgs set settings = settings || '{"inboundTicketsPerSenderPerHour": 1}'::jsonb where id = ${org.id}`,
      ),
    );
    const sender = `m-${hex()}@customer.test`;
    expect((await deliver(support, mail(sender, support, "one"), sender)).outcome).toBe("ticket");
    expect((await deliver(support, mail(sender, support, "two"), sender)).outcome).toBe("held");
    expect((await deliver(support, mail(other, support, "loop"), other)).outcome).toBe("dropped");
    expect(
      await smtpCodeOf(
        sendRaw(rx.port, { from: sender, to: [`nobody-${hex()}@nowhere.test`] }, mail(sender, "x@y.test", "x")),
      ),
    ).toBe(550);

    const after = await scrape();
    // Other test files may count in parallel processes, never in this one: the differences are exact.
    expect(value(after, inbound("ticket")) - value(before, inbound("ticket"))).toBe(1);
    expect(value(after, inbound("held")) - value(before, inbound("held"))).toBe(1);
    expect(value(after, inbound("dropped-loop")) - value(before, inbound("dropped-loop"))).toBe(1);
    expect(value(after, inbound("rejected")) - value(before, inbound("rejected"))).toBe(1);
  });
});
