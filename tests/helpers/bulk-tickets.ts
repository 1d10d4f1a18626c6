import { sql } from "drizzle-orm";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import type { World } from "./world";

/**
 * n open tickets of the world's customer in one INSERT … SELECT (numbers after the org's last),
 * every `every`-th (1-based) with `customFields`, the rest with none. For tests that need a
 * realistic count of rows (plans, bulk jobs) without n API calls.
 */
export async function insertTickets(
  world: World,
  n: number,
  opts: { customFields?: Record<string, unknown>; every?: number; subject?: string } = {},
): Promise<void> {
  const cf = JSON.stringify(opts.customFields ?? {});
  const every = opts.every ?? 1;
  await unsafeWithSystem(async (tx) => {
    await tx.execute(sql`
      insert into tickets (org_id, number, subject, requester_id, status, priority, custom_fields, created_at, updated_at)
      select ${world.org.id}::uuid, o.ticket_seq + g, ${opts.subject ?? "Bulk"} || ' ' || g, ${world.customer.id}::uuid, 'open', 'normal',
             case when g % ${every}::int = 0 then ${cf}::jsonb else '{}'::jsonb end,
             now() - interval '1 day', now() - make_interval(secs => ${n}::int - g)
      from generate_series(1, ${n}::int) g, orgs o where o.id = ${world.org.id}::uuid`);
    await tx.execute(sql`update orgs set ticket_seq = ticket_seq + ${n}::int where id = ${world.org.id}::uuid`);
  });
}
