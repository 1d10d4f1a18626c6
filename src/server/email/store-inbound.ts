import "server-only";
import { sql } from "drizzle-orm";
import { inboundMessages } from "../db/schema/email";
import { withTenant } from "../db/tenant";
import { enqueue } from "../jobs/enqueue";
import { QUEUES } from "../jobs/queues";
import { isFeatureEnabled } from "../flags/flags";
import { headerMessageId, sha256Hex } from "./message-id";

export type InboundSource = "smtp" | "imap" | "webhook";

export type StoreResult =
  | { stored: true; duplicate: boolean; inboundId: string }
  | { stored: false; reason: "switched_off" };

/**
 * Commits a raw message and its apply job in one transaction, before anyone is told "accepted".
 * A redelivery (same Message-ID in the org, or the same bytes when there is none) stores and
 * enqueues nothing and answers with the first copy: at-least-once delivery becomes exactly once.
 */
export async function storeInbound(input: {
  orgId: string;
  source: InboundSource;
  raw: Buffer;
  mailFrom: string | null;
  rcptTo: string;
  client?: { ip: string; helo: string | null };
}): Promise<StoreResult> {
  const sha256 = sha256Hex(input.raw);
  const messageId = headerMessageId(input.raw);
  const dedupeKey = messageId ? `mid:${messageId}` : `sha256:${sha256}`;
  return withTenant(input.orgId, async (tx) => {
    // Checked again here, in the committing transaction: a switch flipped during DATA holds the message back too.
    if (!(await isFeatureEnabled(tx, input.orgId, "email_inbound")))
      return { stored: false, reason: "switched_off" } as const;
    const inserted = await tx
      .insert(inboundMessages)
      .values({
        orgId: input.orgId,
        source: input.source,
        dedupeKey,
        messageId,
        sha256,
        raw: input.raw,
        sizeBytes: input.raw.length,
        mailFrom: input.mailFrom,
        rcptTo: input.rcptTo,
        clientIp: input.client?.ip ?? null,
        helo: input.client?.helo ?? null,
      })
      .onConflictDoNothing({ target: [inboundMessages.orgId, inboundMessages.dedupeKey] })
      .returning({ id: inboundMessages.id });
    if (inserted[0]) {
      await enqueue(tx, QUEUES.inboundEmail.name, { orgId: input.orgId, inboundId: inserted[0].id });
      return { stored: true, duplicate: false, inboundId: inserted[0].id } as const;
    }
    const [first] = await tx
      .execute<{
        id: string;
      }>(sql`select id from inbound_messages where org_id = ${input.orgId} and dedupe_key = ${dedupeKey}`)
      .then((r) => r.rows);
    return { stored: true, duplicate: true, inboundId: first!.id } as const;
  });
}
