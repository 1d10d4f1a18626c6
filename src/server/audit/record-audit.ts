import "server-only";
import { sql } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { auditEvents } from "../db/schema/audit";
import { eventHash, GENESIS_HASH } from "./chain";
import { publishTicketChange } from "../live/publish";

export type AuditInput = {
  action: string;
  entityType: string;
  entityId: string | null;
  /** Changed fields and context; never secrets (passwords, tokens, hashes). */
  data?: Record<string, unknown>;
};

export type AuditActor = { orgId: string; actorId: string | null; requestId: string | null };

/**
 * Appends an event to the org's hash chain inside the caller's transaction, so the change and its
 * audit record commit together or not at all. Writers of one org are serialized by a transaction
 * advisory lock, so two concurrent requests can never both extend the same seq (no fork).
 */
export async function recordAudit(tx: Tx, actor: AuditActor, input: AuditInput): Promise<{ seq: number; hash: string }> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${"audit:" + actor.orgId}, 0))`);
  const last = await tx.execute<{ last_seq: string; hash: string }>(
    sql`select seq::text as last_seq, hash from audit_events where org_id = ${actor.orgId} order by audit_events.seq desc limit 1`,
  );
  const prevHash = last.rows[0]?.hash ?? GENESIS_HASH;
  const seq = last.rows[0] ? Number(last.rows[0].last_seq) + 1 : 1;
  const event = {
    orgId: actor.orgId,
    seq,
    actorId: actor.actorId,
    action: input.action,
    entityType: input.entityType,
    entityId: input.entityId,
    // A jsonb round trip must give back the same value the hash was computed over.
    data: JSON.parse(JSON.stringify(input.data ?? {})) as Record<string, unknown>,
    requestId: actor.requestId,
    at: new Date(),
  };
  const hash = eventHash(prevHash, event);
  await tx.insert(auditEvents).values({ ...event, prevHash, hash });
  // Every change to a ticket is audited, so this is where open pages hear of it (decision 052).
  if (input.entityType === "ticket" && input.entityId) publishTicketChange(tx, actor, input.entityId, input.action, input.data);
  return { seq, hash };
}
