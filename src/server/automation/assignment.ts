import "server-only";
import { sql } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { AppError } from "../core/errors";

export type Strategy = "round_robin" | "least_open";

/** Statuses that count as an agent's open load. */
const OPEN = sql`('new', 'open', 'pending', 'on_hold')`;

/**
 * Picks the agent of a group who gets the next ticket: round-robin (the member after the group's
 * pointer, by user id, wrapping) or least-open (fewest tickets in an open status; ties by user id).
 * Away members, blocked users and customers are skipped; null when nobody is available.
 * The group row is locked first, so concurrent assignments in one group take turns: each sees the
 * pointer (and, under READ COMMITTED, the assignments) the previous one committed.
 * `peek` answers without moving the pointer (the dry run).
 */
export async function pickAssignee(
  tx: Tx,
  groupId: string,
  strategy: Strategy,
  opts: { peek?: boolean } = {},
): Promise<string | null> {
  const g = await tx.execute<{ last: string | null }>(sql`
    select round_robin_last_user_id as last from groups where id = ${groupId} ${opts.peek ? sql`` : sql`for update`}`);
  if (g.rows.length === 0) throw new AppError("not_found", `group ${groupId} not found`);
  const members = sql`
    select m.org_id, m.user_id from group_members m join users u on u.org_id = m.org_id and u.id = m.user_id
    where m.group_id = ${groupId} and not m.away and u.blocked_at is null and u.role in ('agent', 'admin')`;
  if (strategy === "least_open") {
    const r = await tx.execute<{ user_id: string }>(sql`
      with m as (${members})
      select m.user_id from m
      left join lateral (select count(*) as n from tickets t where t.org_id = m.org_id and t.assignee_id = m.user_id and t.status in ${OPEN}) load on true
      order by load.n, m.user_id limit 1`);
    return r.rows[0]?.user_id ?? null;
  }
  const last = g.rows[0]!.last;
  const r = await tx.execute<{ user_id: string }>(sql`
    with m as (${members})
    select user_id from m order by (${last}::uuid is not null and user_id <= ${last}::uuid), user_id limit 1`);
  const picked = r.rows[0]?.user_id ?? null;
  if (picked && !opts.peek)
    await tx.execute(sql`update groups set round_robin_last_user_id = ${picked} where id = ${groupId}`);
  return picked;
}
