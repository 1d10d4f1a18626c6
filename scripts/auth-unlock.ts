// npm run auth:unlock -- <email> [--org slug] [--ip 203.0.113.7] [--json]
// Clears the sign-in throttle for one account: the email+IP failure budgets from every IP, the
// wrong one-time-code budget, and with --ip that address's daily budget. Works with the Redis
// store only (REDIS_URL): a process cannot reach another process's memory (decision 022).
// Exit codes: 0 cleared (or nothing was locked), 1 failure (Redis unreachable), 2 usage,
// 3 REDIS_URL unset (nothing this command can clear).
import { isIP } from "node:net";
import pino from "pino";
import { boot } from "./lib/boot";
import { parseCli, usageError } from "./lib/cli";
import { closeDb } from "../src/server/db/client";
import { loggerOptions, setLogger } from "../src/server/observability/logger";
import { NoSharedThrottle, unlockSignIn } from "../src/server/auth/unlock-signin";

const USAGE = "Usage: npm run auth:unlock -- <email> [--org org-slug] [--ip address] [--json]";
const { values, positionals } = parseCli(USAGE, {
  options: { org: { type: "string" }, ip: { type: "string" }, json: { type: "boolean", default: false } },
  strict: true,
  allowPositionals: true,
});
if (positionals.length !== 1 || !/^[^\s@]+@[^\s@]+$/.test(positionals[0]!))
  usageError(USAGE, "Give exactly one email address.");
if (values.ip !== undefined && !isIP(values.ip.trim())) usageError(USAGE, `--ip ${values.ip}: not an IP address.`);

setLogger(pino(loggerOptions(), pino.destination(2)));
const booted = await boot({ quiet: true });
let code = 0;
try {
  const r = await unlockSignIn({ email: positionals[0]!, orgSlug: values.org, ip: values.ip });
  if (values.json) console.log(JSON.stringify(r));
  else {
    console.log(
      `Sign-in unlocked for ${r.email}: ${r.emailIpKeys} email+IP lock(s) cleared${values.ip ? `, ${r.ipKeys} daily IP budget cleared for ${values.ip}` : ""}, ${r.secondFactorKeys} one-time-code lock(s) cleared.`,
    );
    if (r.accounts.length === 0)
      console.log(
        `No account with this email${values.org ? ` in ${values.org}` : ""} (budgets are per email, so any lock was cleared anyway).`,
      );
    else console.log(`Accounts: ${r.accounts.map((a) => a.orgSlug).join(", ")} (recorded in each org's audit log).`);
  }
} catch (err) {
  if (err instanceof NoSharedThrottle) {
    console.error(err.message);
    code = 3;
  } else {
    console.error(`auth:unlock: ${err instanceof Error ? err.message : String(err)}`);
    code = 1;
  }
} finally {
  await closeDb().catch(() => undefined);
  await booted.shutdown().catch(() => undefined);
}
process.exit(code);
