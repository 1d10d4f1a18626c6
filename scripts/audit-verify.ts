// npm run audit:verify [-- --org <slug>]: walk each org's audit hash chain and report
// {valid, checked, firstBrokenSeq}. Exit code 1 when any chain is broken.
import { parseArgs } from "node:util";
import { boot } from "./lib/boot";
import { closeDb } from "../src/server/db/client";
import { verifyAllOrgs } from "../src/server/audit/verify-all";

const { values } = parseArgs({ options: { org: { type: "string" }, json: { type: "boolean" } } });
const booted = await boot({ quiet: true });
let code = 0;
try {
  const started = performance.now();
  const results = await verifyAllOrgs(values.org);
  if (values.org && results.length === 0) {
    console.error(`No organization with slug "${values.org}".`);
    code = 2;
  }
  let events = 0;
  for (const r of results) {
    events += r.checked;
    if (!r.valid) code = 1;
    console.log(
      values.json
        ? JSON.stringify(r)
        : `${r.valid ? "valid " : "BROKEN"}  ${r.slug.padEnd(24)} checked=${r.checked}${r.valid ? "" : ` firstBrokenSeq=${r.firstBrokenSeq}`}`,
    );
  }
  const secs = (performance.now() - started) / 1000;
  if (!values.json) console.log(`${results.length} org(s), ${events} events in ${secs.toFixed(2)} s`);
} finally {
  await closeDb();
  await booted.shutdown();
}
process.exit(code);
