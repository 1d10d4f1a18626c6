import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { db } from "../db/client";
import { enterTenant } from "../db/tenant";
import { webhookDeliveries } from "../db/schema/notifications";
import { recordAudit } from "../audit/record-audit";
import { logger } from "../observability/logger";
import { BOSS_SCHEMA, jobSender, txDb } from "./boss";
import { clientOf } from "./enqueue";
import { DEAD_QUEUES, QUEUES } from "./queues";

// Dead letters are the jobs pg-boss moved to a `<queue>-dead` queue after the last retry failed.
// Nothing consumes those queues (decision 022): a dead letter waits in state `created` until a
// person replays or drops it, here, from `npm run jobs` or the admin's Jobs page.
//
// pgboss has no row-level security, so these functions read it as the connection's owner and
// scope every statement by the orgId inside the payload when an org is given. The audit event and
// any tenant-table change are written after enterTenant(), under the org's RLS.

/** The dead queue of each queue that has one. */
export const DEAD_OF: Record<string, string> = Object.fromEntries(
  Object.values(QUEUES).flatMap((q) => ("deadLetter" in q && q.deadLetter ? [[q.name, q.deadLetter]] : [])),
);
const SOURCE_OF: Record<string, string> = Object.fromEntries(Object.entries(DEAD_OF).map(([src, dead]) => [dead, src]));
const DEAD_NAMES = DEAD_QUEUES.map((q) => q.name);

/** The queues an org admin sees on the Jobs page: deliveries made on the org's behalf, and its inbound mail. */
export const ADMIN_QUEUES = ["email", "webhook", "email-inbound", "email-reply", "email-customer", "import"] as const;

export type DeadLetter = {
  id: string;
  /** The queue the job belonged to (email, webhook, notify, sla-reapply). */
  queue: string;
  deadQueue: string;
  orgId: string | null;
  state: string;
  error: string | null;
  data: Record<string, unknown>;
  createdAt: string;
  ageSeconds: number;
};

export type DeadLetterFilter = {
  /** Only this org's jobs (by the orgId in the payload). */
  orgId?: string;
  /** Only these source queues (email, webhook…); a `-dead` suffix is accepted. */
  queues?: readonly string[];
  id?: string;
  /** Only jobs dead for at least this long. */
  olderThanSeconds?: number;
  limit?: number;
};

/** "email" or "email-dead" → "email"; undefined when no such queue has a dead letter queue. */
export function sourceQueue(name: string): string | undefined {
  if (DEAD_OF[name]) return name;
  return SOURCE_OF[name];
}

/** "90s", "30m", "2h", "7d" → seconds; undefined when malformed. */
export function parseAge(text: string): number | undefined {
  const m = /^(\d{1,9})\s*(s|m|h|d)$/i.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2]!.toLowerCase() as "s" | "m" | "h" | "d"];
}

type Row = {
  id: string;
  name: string;
  state: string;
  data: Record<string, unknown>;
  output: unknown;
  created_on: Date;
  age: string;
};

function errorText(output: unknown): string | null {
  if (output == null) return null;
  if (typeof output === "string") return output.slice(0, 500);
  if (typeof output === "object") {
    const o = output as { message?: unknown; value?: unknown };
    if (typeof o.message === "string") return o.message.slice(0, 500);
    if (o.value != null) return String(o.value).slice(0, 500);
  }
  return JSON.stringify(output).slice(0, 500);
}

function toDeadLetter(r: Row): DeadLetter {
  const orgId =
    typeof r.data?.orgId === "string" && z.uuid().safeParse(r.data.orgId).success ? (r.data.orgId as string) : null;
  return {
    id: r.id,
    queue: SOURCE_OF[r.name] ?? r.name,
    deadQueue: r.name,
    orgId,
    state: r.state,
    error: errorText(r.output),
    data: r.data ?? {},
    createdAt: new Date(r.created_on).toISOString(),
    ageSeconds: Math.max(0, Math.floor(Number(r.age))),
  };
}

function whereOf(f: DeadLetterFilter) {
  const names = f.queues?.length ? f.queues.map((q) => DEAD_OF[sourceQueue(q) ?? ""] ?? "") : DEAD_NAMES;
  const parts = [
    sql`j.name in (${sql.join(
      names.map((n) => sql`${n}`),
      sql`, `,
    )})`,
    sql`j.state <> 'active'`,
  ];
  if (f.orgId) parts.push(sql`j.data->>'orgId' = ${f.orgId}`);
  if (f.id) parts.push(sql`j.id = ${f.id}::uuid`);
  if (f.olderThanSeconds !== undefined)
    parts.push(sql`j.created_on <= now() - make_interval(secs => ${f.olderThanSeconds})`);
  return sql.join(parts, sql` and `);
}

/** The columns a Row holds, read by the list and returned by the claiming delete. */
const ROW_COLUMNS = sql`j.id, j.name, j.state::text as state, j.data, j.output, j.created_on, extract(epoch from now() - j.created_on)::text as age`;

/** Dead letters, newest first. */
export async function listDeadLetters(f: DeadLetterFilter = {}): Promise<DeadLetter[]> {
  const limit = Math.min(Math.max(f.limit ?? 100, 1), 10_000);
  const r = await db().execute<Row>(sql`
    select ${ROW_COLUMNS}
      from ${sql.raw(BOSS_SCHEMA)}.job j
     where ${whereOf(f)}
     order by j.created_on desc, j.id
     limit ${limit}`);
  return r.rows.map(toDeadLetter);
}

/** Who acts: an admin (by user id, from the web) or the operator's CLI. */
export type DeadLetterActor =
  | { kind: "user"; userId: string; requestId: string | null }
  | { kind: "operator"; requestId?: string | null };

export type DeadLetterOutcome = DeadLetter & {
  outcome: "replayed" | "dropped" | "would_replay" | "would_drop" | "skipped" | "failed";
  /** The new job's id on the original queue (replay). */
  jobId?: string;
  reason?: string;
};

/**
 * Replays dead letters: each is removed from its dead queue and sent again, with its original
 * payload, to its original queue, in one transaction, so the new job gets that queue's own retry
 * limit, backoff and dead letter queue and a replay that fails again is dead-lettered again. The
 * delete is the claim: of two replays of one job only one finds it (the other reports nothing),
 * and the handlers send nothing already delivered (email stamped emailed_at, webhook delivery
 * succeeded). A webhook delivery marked dead is set back to failed so its handler sends it.
 */
export async function replayDeadLetters(
  f: DeadLetterFilter,
  actor: DeadLetterActor,
  opts: { dryRun?: boolean } = {},
): Promise<DeadLetterOutcome[]> {
  return act("replay", f, actor, opts.dryRun ?? false);
}

/** Drops dead letters for good (audited): the job is deleted and nothing is sent. */
export async function dropDeadLetters(
  f: DeadLetterFilter,
  actor: DeadLetterActor,
  opts: { dryRun?: boolean } = {},
): Promise<DeadLetterOutcome[]> {
  return act("drop", f, actor, opts.dryRun ?? false);
}

async function act(
  kind: "replay" | "drop",
  f: DeadLetterFilter,
  actor: DeadLetterActor,
  dryRun: boolean,
): Promise<DeadLetterOutcome[]> {
  const candidates = await listDeadLetters(f);
  const out: DeadLetterOutcome[] = [];
  for (const c of candidates) {
    if (!c.orgId) {
      out.push({ ...c, outcome: "skipped", reason: "payload has no orgId" });
      continue;
    }
    if (dryRun) {
      out.push({ ...c, outcome: kind === "replay" ? "would_replay" : "would_drop" });
      continue;
    }
    let done: DeadLetterOutcome | undefined;
    try {
      done = await actOne(kind, c, f.orgId, actor);
    } catch (err) {
      // One transaction per job: this one rolled back and stays dead; the others go on.
      const reason = err instanceof Error ? err.message : String(err);
      logger().error(
        {
          event: "dead_letter_action_failed",
          action: kind,
          queue: c.queue,
          deadJobId: c.id,
          orgId: c.orgId,
          err: reason,
        },
        `dead letter ${kind} failed`,
      );
      out.push({ ...c, outcome: "failed", reason });
      continue;
    }
    if (!done) continue; // someone else replayed or dropped it meanwhile
    logger().info(
      {
        event: kind === "replay" ? "dead_letter_replayed" : "dead_letter_dropped",
        queue: done.queue,
        deadJobId: done.id,
        jobId: done.jobId,
        orgId: done.orgId,
        by: actor.kind === "user" ? actor.userId : "operator",
      },
      kind === "replay" ? "dead letter replayed" : "dead letter dropped",
    );
    out.push(done);
  }
  return out;
}

function actOne(
  kind: "replay" | "drop",
  c: DeadLetter,
  scopeOrgId: string | undefined,
  actor: DeadLetterActor,
): Promise<DeadLetterOutcome | undefined> {
  return db().transaction(async (tx) => {
    // The delete is the claim: of two concurrent replays of one job only one gets the row.
    const [claimed] = (
      await tx.execute<Row>(sql`
        delete from ${sql.raw(BOSS_SCHEMA)}.job j where j.name = ${c.deadQueue} and j.id = ${c.id}::uuid and ${whereOf({ orgId: scopeOrgId })}
        returning ${ROW_COLUMNS}`)
    ).rows;
    if (!claimed) return undefined;
    const d = toDeadLetter(claimed);
    const orgId = d.orgId!;
    await enterTenant(tx, orgId);
    let jobId: string | undefined;
    if (kind === "replay") {
      if (d.queue === QUEUES.webhook.name && typeof d.data.deliveryId === "string") {
        await tx
          .update(webhookDeliveries)
          .set({ status: "failed" })
          .where(and(eq(webhookDeliveries.id, d.data.deliveryId), sql`${webhookDeliveries.status} = 'dead'`));
      }
      jobId = randomUUID();
      const sent = await jobSender().send(d.queue, d.data, { id: jobId, db: txDb(clientOf(tx)) });
      if (!sent) throw new Error(`queue ${d.queue} refused the job`);
    }
    await recordAudit(
      tx,
      { orgId, actorId: actor.kind === "user" ? actor.userId : null, requestId: actor.requestId ?? null },
      {
        action: kind === "replay" ? "job.replayed" : "job.dropped",
        entityType: "job",
        entityId: d.id,
        data: {
          queue: d.queue,
          deadJobId: d.id,
          ...(jobId ? { newJobId: jobId } : {}),
          error: d.error,
          by: actor.kind === "user" ? "admin" : "operator",
          deadSince: d.createdAt,
        },
      },
    );
    return { ...d, outcome: kind === "replay" ? ("replayed" as const) : ("dropped" as const), jobId };
  });
}
