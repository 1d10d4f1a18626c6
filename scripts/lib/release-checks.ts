// The automatable parts of the release checklist (docs/runbooks.md#release-checklist), each
// returning rows of a pass/fail table. SKIP means "not checked", never "fine".
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { EnvError, parseEnv } from "../../src/server/env";
import { migrationStatus } from "../../src/server/db/migrations";
import { leakproofState } from "../../src/server/db/leakproof";
import type { Status } from "./report-table";
import { EMBEDDED_PORT } from "./boot";
import { redactUrl } from "./pg-tools";

/** CONFIRM: not a failure, but a value a person must confirm for this deployment (REDIS_URL, TRUST_PROXY_HOPS). */
export type Row = { item: string; status: Status | "CONFIRM"; detail: string };

const row = (item: string, ok: boolean, detail: string): Row => ({ item, status: ok ? "PASS" : "FAIL", detail });

/** (a) The production environment: present, valid, and not the demo's defaults. Never prints a secret. */
export function checkEnv(source: Record<string, string | undefined>, cwd = process.cwd()): Row[] {
  const rows: Row[] = [];
  try {
    parseEnv(source);
    rows.push(row("env: valid (src/server/env.ts)", true, "parses"));
  } catch (err) {
    rows.push(
      row("env: valid (src/server/env.ts)", false, err instanceof EnvError ? err.problems.join("; ") : String(err)),
    );
  }
  const set = (k: string) => (source[k] ?? "").trim() !== "";

  rows.push(
    row(
      "env: NODE_ENV=production",
      source.NODE_ENV === "production",
      source.NODE_ENV ? `is ${source.NODE_ENV}` : "unset (means development)",
    ),
  );

  const secret = (source.NEXTAUTH_SECRET ?? "").trim();
  const demoFile = path.resolve(cwd, source.BEACON_DATA_DIR || ".data", "nextauth-secret");
  const demo = fs.existsSync(demoFile) ? fs.readFileSync(demoFile, "utf8").trim() : undefined;
  rows.push(
    !secret
      ? row("env: NEXTAUTH_SECRET", false, "unset")
      : secret.length < 32
        ? row("env: NEXTAUTH_SECRET", false, `only ${secret.length} characters (at least 32)`)
        : secret === demo
          ? row("env: NEXTAUTH_SECRET", false, `is the demo's generated secret from ${path.relative(cwd, demoFile)}`)
          : new Set(secret).size < 8
            ? row(
                "env: NEXTAUTH_SECRET",
                false,
                `${secret.length} characters but only ${new Set(secret).size} distinct: not random`,
              )
            : row("env: NEXTAUTH_SECRET", true, `set, ${secret.length} characters, not the demo's`),
  );

  const nextauthUrl = source.NEXTAUTH_URL;
  let https = false;
  try {
    https = !!nextauthUrl && new URL(nextauthUrl).protocol === "https:";
  } catch {
    https = false;
  }
  rows.push(row("env: NEXTAUTH_URL is https", https, nextauthUrl ? nextauthUrl : "unset"));

  const db = source.DATABASE_URL;
  let dbOk = false;
  let dbDetail = "unset (the app would start the embedded demo database)";
  if (db) {
    try {
      const u = new URL(db);
      const loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].includes(u.hostname);
      if (set("BEACON_EMBEDDED_DB")) dbDetail = "BEACON_EMBEDDED_DB is set (the embedded demo database)";
      else if (loopback && u.port === String(EMBEDDED_PORT)) dbDetail = `${redactUrl(db)} is the embedded demo server`;
      else {
        dbOk = true;
        dbDetail = redactUrl(db);
      }
    } catch {
      dbDetail = "not a URL";
    }
  }
  rows.push(row("env: DATABASE_URL (not the embedded default)", dbOk, dbDetail));
  rows.push(
    row(
      "env: DEMO_PASSWORD unset",
      !set("DEMO_PASSWORD"),
      set("DEMO_PASSWORD") ? "is set (the demo seed password)" : "unset",
    ),
  );

  // Issue 18 item 12, issue 21 §4: legal but wrong in production; the boot log warns about the same.
  rows.push(
    row(
      "env: METRICS_TOKEN set",
      set("METRICS_TOKEN"),
      set("METRICS_TOKEN")
        ? "set (/api/metrics needs the bearer token)"
        : "unset: /api/metrics is open to anyone who can reach the app",
    ),
  );
  let smtp = "unset: email is written to files under BEACON_DATA_DIR/mail, nobody receives it";
  if (set("SMTP_URL")) {
    try {
      smtp = `SMTP ${new URL(source.SMTP_URL!).host}`;
    } catch {
      smtp = "not a URL";
    }
  }
  rows.push(row("env: SMTP_URL set", set("SMTP_URL") && smtp !== "not a URL", smtp));
  let redisHost = "";
  try {
    redisHost = set("REDIS_URL") ? new URL(source.REDIS_URL!).host : "";
  } catch {
    redisHost = "not a URL";
  }
  rows.push({
    item: "env: REDIS_URL",
    status: "CONFIRM",
    detail: set("REDIS_URL")
      ? `${redisHost}: rate limits shared by every app process (confirm it is the production Redis)`
      : "unset: rate limits are per process (confirm: fine for one app process, set it for several)",
  });
  const hops = (source.TRUST_PROXY_HOPS ?? "").trim() || "0";
  rows.push({
    item: "env: TRUST_PROXY_HOPS",
    status: "CONFIRM",
    detail:
      hops === "0"
        ? "0: the client IP is the socket's peer (confirm no reverse proxy is in front, or every client shares its address)"
        : `${hops}: confirm exactly ${hops} proxies append to X-Forwarded-For (more lets clients forge their IP)`,
  });
  return rows;
}

/**
 * A check that reads DATABASE_URL over one short-lived connection: FAIL with "could not run" when
 * the URL is unset, the connection fails, or the read throws.
 */
async function withDatabase(
  item: string,
  url: string | undefined,
  check: (client: pg.Client) => Promise<Row>,
): Promise<Row> {
  if (!url) return row(item, false, "could not run: DATABASE_URL is not set");
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 5_000,
    application_name: "beacon-release-check",
  });
  try {
    await client.connect();
    return await check(client);
  } catch (err) {
    return row(item, false, `could not run: ${(err as Error).message} (${redactUrl(url)})`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** (b) Every committed migration is applied to DATABASE_URL. */
export function checkMigrations(url: string | undefined): Promise<Row> {
  const item = "migrations applied (0 pending)";
  return withDatabase(item, url, async (client) => {
    const s = await migrationStatus(client);
    return s.pending.length === 0
      ? row(item, true, `${s.applied.length} applied, last ${s.applied.at(-1) ?? "none"}`)
      : row(item, false, `${s.pending.length} pending: ${s.pending.join(", ")} (run npm run db:migrate)`);
  });
}

/** (b2) The search operators' LEAKPROOF marks, which a non-superuser migration cannot set. */
export function checkLeakproof(url: string | undefined): Promise<Row> {
  const item = "search operators LEAKPROOF";
  return withDatabase(item, url, async (client) => {
    const s = await leakproofState(client);
    return row(item, s.ok, s.detail);
  });
}

function capture(
  cmd: string,
  args: string[],
  opts: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...(opts.env ?? process.env), NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGTERM"), opts.timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr, error });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        error: signal ? new Error(`stopped after ${opts.timeoutMs / 1000} s (${signal})`) : undefined,
      });
    });
  });
}

type AuditJson = {
  error?: { code?: string; summary?: string; detail?: string };
  message?: string;
  statusCode?: number;
  metadata?: { vulnerabilities?: Record<string, number> };
  vulnerabilities?: Record<string, { severity: string }>;
};

/** (c) `npm audit --omit=dev --audit-level=high`. No answer from the registry is a failure, not a pass. */
export async function checkNpmAudit(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): Promise<Row> {
  const item = "npm audit --omit=dev (high, critical)";
  const npmCli = process.env.npm_execpath;
  const [cmd, pre] = npmCli && /npm-cli\.js$/.test(npmCli) ? [process.execPath, [npmCli]] : ["npm", []];
  const r = await capture(cmd, [...pre, "audit", "--omit=dev", "--audit-level=high", "--json"], {
    cwd,
    timeoutMs: 120_000,
    env,
  });
  if (r.error && r.code === null) return row(item, false, `could not run: ${r.error.message}`);
  let json: AuditJson;
  try {
    json = JSON.parse(r.stdout) as AuditJson;
  } catch {
    const why = (
      r.stderr.split("\n").find((l) => /error/i.test(l)) ??
      r.stderr.trim().split("\n")[0] ??
      `exit ${r.code}`
    ).trim();
    return row(item, false, `could not run: ${why || "no output"}`);
  }
  const v = json.metadata?.vulnerabilities;
  if (!v) {
    const why =
      json.message ??
      ([json.error?.code, json.error?.summary].filter(Boolean).join(" ") || "the registry gave no audit report");
    return row(item, false, `could not run: ${why}`);
  }
  const serious = Object.entries(json.vulnerabilities ?? {})
    .filter(([, x]) => x.severity === "high" || x.severity === "critical")
    .map(([name, x]) => `${name} (${x.severity})`);
  const minor = (v.low ?? 0) + (v.moderate ?? 0) + (v.info ?? 0);
  return serious.length === 0
    ? row(item, true, `0 high or critical${minor ? ` (${minor} low/moderate)` : ""}`)
    : row(
        item,
        false,
        `${serious.length} high or critical: ${serious.slice(0, 8).join(", ")}${serious.length > 8 ? ", …" : ""} (npm audit --omit=dev for details)`,
      );
}

/**
 * (d) secretlint over the tree (`secretlint "**\/*"` honouring .secretlintignore, which mirrors
 * .gitignore). Findings are listed by file, line and rule; the secret itself is masked.
 */
export async function checkSecrets(
  cwd = process.cwd(),
  opts: { secretlintrc?: string; bin?: string } = {},
): Promise<Row> {
  const item = "secret scan (secretlint)";
  const bin = opts.bin ?? path.join(process.cwd(), "node_modules", ".bin", "secretlint");
  if (!fs.existsSync(bin)) return row(item, false, "could not run: secretlint is not installed (npm ci --include=dev)");
  const args = [
    "**/*",
    "--format",
    "unix",
    "--no-color",
    ...(opts.secretlintrc ? ["--secretlintrc", opts.secretlintrc] : []),
  ];
  let r = await capture(bin, args, { cwd, timeoutMs: 300_000 });
  // A file deleted between listing and reading (an editor's temp file) is not a finding: retry once.
  if (r.code === 2 && /ENOENT/.test(r.stderr)) r = await capture(bin, args, { cwd, timeoutMs: 300_000 });
  if (r.code === 0) return row(item, true, "no secrets found");
  const findings = r.stdout
    .split("\n")
    .map((l) => /^(.+?):(\d+):\d+: \[([^\]]+)\]/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => `${path.relative(cwd, m[1]!)}:${m[2]} ${m[3]}`);
  if (r.code === 1 && findings.length) {
    return row(
      item,
      false,
      `${findings.length} finding(s): ${findings.slice(0, 6).join(", ")}${findings.length > 6 ? ", …" : ""}`,
    );
  }
  const why = (r.error?.message ?? r.stderr.trim().split("\n")[0]) || `exit ${r.code}`;
  return row(item, false, `could not run: ${why}`);
}
