// npm run release:check [-- --url https://host --email … --password … [--org slug]] [--skip-audit] [--skip-secrets]
// The automatable parts of the release checklist, as a pass/fail table; exit 1 when any item fails.
// Run it where the release runs, with the production environment (it reads the process
// environment exactly as the app does, and DATABASE_URL for the migrations check).
// SKIP means not checked: a skipped item is never reported as passing.
import { parseArgs } from "node:util";
import { checkEnv, checkLeakproof, checkMigrations, checkNpmAudit, checkSecrets, type Row } from "./lib/release-checks";
import { runSmoke } from "./lib/smoke";
import { renderTable } from "./lib/report-table";

const USAGE = `Usage: npm run release:check [-- --url <base URL of a running instance> --email <user> --password <password> [--org <slug>]]
                            [--skip-audit] [--skip-secrets]
  --password can also come from BEACON_SMOKE_PASSWORD (keeps it out of the shell history and ps).`;

let values: {
  url?: string;
  email?: string;
  password?: string;
  org?: string;
  "skip-audit"?: boolean;
  "skip-secrets"?: boolean;
  help?: boolean;
};
try {
  ({ values } = parseArgs({
    options: {
      url: { type: "string" },
      email: { type: "string" },
      password: { type: "string" },
      org: { type: "string" },
      "skip-audit": { type: "boolean" },
      "skip-secrets": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (values.url) {
  try {
    if (!/^https?:$/.test(new URL(values.url).protocol)) throw new Error("not http(s)");
  } catch {
    console.error(`--url must be an http(s) URL, e.g. https://helpdesk.example.com\n${USAGE}`);
    process.exit(2);
  }
}

const started = performance.now();
const rows: Row[] = [...checkEnv(process.env)];
rows.push(await checkMigrations(process.env.DATABASE_URL));
rows.push(await checkLeakproof(process.env.DATABASE_URL));
rows.push(
  values["skip-audit"]
    ? { item: "npm audit --omit=dev (high, critical)", status: "SKIP", detail: "--skip-audit" }
    : await checkNpmAudit(),
);
rows.push(
  values["skip-secrets"]
    ? { item: "secret scan (secretlint)", status: "SKIP", detail: "--skip-secrets" }
    : await checkSecrets(),
);

if (!values.url) {
  rows.push({
    item: "smoke",
    status: "SKIP",
    detail: "no --url given (smoke-test a running instance with --url --email --password)",
  });
} else {
  const steps = await runSmoke({
    baseUrl: values.url,
    email: values.email,
    password: values.password ?? process.env.BEACON_SMOKE_PASSWORD,
    org: values.org,
  });
  for (const s of steps) {
    rows.push({
      item: `smoke: ${s.step}`,
      status: s.ok === null ? "SKIP" : s.ok ? "PASS" : "FAIL",
      detail: s.status === null ? s.detail : `${s.status} in ${s.ms} ms, ${s.detail}`,
    });
  }
}

console.log(
  renderTable(
    ["item", "result", "detail"],
    rows.map((r) => [r.item, r.status, r.detail]),
  ),
);
const failed = rows.filter((r) => r.status === "FAIL");
const skipped = rows.filter((r) => r.status === "SKIP").length;
const confirm = rows.filter((r) => r.status === "CONFIRM");
const toConfirm = confirm.length
  ? `, ${confirm.length} to CONFIRM by hand (${confirm.map((r) => r.item.replace(/^env: /, "")).join(", ")})`
  : "";
const secs = ((performance.now() - started) / 1000).toFixed(1);
console.log("");
if (failed.length) {
  console.log(
    `RELEASE CHECK FAILED: ${failed.length} of ${rows.length} items failed (${failed.map((r) => r.item).join("; ")})${skipped ? `, ${skipped} skipped` : ""}${toConfirm}, in ${secs} s.`,
  );
} else {
  console.log(
    `RELEASE CHECK PASSED: ${rows.length - skipped - confirm.length} items passed${skipped ? `, ${skipped} SKIPPED (not checked)` : ""}${toConfirm}, in ${secs} s.`,
  );
}
process.exit(failed.length ? 1 : 0);
