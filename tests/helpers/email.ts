import { randomBytes } from "node:crypto";
import nodemailer from "nodemailer";
import { emailAddresses } from "../../src/server/db/schema/email";
import { unsafeWithSystem } from "../../src/server/db/tenant";

/** A support address of its own for the org (unique across orgs, like in production). */
export async function createSupportAddress(org: { id: string }, local = "support"): Promise<string> {
  const address = `${local}-${randomBytes(4).toString("hex")}@${org.id.slice(0, 8)}.mail.test`;
  await unsafeWithSystem((tx) => tx.insert(emailAddresses).values({ orgId: org.id, address, displayName: "Support", isDefault: true }));
  return address;
}

/** Sends a raw RFC 5322 message over SMTP to the receiver on loopback; resolves with the server's answer or rejects with its error. */
export async function sendRaw(port: number, envelope: { from: string; to: string[] }, raw: string | Buffer): Promise<{ response: string }> {
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true, connectionTimeout: 5_000 });
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
