// npm run bootstrap -- --org "Name" --admin you@example.com [--name "Your Name"] [--slug x] [--timezone Europe/Paris]
// Creates a real organization and prints a one-time setup link for its first admin. Works in production.
// npm run bootstrap -- --reissue <org-slug>: a lost link; a fresh one for the admin who never set a
// password, the old one revoked, no new org.
import { boot, migrate } from "./lib/boot";
import { parseCli, usageError } from "./lib/cli";
import { closeDb } from "../src/server/db/client";
import { AppError } from "../src/server/core/errors";
import { bootstrapOrg, SETUP_LINK_HOURS } from "../src/server/provisioning/bootstrap-org";
import { reissueSetupLink } from "../src/server/provisioning/reissue-setup-link";

const USAGE =
  'Usage: npm run bootstrap -- --org "Organization name" --admin you@example.com [--name "Admin name"] [--slug org-slug] [--timezone Europe/Paris]\n' +
  "       npm run bootstrap -- --reissue org-slug   (a new setup link for an admin who never set a password; the old link stops working)";
const args = parseCli(USAGE, {
  options: {
    org: { type: "string" },
    admin: { type: "string" },
    name: { type: "string" },
    slug: { type: "string" },
    timezone: { type: "string" },
    reissue: { type: "string" },
  },
  strict: true,
  allowPositionals: false,
}).values;
if (args.reissue !== undefined) {
  if (args.org || args.admin || args.name || args.slug || args.timezone)
    usageError(USAGE, "--reissue takes only the org's slug.");
  if (!args.reissue.trim()) usageError(USAGE, "--reissue needs the org's slug.");
  await reissue(args.reissue);
}
if (!args.org?.trim() || !args.admin?.trim()) usageError(USAGE, "Both --org and --admin are required.");

async function reissue(slug: string): Promise<never> {
  const booted = await boot({ quiet: true });
  let code = 0;
  try {
    await migrate(true);
    const r = await reissueSetupLink(slug);
    console.log(
      `New setup link for ${r.admin.email} of "${r.org.name}" (slug ${r.org.slug}); ${r.revoked} earlier link(s) revoked.`,
    );
    console.log(
      `\nOne-time setup link (single use, expires ${r.expiresAt.toISOString()}, in ${SETUP_LINK_HOURS} hours):\n`,
    );
    console.log(`  ${r.setupUrl}\n`);
    console.log("It is shown only now (only its hash is stored).");
  } catch (err) {
    console.error(`Cannot re-issue the setup link: ${err instanceof Error ? err.message : String(err)}.`);
    code = err instanceof AppError && err.code === "not_found" ? 2 : 1;
  } finally {
    await closeDb().catch(() => undefined);
    await booted.shutdown().catch(() => undefined);
  }
  process.exit(code);
}

const booted = await boot({ quiet: true });
let code = 0;
try {
  await migrate(true);
  const r = await bootstrapOrg({
    name: args.org,
    adminEmail: args.admin.trim(),
    adminName: args.name,
    slug: args.slug,
    timezone: args.timezone,
  });
  console.log(
    `Created organization "${r.org.name}" (slug ${r.org.slug}, time zone ${r.org.timezone}) with admin ${r.admin.email}.`,
  );
  console.log(
    `Default SLA policies: urgent 1h/4h and high 4h/24h around the clock; normal 8h/48h and low 24h/120h in business hours (Mon–Fri 09:00–17:00 ${r.org.timezone}).`,
  );
  console.log(
    `\nOne-time setup link for ${r.admin.email} (single use, expires ${r.expiresAt.toISOString()}, in ${SETUP_LINK_HOURS} hours):\n`,
  );
  console.log(`  ${r.setupUrl}\n`);
  console.log(
    "Open it to choose the admin password. Keep it private: whoever opens it first sets the password. It is shown only now (only its hash is stored).",
  );
} catch (err) {
  if (err instanceof AppError) {
    const issues = (err.details as { issues?: { path: string; message: string }[] } | undefined)?.issues ?? [];
    console.error(`Cannot create the organization: ${err.message}.`);
    for (const i of issues) console.error(`  ${i.path === "adminEmail" ? "--admin" : `--${i.path}`} ${i.message}`);
    code = err.code === "validation_failed" ? 2 : 1;
    if (code === 2) console.error(USAGE);
  } else {
    console.error(`Cannot create the organization: ${err instanceof Error ? err.message : String(err)}`);
    code = 1;
  }
} finally {
  await closeDb().catch(() => undefined);
  await booted.shutdown().catch(() => undefined);
}
process.exit(code);
