import "server-only";
import { Resolver } from "node:dns/promises";
import { authenticate, type DNSResolver } from "mailauth";
import type { MailAuthResult } from "../db/schema/email";
import { logger } from "../observability/logger";

// SPF, DKIM and DMARC of inbound mail with mailauth 4 (the newest major that runs on Node 20;
// decision 035). Checked by the apply job, which has the raw message, with the SMTP client's IP,
// HELO and MAIL FROM that the receiver recorded. Mail that came by IMAP or the webhook has no
// trustworthy client to check SPF against, and an Authentication-Results header in it was written
// by a server we do not know: such mail is recorded as not checked.

export type DnsResolver = DNSResolver;

/**
 * Names under reserved TLDs (RFC 2606, RFC 6761), and single labels (a bare HELO hostname), never
 * exist in public DNS: answered here, so demo and test mail asks nobody.
 */
const RESERVED = /(^[^.]+\.?$)|\.(test|example|invalid|localhost|local)\.?$/i;
export const answeredLocally = (name: string) => RESERVED.test(name);
const DNS_TIMEOUT_MS = 2_000;
const CHECK_TIMEOUT_MS = 10_000;

function notFound(name: string): Error {
  return Object.assign(new Error(`ENOTFOUND ${name}`), { code: "ENOTFOUND" });
}

let systemResolver: Resolver | undefined;
const systemDns: DnsResolver = async (name, rrtype) => {
  if (answeredLocally(name)) throw notFound(name);
  systemResolver ??= new Resolver({ timeout: DNS_TIMEOUT_MS, tries: 2 });
  return (systemResolver.resolve as (n: string, t: string) => Promise<string[][] | string[]>)(name, rrtype);
};

let override: DnsResolver | null = null;
/** Tests answer DNS from a fixture table (null: back to the system resolver). */
export function setMailAuthResolver(resolver: DnsResolver | null): void {
  override = resolver;
}

export const NOT_CHECKED: MailAuthResult = {
  checked: false,
  spf: "not checked",
  dkim: "not checked",
  dmarc: "not checked",
};

/** The client of an SMTP delivery, as the receiver saw it. */
export type SmtpClient = { ip: string; helo: string | null; mailFrom: string | null };

/**
 * The verdicts for a raw message delivered by `client`. A DNS failure or a timeout is a
 * `temperror` verdict, never an exception: the message is still applied, and says it could not be
 * checked.
 */
export async function checkMailAuth(raw: Buffer, client: SmtpClient): Promise<MailAuthResult> {
  const resolver = override ?? systemDns;
  try {
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      authenticate(raw, {
        ip: client.ip,
        helo: client.helo ?? undefined,
        sender: client.mailFrom ?? undefined,
        mta: "beacon",
        resolver,
        disableArc: true,
        disableBimi: true,
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("mail authentication timed out")), CHECK_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    const dkims = r.dkim.results.map((x) => x.status.result);
    return {
      checked: true,
      spf: r.spf ? r.spf.status.result : "none",
      dkim: dkims.includes("pass") ? "pass" : (dkims[0] ?? "none"),
      dmarc: r.dmarc ? r.dmarc.status.result : "none",
      ...(r.dmarc && r.dmarc.policy ? { dmarcPolicy: r.dmarc.policy } : {}),
      ...(r.dmarc && r.dmarc.domain ? { fromDomain: r.dmarc.domain } : {}),
    };
  } catch (err) {
    logger().warn(
      { err: err instanceof Error ? err.message : String(err), event: "mail_auth_failed" },
      "mail authentication could not be checked",
    );
    return { checked: true, spf: "temperror", dkim: "temperror", dmarc: "temperror" };
  }
}

/** Whether a From domain is one the org refuses DMARC failures for (the domain itself or a subdomain of it). */
export function refusesDmarcFailure(fromAddress: string, domains: string[]): string | null {
  const domain = fromAddress.split("@")[1]?.toLowerCase() ?? "";
  return domains.find((d) => domain === d || domain.endsWith(`.${d}`)) ?? null;
}
