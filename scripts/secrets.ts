// npm run secrets -- reseal [--json]
// After rotating NEXTAUTH_SECRET with the old value in NEXTAUTH_SECRET_PREVIOUS: seals every stored
// secret (TOTP secrets, IMAP mailbox passwords, stored Idempotency-Key responses) again under the
// current secret, so NEXTAUTH_SECRET_PREVIOUS can be removed. Safe to run again (already-current
// boxes are left alone) and while the app runs. Prints per column: resealed, already current, and
// unreadable (sealed under a secret no longer listed: those users enrol their second factor again,
// those mailboxes need their password again).
// Exit codes: 0 done, 1 failure, 2 usage.
import pino from "pino";
import { boot } from "./lib/boot";
import { parseCli, usageError } from "./lib/cli";
import { closeDb } from "../src/server/db/client";
import { loggerOptions, setLogger } from "../src/server/observability/logger";
import { unsafeResealColumn, type ResealCount, type SealedColumn } from "../src/server/auth/reseal-secrets";
import { TOTP_BOX } from "../src/server/auth/second-factor";
import { IMAP_PASSWORD_PURPOSE } from "../src/server/email/mailboxes";
import { SEAL_PURPOSE as IDEMPOTENCY_PURPOSE } from "../src/server/api/idempotency";

const USAGE = "Usage: npm run secrets -- reseal [--json]";
const { values, positionals } = parseCli(USAGE, {
  options: { json: { type: "boolean", default: false } },
  strict: true,
  allowPositionals: true,
});
if (positionals.length !== 1 || positionals[0] !== "reseal") usageError(USAGE, "The one command is `reseal`.");

/** Every column that holds a secret-box (src/server/auth/secret-box.ts). */
const SEALED: SealedColumn[] = [
  { table: "users", column: "totp_secret", key: ["id"], purpose: TOTP_BOX },
  { table: "email_mailboxes", column: "password_sealed", key: ["id"], purpose: IMAP_PASSWORD_PURPOSE },
  { table: "idempotency_keys", column: "body", key: ["org_id", "user_id", "key"], purpose: IDEMPOTENCY_PURPOSE },
];

setLogger(pino(loggerOptions(), pino.destination(2)));
const booted = await boot({ quiet: true });
let code = 0;
try {
  const counts: ResealCount[] = [];
  for (const col of SEALED) counts.push(await unsafeResealColumn(col));
  if (values.json) console.log(JSON.stringify(counts));
  else
    for (const c of counts)
      console.log(
        `${c.table}.${c.column}: ${c.resealed} resealed, ${c.current} already current, ${c.unreadable} unreadable`,
      );
} catch (err) {
  console.error(`secrets: ${err instanceof Error ? err.message : String(err)}`);
  code = 1;
} finally {
  await closeDb().catch(() => undefined);
  await booted.shutdown().catch(() => undefined);
}
process.exit(code);
