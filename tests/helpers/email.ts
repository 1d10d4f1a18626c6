import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import nodemailer from "nodemailer";
import { emailAddresses } from "../../src/server/db/schema/email";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { applyInbound, type ApplyOutcome } from "../../src/server/intake/apply-inbound";

/** A support address of its own for the org (unique across orgs, like in production). */
export async function createSupportAddress(org: { id: string }, local = "support"): Promise<string> {
  const address = `${local}-${randomBytes(4).toString("hex")}@${org.id.slice(0, 8)}.mail.test`;
  await unsafeWithSystem((tx) =>
    tx.insert(emailAddresses).values({ orgId: org.id, address, displayName: "Support", isDefault: true }),
  );
  return address;
}

/** Sends a raw RFC 5322 message over SMTP to the receiver on loopback; resolves with the server's answer or rejects with its error. */
export async function sendRaw(
  port: number,
  envelope: { from: string; to: string[] },
  raw: string | Buffer,
): Promise<{ response: string }> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: 5_000,
  });
  try {
    const info = await transport.sendMail({ envelope, raw });
    return { response: info.response };
  } finally {
    transport.close();
  }
}

/** The SMTP code nodemailer reports for a refusal. */
export async function smtpCodeOf(p: Promise<unknown>): Promise<number | "ok"> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return (err as { responseCode?: number }).responseCode ?? -1;
  }
}

/**
 * Sends a raw message to the receiver on `port` (it must answer 250), then runs the apply job on
 * what was stored, as the worker would: the apply's outcome with the stored message's id and org.
 */
export async function deliverAndApply(
  port: number,
  to: string,
  raw: string,
  from: string,
): Promise<ApplyOutcome & { inboundId: string; orgId: string }> {
  const r = await sendRaw(port, { from, to: [to] }, raw);
  if (!/^250 /.test(r.response)) throw new Error(`expected 250, got ${r.response}`);
  const inboundId = /Accepted (\S+)/.exec(r.response)![1]!;
  const [row] = (
    await unsafeWithSystem((tx) =>
      tx.execute<{ org_id: string }>(sql`select org_id from inbound_messages where id = ${inboundId}`),
    )
  ).rows;
  return { ...(await applyInbound({ orgId: row!.org_id, inboundId })), inboundId, orgId: row!.org_id };
}
