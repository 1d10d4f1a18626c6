import "server-only";
import { sql, type SQL } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { canonicalJson } from "../../lib/canonical-json";
import { GENESIS_HASH } from "./chain";
import { publishTicketChange } from "../live/publish";

export type AuditInput = {
  action: string;
  entityType: string;
  entityId: string | null;
  /** Changed fields and context; never secrets (passwords, tokens, hashes). */
  data?: Record<string, unknown>;
};

export type AuditActor = { orgId: string; actorId: string | null; requestId: string | null };

/** A key of `data` whose (integer) value only the statement knows, e.g. a ticket number taken in it. */
export type AuditDataFromSql = { key: string; value: SQL };

const MARK = "\u0000beacon-audit-sql-value\u0000";

/**
 * Appends an event to the org's hash chain inside the caller's transaction, so the change and its
 * audit record commit together or not at all. One statement (decision 047): the org's head row in
 * audit_heads is moved and the event inserted together. The head's row lock serializes one org's
 * writers (a second writer waits, then reads the head the first committed), so two concurrent
 * requests can never both extend the same seq (no fork); the hash is sha256(prev_hash ‖ canonical
 * JSON), the same bytes `eventHash` gives (a test holds the two to each other).
 */
export async function recordAudit(
  tx: Tx,
  actor: AuditActor,
  input: AuditInput,
): Promise<{ seq: number; hash: string }> {
  const r = await tx.execute<{ seq: string; hash: string }>(
    sql`with ${auditAppendCtes(actor, input)} select seq::text as seq, hash from audit_append`,
  );
  // Every change to a ticket is audited, so this is where open pages hear of it (decision 052);
  // a write that folds its event into its own statement (auditAppendCtes) calls publishTicketChange itself.
  if (input.entityType === "ticket" && input.entityId)
    publishTicketChange(tx, actor, input.entityId, input.action, input.data);
  return { seq: Number(r.rows[0]!.seq), hash: r.rows[0]!.hash };
}

/**
 * The event's canonical JSON (keys sorted, as storedEventHash writes them) up to the seq, which is
 * last: the bytes both appends hash after the previous hash, with the seq and "}" added in SQL.
 */
function hashedPrefix(actor: AuditActor, input: AuditInput, at: string, data: Record<string, unknown>): string {
  return (
    `{"action":${JSON.stringify(input.action)},"actorId":${JSON.stringify(actor.actorId)},"at":${JSON.stringify(at)}` +
    `,"data":${canonicalJson(data)},"entityId":${JSON.stringify(input.entityId)},"entityType":${JSON.stringify(input.entityType)}` +
    `,"orgId":${JSON.stringify(actor.orgId)},"requestId":${JSON.stringify(actor.requestId)},"seq":`
  );
}

/**
 * The append as two CTEs (`audit_head`, then `audit_append`, which returns seq and hash), for a
 * write that folds its audit event into its own statement. `fromSql` puts a value of the statement
 * into data (hashed and stored as a JSON number). Place the CTEs after whatever must lock first:
 * the head row is the org's serialization point and is best taken last.
 */
export function auditAppendCtes(actor: AuditActor, input: AuditInput, fromSql?: AuditDataFromSql, after?: SQL): SQL {
  const at = new Date();
  // A jsonb round trip must give back the same value the hash was computed over.
  const data = JSON.parse(JSON.stringify(input.data ?? {})) as Record<string, unknown>;
  if (fromSql) data[fromSql.key] = MARK;
  const body = hashedPrefix(actor, input, at.toISOString(), data);
  let bodySql: SQL;
  let dataSql: SQL;
  if (fromSql) {
    const [a, b] = body.split(JSON.stringify(MARK)) as [string, string];
    bodySql = sql`(${a}::text || (${fromSql.value})::text || ${b}::text)`;
    delete data[fromSql.key];
    dataSql = sql`(${JSON.stringify(data)}::jsonb || jsonb_build_object(${fromSql.key}::text, ${fromSql.value}))`;
  } else {
    bodySql = sql`${body}::text`;
    dataSql = sql`${JSON.stringify(data)}::jsonb`;
  }
  const gate = after ? sql` where exists (select 1 from ${after})` : sql``;
  return sql`audit_head as (
      insert into audit_heads as h (org_id, seq, hash, prev_hash)
      select ${actor.orgId}::uuid, coalesce(l.seq, 0) + 1,
             encode(sha256(convert_to(coalesce(l.hash, ${GENESIS_HASH}::text) || ${bodySql} || (coalesce(l.seq, 0) + 1)::text || '}', 'UTF8')), 'hex'),
             coalesce(l.hash, ${GENESIS_HASH}::text)
      from (select 1) one
      left join lateral (select e.seq, e.hash from audit_events e where e.org_id = ${actor.orgId}::uuid order by e.seq desc limit 1) l on true${gate}
      on conflict (org_id) do update
        set seq = h.seq + 1,
            hash = encode(sha256(convert_to(h.hash || ${bodySql} || (h.seq + 1)::text || '}', 'UTF8')), 'hex'),
            prev_hash = h.hash
      returning seq, hash, prev_hash),
    audit_append as (
      insert into audit_events (org_id, seq, actor_id, action, entity_type, entity_id, data, request_id, prev_hash, hash, at)
      select ${actor.orgId}::uuid, audit_head.seq, ${actor.actorId}::uuid, ${input.action}, ${input.entityType}, ${input.entityId}, ${dataSql},
             ${actor.requestId}, audit_head.prev_hash, audit_head.hash, ${at.toISOString()}::timestamptz
      from audit_head
      returning seq, hash)`;
}

/**
 * Takes the org's audit-chain lock (its audit_heads row) ahead of recordAudit, for a path that must
 * lock in a fixed order (decision 036: ticket row, audit chain, then a group's row). An org whose
 * head row does not exist yet gets it here, at the chain's current end, so the lock is always taken
 * now and not only at the append. ON CONFLICT DO UPDATE locks the row even where its WHERE is false.
 */
export async function lockAuditHead(tx: Tx, orgId: string): Promise<void> {
  await tx.execute(lockAuditHeadStatement(orgId));
}

/** lockAuditHead's statement, for a writer that takes the lock inside one of its own (as a CTE). */
export function lockAuditHeadStatement(orgId: string): SQL {
  return sql`
    insert into audit_heads as h (org_id, seq, hash, prev_hash)
    select ${orgId}::uuid, coalesce(l.seq, 0), coalesce(l.hash, ${GENESIS_HASH}::text), coalesce(l.prev_hash, ${GENESIS_HASH}::text)
    from (select 1) one
    left join lateral (select e.seq, e.hash, e.prev_hash from audit_events e where e.org_id = ${orgId}::uuid order by e.seq desc limit 1) l on true
    on conflict (org_id) do update set seq = h.seq where false`;
}

/**
 * Appends many events to the org's chain in one statement, for bulk writers that would otherwise
 * pay one statement (and one round trip on the org's serialization point) per event: an import
 * batch. The chain is extended event by event in a recursive CTE with exactly the hash of
 * auditAppendCtes (sha256(prev_hash ‖ canonical JSON up to the seq ‖ seq ‖ "}")), so verifyChain
 * cannot tell the two apart. The head row is locked first (lockAuditHead), as every writer does,
 * unless the caller says it already holds it (`headLocked`: it took the lock earlier in this transaction).
 */
export async function appendAuditEvents(
  tx: Tx,
  actor: AuditActor,
  inputs: readonly AuditInput[],
  opts: { headLocked?: boolean } = {},
): Promise<void> {
  if (!inputs.length) return;
  if (!opts.headLocked) await lockAuditHead(tx, actor.orgId);
  const at = new Date().toISOString();
  const events = inputs.map((input, i) => {
    const data = JSON.parse(JSON.stringify(input.data ?? {})) as Record<string, unknown>;
    const body = hashedPrefix(actor, input, at, data);
    return { i: i + 1, body, action: input.action, entity_type: input.entityType, entity_id: input.entityId, data };
  });
  await tx.execute(sql`
    with recursive
      ev as (select * from jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as x(i int, body text, action text, entity_type text, entity_id text, data jsonb)),
      chain(i, seq, hash, prev_hash) as (
        select 0, h.seq, h.hash, h.prev_hash from audit_heads h where h.org_id = ${actor.orgId}::uuid
        union all
        select c.i + 1, c.seq + 1, encode(sha256(convert_to(c.hash || e.body || (c.seq + 1)::text || '}', 'UTF8')), 'hex'), c.hash
        from chain c join ev e on e.i = c.i + 1),
      ins as (
        insert into audit_events (org_id, seq, actor_id, action, entity_type, entity_id, data, request_id, prev_hash, hash, at)
        select ${actor.orgId}::uuid, c.seq, ${actor.actorId}::uuid, e.action, e.entity_type, e.entity_id, e.data, ${actor.requestId}, c.prev_hash, c.hash, ${at}::timestamptz
        from chain c join ev e on e.i = c.i
        returning seq),
      last as (select seq, hash, prev_hash from chain order by i desc limit 1)
    update audit_heads h set seq = last.seq, hash = last.hash, prev_hash = last.prev_hash
    from last where h.org_id = ${actor.orgId}::uuid and (select count(*) from ins) = ${events.length}`);
}
