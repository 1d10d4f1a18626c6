import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { applyInbound } from "../../src/server/intake/apply-inbound";
import { DEFAULT_INBOUND_TICKETS_PER_SENDER_PER_HOUR } from "../../src/server/email/inbound-settings";
import { startSmtpReceiver, type RunningSmtpReceiver } from "../../src/server/email/smtp-receiver";
import { QUEUES } from "../../src/server/jobs/queues";
import { createSupportAddress, deliverAndApply } from "../helpers/email";
import { createOrg } from "../helpers/factories";
import { jobsIn } from "../helpers/jobs";

// The per-sender hourly cap on new tickets by email (decision 035), through the real SMTP receiver
// and the apply job: mail over the cap is held with its reason and a delayed job, never lost, and
// applied once the sender's window has room; replies are never capped.

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
    `Message-ID: <c-${hex()}@customer.test>`,
    ...extra,
    "Date: Sun, 06 Dec 2026 21:00:00 +0000",
    "Content-Type: text/plain; charset=utf-8",
    "",
    `About ${subject}.`,
    "",
  ].join("\r\n");

const deliver = (to: string, raw: string, from: string) => deliverAndApply(rx.port, to, raw, from);

async function orgWithCap(cap?: number) {
  const org = await createOrg();
  if (cap !== undefined)
    await unsafeWithSystem((tx) =>
      tx.execute(
        sql`update orgs set settings = settings || ${JSON.stringify({ inboundTicketsPerSenderPerHour: cap })}::jsonb where id = ${org.id}`,
      ),
    );
  return { org, support: await createSupportAddress(org) };
}
const tickets = async (orgId: string) =>
  (await q<{ n: number }>(sql`select count(*)::int as n from tickets where org_id = ${orgId}`))[0]!.n;
const row = async (id: string) =>
  (
    await q<{ status: string; reason: string | null; ticket_id: string | null }>(
      sql`select status::text as status, reason, ticket_id from inbound_messages where id = ${id}`,
    )
  )[0]!;

describe("the hourly new-ticket cap per sender", () => {
  it("holds mail over the cap with its reason and a job for when the window has room, then applies it", async () => {
    const { org, support } = await orgWithCap(2);
    const sender = `flood-${hex()}@customer.test`;
    const first = await deliver(support, mail(sender, support, "one"), sender);
    const second = await deliver(support, mail(sender, support, "two"), sender);
    expect([first.outcome, second.outcome]).toEqual(["ticket", "ticket"]);

    const third = await deliver(support, mail(sender, support, "three"), sender);
    expect(third.outcome).toBe("held");
    expect(await row(third.inboundId)).toMatchObject({
      status: "held",
      reason: expect.stringMatching(/^held: 2 new tickets from this sender/),
      ticket_id: null,
    });
    expect(await tickets(org.id)).toBe(2);
    // The re-run is queued for an hour after the first of the two tickets.
    const [firstAt] = await q<{ at: string }>(
      sql`select applied_at::text as at from inbound_messages where id = ${first.inboundId}`,
    );
    // (The intake's own job is there too, unstarted: no worker runs in this test.)
    const jobs = (await jobsIn(QUEUES.inboundEmail.name, { inboundId: third.inboundId })).filter(
      (j) => j.state === "created" && new Date(j.start_after).getTime() > Date.now() + 30 * 60_000,
    );
    expect(jobs).toHaveLength(1);
    const delay = new Date(jobs[0]!.start_after).getTime() - new Date(firstAt!.at).getTime();
    expect(delay).toBeGreaterThanOrEqual(3600_000);
    expect(delay).toBeLessThan(3600_000 + 60_000);

    // Another sender is not held; the same sender's reply to their ticket is never capped.
    const other = `calm-${hex()}@customer.test`;
    expect((await deliver(support, mail(other, support, "other"), other)).outcome).toBe("ticket");
    const [n] = await q<{ number: number }>(sql`select number from tickets where id = ${first.ticketId!}`);
    const reply = await deliver(support, mail(sender, support, `Re: one [#${n!.number}]`), sender);
    expect(reply).toMatchObject({ outcome: "reply", ticketId: first.ticketId });

    // The job running too early (a retry) holds it again.
    expect((await applyInbound({ orgId: org.id, inboundId: third.inboundId })).outcome).toBe("held");
    // An hour later the window has room: the job applies it.
    await unsafeWithSystem((tx) =>
      tx.execute(
        sql`update inbound_messages set applied_at = applied_at - interval '61 minutes' where org_id = ${org.id} and id in (${first.inboundId}, ${second.inboundId})`,
      ),
    );
    const later = await applyInbound({ orgId: org.id, inboundId: third.inboundId });
    expect(later.outcome).toBe("ticket");
    expect(await row(third.inboundId)).toMatchObject({ status: "applied", ticket_id: later.ticketId });
    expect(await tickets(org.id)).toBe(4);
  });

  it(`defaults to ${DEFAULT_INBOUND_TICKETS_PER_SENDER_PER_HOUR} per sender per hour`, async () => {
    const { org, support } = await orgWithCap();
    const sender = `many-${hex()}@customer.test`;
    const outcomes: string[] = [];
    for (let i = 0; i <= DEFAULT_INBOUND_TICKETS_PER_SENDER_PER_HOUR; i++)
      outcomes.push((await deliver(support, mail(sender, support, `n${i}`), sender)).outcome);
    expect(outcomes.filter((o) => o === "ticket")).toHaveLength(DEFAULT_INBOUND_TICKETS_PER_SENDER_PER_HOUR);
    expect(outcomes.at(-1)).toBe("held");
    expect(await tickets(org.id)).toBe(DEFAULT_INBOUND_TICKETS_PER_SENDER_PER_HOUR);
  });

  it("counts per org: a sender at org A's cap still opens tickets at org B", async () => {
    const a = await orgWithCap(1);
    const b = await orgWithCap(1);
    const sender = `both-${hex()}@customer.test`;
    expect((await deliver(a.support, mail(sender, a.support, "a1"), sender)).outcome).toBe("ticket");
    expect((await deliver(a.support, mail(sender, a.support, "a2"), sender)).outcome).toBe("held");
    expect((await deliver(b.support, mail(sender, b.support, "b1"), sender)).outcome).toBe("ticket");
  });
});
