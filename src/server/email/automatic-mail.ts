import "server-only";
import { sql } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import type { InboundMail } from "./parse-message";

/**
 * Why a message must create nothing and get no reply (SPEC §11), or null. Checked before anything
 * is written: automatic mail (auto-replies, lists, bulk, delivery reports) and loops (mail Beacon
 * itself sent, mail from any org's support address, i.e. two helpdesks answering each other).
 * `tx` runs as beacon_system: "did any org send this Message-ID" is a cross-org question.
 */
export async function unsafeAutomaticMailReason(tx: Tx, mail: InboundMail): Promise<string | null> {
  const h = (n: string) => mail.header(n)?.trim();
  const from = mail.from?.address ?? "";
  if (!mail.from) return "no sender address";
  const local = from.split("@")[0]!;
  if (/^(mailer-daemon|postmaster|mail-daemon|noreply-dmarc-support)$/i.test(local)) return `automatic sender ${local}`;
  if (mail.contentType.startsWith("multipart/report")) return "delivery status notification";
  const auto = h("auto-submitted");
  if (auto && auto.split(";")[0]!.trim().toLowerCase() !== "no") return `Auto-Submitted: ${auto}`;
  if (h("x-autoreply") !== undefined) return "X-Autoreply header";
  if (h("x-autorespond") !== undefined) return "X-Autorespond header";
  const precedence = h("precedence")?.toLowerCase();
  if (precedence && /^(bulk|junk|list)\b/.test(precedence)) return `Precedence: ${precedence}`;
  if (h("list-id") !== undefined) return "mailing list (List-Id)";
  // Loops: a support address of any org as sender, or a Message-ID Beacon made (both asked in one statement).
  if (mail.messageId && /@beacon\.notifications$/i.test(mail.messageId)) {
    const support = await tx.execute(sql`select 1 from email_addresses where lower(address) = ${from} limit 1`);
    return support.rows.length ? "loop: the sender is a support address" : "loop: a Beacon notification's Message-ID";
  }
  const [loop] = (
    await tx.execute<{ support: boolean; ours: boolean }>(sql`
    select exists (select 1 from email_addresses where lower(address) = ${from}) as support,
           ${mail.messageId ? sql`exists (select 1 from email_message_ids where message_id = ${mail.messageId} and direction = 'outbound')` : sql`false`} as ours`)
  ).rows;
  if (loop?.support) return "loop: the sender is a support address";
  if (loop?.ours) return "loop: a Message-ID Beacon sent";
  return null;
}
