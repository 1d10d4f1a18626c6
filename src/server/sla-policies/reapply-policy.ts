import "server-only";
import { and, asc, eq, gt, notInArray, sql } from "drizzle-orm";
import { withTenant } from "../db/tenant";
import { tickets } from "../db/schema/tickets";
import type { TicketPriority } from "../db/schema/enums";
import { slaChangesOnUpdate, slaNextCheck, writeSlaCheck } from "../sla/apply";
import { FINISHED_STATUSES } from "../lifecycle/ticket-lifecycle";

const BATCH = 200;

/**
 * The sla-reapply job: after a policy of `priority` changed, every open ticket of that priority
 * gets its targets re-applied from createdAt (paused time and fulfilled metrics kept), in batches
 * of 200, each batch its own short transaction so ticket writes are never blocked for long.
 */
export async function reapplyPolicy(job: { orgId: string; priority: TicketPriority }): Promise<{ tickets: number }> {
  let after = "00000000-0000-0000-0000-000000000000";
  let total = 0;
  for (;;) {
    const n = await withTenant(job.orgId, async (tx) => {
      const batch = await tx
        .select()
        .from(tickets)
        .where(
          and(
            eq(tickets.priority, job.priority),
            notInArray(tickets.status, [...FINISHED_STATUSES]),
            gt(tickets.id, after),
          ),
        )
        .orderBy(asc(tickets.id))
        .limit(BATCH)
        .for("update");
      const now = new Date();
      for (const t of batch) {
        const sla = await slaChangesOnUpdate(tx, t, { priority: t.priority, reason: "policy_change" }, now);
        await tx
          .update(tickets)
          .set({ ...sla, version: sql`${tickets.version} + 1` })
          .where(eq(tickets.id, t.id));
        await writeSlaCheck(tx, job.orgId, t.id, await slaNextCheck(tx, { ...t, ...sla }, now));
      }
      if (batch.length) after = batch[batch.length - 1]!.id;
      return batch.length;
    });
    total += n;
    if (n < BATCH) return { tickets: total };
  }
}
