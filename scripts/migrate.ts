// npm run db:migrate            apply pending migrations (the deploy step)
// npm run db:migrate -- --status list applied and pending migrations, change nothing
import pg from "pg";
import { boot, migrate } from "./lib/boot";
import { migrationStatus } from "../src/server/db/migrations";

const statusOnly = process.argv.includes("--status");
const booted = await boot({ quiet: statusOnly });
let code = 0;
try {
  if (statusOnly) {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    const s = await migrationStatus(client);
    await client.end();
    for (const m of s.applied) console.log(`applied  ${m}`);
    for (const m of s.pending) console.log(`pending  ${m}`);
    console.log(`${s.applied.length} applied, ${s.pending.length} pending`);
    code = s.pending.length > 0 ? 3 : 0;
  } else {
    const s = await migrate();
    code = s.pending.length > 0 ? 1 : 0;
  }
} catch (err) {
  console.error(`Migration failed: ${err instanceof Error ? err.message : String(err)}`);
  code = 1;
} finally {
  await booted.shutdown();
}
process.exit(code);
