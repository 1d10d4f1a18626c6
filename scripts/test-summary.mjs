// Prints one closing line for CI: "N passed, N failed" over the Vitest, Playwright and cluster reports.
import fs from "node:fs";

let passed = 0;
let failed = 0;
let skipped = 0;
for (const vitest of ["reports/vitest.json", "reports/vitest-external-db.json"]) {
  if (!fs.existsSync(vitest)) continue;
  const r = JSON.parse(fs.readFileSync(vitest, "utf8"));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
const e2e = "reports/e2e.json";
if (fs.existsSync(e2e)) {
  const s = JSON.parse(fs.readFileSync(e2e, "utf8")).stats ?? {};
  passed += s.expected ?? 0;
  failed += (s.unexpected ?? 0) + (s.flaky ?? 0);
  skipped += s.skipped ?? 0;
}
// npm run test:cluster: one entry per check.
const cluster = "reports/cluster.json";
if (fs.existsSync(cluster)) {
  const c = JSON.parse(fs.readFileSync(cluster, "utf8"));
  passed += c.passed ?? 0;
  failed += c.failed ?? 0;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
