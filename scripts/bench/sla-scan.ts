// npm run bench:sla-scan -- [--due N]: time SLA scan passes on the database of DATABASE_URL
// (run it on the bench database): an idle pass (nothing due) and a pass with N tickets due,
// showing the cost follows tickets due, not tickets stored.
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { boot } from "../lib/boot";
import { closeDb } from "../../src/server/db/client";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { unsafeScanSlas } from "../../src/server/sla/scan";

setProcessEnv({ LOG_LEVEL: "silent" });
const { values } = parseArgs({ options: { due: { type: "string", default: "10000" } } });
const due = Number(values.due);
const booted = await boot({ quiet: true });
const stored = await unsafeWithSystem((tx) => tx.execute<{ n: string }>(sql`select count(*)::text as n from tickets`));
console.log(`tickets stored: ${stored.rows[0]!.n}`);

const time = async (label: string) => {
  const t = performance.now();
  const r = await unsafeScanSlas();
  const ms = performance.now() - t;
  console.log(`${label.padEnd(28)} ${ms.toFixed(1)} ms  (${r.tickets} tickets visited, ${r.warnings} warnings, ${r.breaches} breaches, ${r.batches} batches)`);
  return ms;
};
await time("warm-up pass");
await time("idle pass (nothing due)");
// Make N open tickets due now: their first response is 10 minutes late.
await unsafeWithSystem((tx) => tx.execute(sql`
  update tickets set first_response_due = now() - interval '10 minutes', first_response_at = null,
         sla_next_check_at = now() - interval '1 second'
  where (org_id, id) in (select org_id, id from tickets where status in ('new', 'open') limit ${due})`));
await time(`pass with ${due} due`);
await time("next pass (all handled)");
await closeDb();
await booted.shutdown();
process.exit(0);
