import { sql, type SQL } from "drizzle-orm";
import { unsafeWithSystem } from "../../src/server/db/tenant";

/** Sets a ticket's next SLA check (sla_checks, decision 047) to `at` (SQL), or removes it (null). */
export async function setSlaCheck(ticketId: string, at: SQL | null): Promise<void> {
  await unsafeWithSystem((tx) =>
    tx.execute(
      at === null
        ? sql`delete from sla_checks where ticket_id = ${ticketId}`
        : sql`insert into sla_checks (org_id, ticket_id, next_check_at) select org_id, id, ${at} from tickets where id = ${ticketId}
              on conflict (org_id, ticket_id) do update set next_check_at = excluded.next_check_at`,
    ),
  );
}

/** A ticket's next SLA check, or null when it has none. */
export async function slaCheckOf(ticketId: string): Promise<Date | null> {
  const r = await unsafeWithSystem((tx) =>
    tx.execute<{ at: string }>(sql`select next_check_at::text as at from sla_checks where ticket_id = ${ticketId}`),
  );
  return r.rows[0] ? new Date(r.rows[0].at) : null;
}
