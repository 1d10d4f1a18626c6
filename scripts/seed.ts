// npm run db:seed [-- --reset]: the demo orgs (SPEC §7). Refuses in production.
import { parseArgs } from "node:util";
import { boot, migrate } from "./lib/boot";
import { closeDb } from "../src/server/db/client";
import { demoSignIns, resetDemo, seedDemoIfEmpty } from "../src/server/seed/demo";

const USAGE =
  "Usage: npm run db:seed [-- --reset]   (--reset deletes the acme and globex demo orgs and seeds them again)";

let reset = false;
try {
  reset = parseArgs({ options: { reset: { type: "boolean", default: false } }, strict: true }).values.reset ?? false;
} catch {
  console.error(USAGE);
  process.exit(2);
}

if (process.env.NODE_ENV === "production") {
  console.error(
    "Refusing to seed demo data in production (NODE_ENV=production). Use npm run bootstrap to create a real organization.",
  );
  process.exit(1);
}

const booted = await boot({});
let code = 0;
try {
  await migrate(true);
  const started = Date.now();
  const result = reset
    ? await resetDemo({ password: booted.env.DEMO_PASSWORD })
    : await seedDemoIfEmpty({ password: booted.env.DEMO_PASSWORD });
  if (!result.seeded) {
    console.log(`Nothing seeded: ${result.summary}. Use npm run db:seed -- --reset to replace the demo orgs.`);
  } else {
    console.log(`Seeded the demo data (${result.summary}) in ${Date.now() - started} ms.`);
    const { emails, passwordHint } = demoSignIns(booted.env.DEMO_PASSWORD);
    console.log(`Demo sign-ins (${passwordHint}):`);
    for (const e of emails) console.log(`  ${e}`);
    if (result.generatedPassword) {
      console.log(`Demo password (generated, shown once; set DEMO_PASSWORD to choose it): ${result.generatedPassword}`);
    }
  }
} catch (err) {
  console.error(`Seeding failed: ${err instanceof Error ? err.message : String(err)}`);
  code = 1;
} finally {
  await closeDb().catch(() => undefined);
  await booted.shutdown().catch(() => undefined);
}
process.exit(code);
