// npm run tokens -- revoke <token id | whole token> [--json]
// Revokes one API token: by its id (the UUID the token list and audit log show, or the 32 hex
// characters after the org in bcn_<org>_<id>_<secret>) or by the whole leaked token string. The
// token stops working on its next request; the org's audit log records token.revoked (via operator).
// Exit codes: 0 revoked (or already revoked), 1 failure, 2 usage, 3 no such token.
import { boot } from "./lib/boot";
import { parseCli, usageError } from "./lib/cli";
import { closeDb } from "../src/server/db/client";
import { TokenRefError, unsafeRevokeTokenByRef } from "../src/server/auth/operator-tokens";

const USAGE = "Usage: npm run tokens -- revoke <token id | whole token> [--json]";
const parsed = parseCli(USAGE, {
  options: { json: { type: "boolean", default: false } },
  strict: true,
  allowPositionals: true,
});
const [command, ref, ...extra] = parsed.positionals;
if (command !== "revoke" || !ref || extra.length > 0)
  usageError(USAGE, command ? `unknown or incomplete command: ${parsed.positionals.join(" ")}` : "no command given");

const booted = await boot({ quiet: true });
let code = 0;
try {
  const r = await unsafeRevokeTokenByRef(ref);
  if (parsed.values.json) console.log(JSON.stringify(r));
  else if (r.outcome === "not_found") console.error("no such token (check the id, or pass the whole token string)");
  else
    console.log(
      `${r.outcome === "revoked" ? "revoked" : "was already revoked"}: token ${r.id} "${r.name}" of ${r.userEmail} (org ${r.orgId}, ${r.prefix}…)`,
    );
  code = r.outcome === "not_found" ? 3 : 0;
} catch (err) {
  if (err instanceof TokenRefError) usageError(USAGE, err.message);
  console.error(`tokens: ${err instanceof Error ? err.message : String(err)}`);
  code = 1;
} finally {
  await closeDb();
  await booted.shutdown();
}
process.exit(code);
