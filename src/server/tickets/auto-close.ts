import "server-only";
import { sql } from "drizzle-orm";
import { unsafeWithSystem, withTenant } from "../db/tenant";
import { recordAudit } from "../audit/record-audit";

export const AUTO_CLOSE_AFTER_DAYS = 4;
const BATCH = 500;

/**
 * Solved tickets become closed after 4 days without activity (SPEC §5). Candidates are found
 * through the system path; each org's batch is closed in that org's own tenant transaction with
 * its audit events, re-checking the condition under the row lock so a reply that lands meanwhile
 * keeps its ticket open.
 */
export async function unsafeAutoCloseSolved(now = new Date()): Promise<{ closed: number }> {
  const cutoff = new Date(now.getTime() - AUTO_CLOSE_AFTER_DAYS * 86_400_000);
  let closed = 0;
  for (;;) {
    const candidates = await unsafeWithSystem((tx) =>
      tx.execute<{ org_id: string; id: string }>(sql`
        select org_id, id from tickets where status = 'solved' and updated_at < ${cutoff}
        order by updated_at limit ${BATCH}`),
    );
    if (candidates.rows.length === 0) return { closed };
    const byOrg = new Map<string, string[]>();
    for (const r of candidates.rows) byOrg.set(r.org_id, [...(byOrg.get(r.org_id) ?? []), r.id]);
    let batchClosed = 0;
    for (const [orgId, ids] of byOrg) {
      batchClosed += await withTenant(orgId, async (tx) => {
        const done = await tx.execute<{ id: string; number: number }>(sql`
          update tickets set status = 'closed', closed_at = ${now}, updated_at = ${now}, version = version + 1, sla_next_check_at = null
          where id in ${sql`(${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})`} and status = 'solved' and updated_at < ${cutoff}
          returning id, number`);
        for (const t of done.rows) {
          await recordAudit(tx, { orgId, actorId: null, requestId: null }, {
            action: "ticket.auto_closed", entityType: "ticket", entityId: t.id,
            data: { changes: { status: { from: "solved", to: "closed" } }, afterDays: AUTO_CLOSE_AFTER_DAYS },
          });
        }
        return done.rows.length;
      });
    }
    closed += batchClosed;
    if (candidates.rows.length < BATCH || batchClosed === 0) return { closed };
  }
}
