// npm run release:check as an operator runs it (a child process with its own environment), and
// its smoke step against Beacon's real route handlers served by a small node:http adapter (the
// real app needs a build; the handlers, wrapper, auth and database below them are the same).
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScript, type ScriptRun } from "../helpers/run-script";
import { GET as readyz } from "../../src/app/readyz/route";
import { POST as grantToken } from "../helpers/http";
import { POST as createTicket, GET as getTicket, POST as addComment } from "../helpers/http";
import pg from "pg";
import { checkEnv, checkLeakproof, checkNpmAudit, checkSecrets } from "../../scripts/lib/release-checks";
import { databaseOf } from "../../scripts/lib/pg-tools";
import { runSmoke } from "../../scripts/lib/smoke";
import { api } from "../helpers/api";
import { TEST_PASSWORD } from "../helpers/factories";
import { createWorld, type World } from "../helpers/world";

const ROOT = path.resolve(import.meta.dirname, "../..");
const dbUrl = process.env.DATABASE_URL!;

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
const ROUTES: [string, RegExp, Handler][] = [
  ["GET", /^\/readyz$/, () => readyz()],
  ["POST", /^\/api\/v1\/auth\/token$/, grantToken],
  ["POST", /^\/api\/v1\/tickets$/, createTicket],
  ["GET", /^\/api\/v1\/tickets\/(?<id>[^/]+)$/, getTicket],
  ["POST", /^\/api\/v1\/tickets\/(?<id>[^/]+)\/comments$/, addComment],
];

/** node:http → the route handlers, as Next.js would call them. */
function serveRoutes(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const route = ROUTES.find(([m, re]) => m === req.method && re.test(url.pathname));
        if (!route) {
          res.writeHead(404).end();
          return;
        }
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
        headers.set("x-forwarded-for", req.socket.remoteAddress ?? "127.0.0.1");
        const body = chunks.length ? Buffer.concat(chunks) : undefined;
        const params = route[1].exec(url.pathname)?.groups ?? {};
        const response = await route[2](new Request(url, { method: req.method, headers, body }), {
          params: Promise.resolve({ ...params }),
        });
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      })().catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

function releaseCheck(args: string[], env: Record<string, string | undefined>): Promise<ScriptRun> {
  const drop = [
    "DEMO_PASSWORD",
    "BEACON_EMBEDDED_DB",
    "NEXTAUTH_SECRET",
    "NEXTAUTH_URL",
    "NODE_ENV",
    "BEACON_SMOKE_PASSWORD",
    "npm_execpath",
  ];
  return runScript("release-check.ts", args, { env, drop });
}

const goodEnv = () => ({
  NODE_ENV: "production",
  NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
  NEXTAUTH_URL: "https://helpdesk.example.com",
  DATABASE_URL: dbUrl,
  METRICS_TOKEN: randomBytes(24).toString("base64url"),
  SMTP_URL: "smtp://mail.example.com:587",
});

let w: World;
let app: { url: string; close: () => Promise<void> };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-release-check-"));

beforeAll(async () => {
  w = await createWorld();
  app = await serveRoutes();
});
afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("npm run release:check", () => {
  it("fails on a development environment, naming each failing item and printing no secret", async () => {
    const r = await releaseCheck(["--skip-audit", "--skip-secrets"], {
      NODE_ENV: "development",
      NEXTAUTH_SECRET: "tiny-secret-xyz",
      NEXTAUTH_URL: "http://helpdesk.example.com",
      DEMO_PASSWORD: "demo-password-for-tests",
      DATABASE_URL: dbUrl,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /env: valid \(src\/server\/env\.ts\)\s+FAIL\s+NEXTAUTH_SECRET must be at least 32 characters/,
    );
    expect(r.stdout).toMatch(/env: NODE_ENV=production\s+FAIL\s+is development/);
    expect(r.stdout).toMatch(/env: NEXTAUTH_SECRET\s+FAIL\s+only 15 characters/);
    expect(r.stdout).toMatch(/env: NEXTAUTH_URL is https\s+FAIL\s+http:\/\/helpdesk\.example\.com/);
    expect(r.stdout).toMatch(/env: DEMO_PASSWORD unset\s+FAIL\s+is set/);
    expect(r.stdout).toMatch(/env: DATABASE_URL \(not the embedded default\)\s+PASS/);
    expect(r.stdout).toMatch(/migrations applied \(0 pending\)\s+PASS\s+\d+ applied/);
    expect(r.stdout).toMatch(
      /search operators LEAKPROOF\s+PASS\s+ts_match_vq and texticlike are LEAKPROOF: search is index-driven; so are jsonb_contains and beacon_org_custom_fields/,
    );
    expect(r.stdout).toMatch(/npm audit --omit=dev \(high, critical\)\s+SKIP\s+--skip-audit/);
    expect(r.stdout).toMatch(/secret scan \(secretlint\)\s+SKIP\s+--skip-secrets/);
    expect(r.stdout).toMatch(/smoke\s+SKIP\s+no --url given/);
    // Issue 18 item 12, issue 21 §4: no METRICS_TOKEN or SMTP_URL fails; REDIS_URL and TRUST_PROXY_HOPS are to confirm.
    expect(r.stdout).toMatch(/env: METRICS_TOKEN set\s+FAIL\s+unset: \/api\/metrics is open to anyone/);
    expect(r.stdout).toMatch(/env: SMTP_URL set\s+FAIL\s+unset: email is written to files/);
    expect(r.stdout).toMatch(/env: REDIS_URL\s+CONFIRM\s+unset: rate limits are per process/);
    expect(r.stdout).toMatch(/env: TRUST_PROXY_HOPS\s+CONFIRM\s+0: the client IP is the socket's peer/);
    expect(r.stdout).toContain("RELEASE CHECK FAILED: 7 of 15 items failed");
    expect(r.stdout).toContain("2 to CONFIRM by hand (REDIS_URL, TRUST_PROXY_HOPS)");
    expect(r.stdout + r.stderr).not.toContain("tiny-secret-xyz");
    expect(r.stdout + r.stderr).not.toContain("demo-password-for-tests");
  }, 60_000);

  it("fails on the demo's generated secret and the embedded database", async () => {
    const secret = randomBytes(32).toString("base64url");
    fs.writeFileSync(path.join(tmp, "nextauth-secret"), secret, { mode: 0o600 });
    const r = await releaseCheck(["--skip-audit", "--skip-secrets"], {
      ...goodEnv(),
      NEXTAUTH_SECRET: secret,
      BEACON_DATA_DIR: tmp,
      BEACON_EMBEDDED_DB: "1",
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/env: NEXTAUTH_SECRET\s+FAIL\s+is the demo's generated secret/);
    expect(r.stdout).toMatch(/env: DATABASE_URL \(not the embedded default\)\s+FAIL\s+BEACON_EMBEDDED_DB is set/);
    expect(r.stdout).not.toContain(secret);
    expect(
      checkEnv({ DATABASE_URL: "postgres://postgres:x@127.0.0.1:54329/beacon" }).find((x) =>
        x.item.startsWith("env: DATABASE_URL"),
      ),
    ).toMatchObject({
      status: "FAIL",
      detail: expect.stringContaining("is the embedded demo server"),
    });
  }, 60_000);

  it("passes with a production environment, scans this repository clean, and smoke-tests sign-in, ticket, comment", async () => {
    const r = await releaseCheck(["--skip-audit", "--url", app.url, "--email", w.agent.email], {
      ...goodEnv(),
      BEACON_SMOKE_PASSWORD: TEST_PASSWORD,
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/secret scan \(secretlint\)\s+PASS\s+no secrets found/);
    expect(r.stdout).toMatch(/smoke: GET \/readyz\s+PASS\s+200 in \d+ ms, ready, 0 pending migrations/);
    expect(r.stdout).toMatch(/smoke: POST \/api\/v1\/auth\/token\s+PASS\s+201 in \d+ ms/);
    expect(r.stdout).toMatch(/smoke: POST \/api\/v1\/tickets\s+PASS\s+201 in \d+ ms, ticket #1/);
    expect(r.stdout).toMatch(/smoke: POST \/api\/v1\/tickets\/:id\/comments\s+PASS\s+201 in \d+ ms/);
    expect(r.stdout).toMatch(/smoke: GET \/api\/v1\/tickets\/:id\s+PASS\s+200 in \d+ ms, read back, same subject/);
    expect(r.stdout).toMatch(/npm audit --omit=dev \(high, critical\)\s+SKIP/);
    expect(r.stdout).toMatch(/env: METRICS_TOKEN set\s+PASS/);
    expect(r.stdout).toMatch(/env: SMTP_URL set\s+PASS\s+SMTP mail\.example\.com:587/);
    expect(r.stdout).toMatch(
      /RELEASE CHECK PASSED: 16 items passed, 1 SKIPPED \(not checked\), 2 to CONFIRM by hand \(REDIS_URL, TRUST_PROXY_HOPS\)/,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(TEST_PASSWORD);
    const list = await api.listTickets(w.agent);
    expect(list.body.data.map((t: { subject: string }) => t.subject)).toEqual([
      expect.stringMatching(/^release-check smoke /),
    ]);
  }, 120_000);

  it("fails the smoke on a wrong password and does not run the steps that need the token", async () => {
    const r = await releaseCheck(
      ["--skip-audit", "--skip-secrets", "--url", app.url, "--email", w.agent.email, "--password", "not the password"],
      goodEnv(),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/smoke: GET \/readyz\s+PASS/);
    expect(r.stdout).toMatch(/smoke: POST \/api\/v1\/auth\/token\s+FAIL\s+401 in \d+ ms, unauthenticated/);
    expect(r.stdout).toMatch(/smoke: POST \/api\/v1\/tickets\s+SKIP\s+not run: no token/);
    expect(r.stdout).toContain("RELEASE CHECK FAILED: 1 of");
  }, 60_000);
});

describe("release checks, one by one", () => {
  it("missing LEAKPROOF marks fail their row with the statements and the database", async () => {
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    try {
      await c.query("alter function texticlike(text, text) not leakproof");
      const r = await checkLeakproof(dbUrl);
      expect(r).toMatchObject({ item: "search operators LEAKPROOF", status: "FAIL" });
      expect(r.detail).toContain(
        `in database "${databaseOf(dbUrl)}": ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF; ALTER FUNCTION texticlike(text, text) LEAKPROOF;`,
      );
    } finally {
      await c.query("alter function texticlike(text, text) leakproof");
      await c.end();
    }
  });

  it("the secret scan reports planted secrets by file, line and rule, masked", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "leak-"));
    const alnum = (n: number) =>
      Array.from(randomBytes(n), (b) => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[b % 62]).join(
        "",
      );
    const token = `ghp_${alnum(36)}`;
    const pw = alnum(16);
    fs.writeFileSync(
      path.join(dir, "config.ts"),
      `export const a = 1;\nexport const token = "${token}";\nexport const db = "postgres://beacon:${pw}@db.internal:5432/beacon";\n`,
    );
    const r = await checkSecrets(dir, { secretlintrc: path.join(ROOT, ".secretlintrc.json") });
    expect(r.status).toBe("FAIL");
    expect(r.detail).toContain("2 finding(s)");
    expect(r.detail).toContain("config.ts:2 GITHUB_TOKEN");
    expect(r.detail).toContain("config.ts:3 PostgreSQLConnection");
    expect(r.detail).not.toContain(token);
    expect(r.detail).not.toContain(pw);
  }, 60_000);

  it("npm audit that cannot reach the registry fails with the reason (never a pass)", async () => {
    const r = await checkNpmAudit(ROOT, {
      ...process.env,
      npm_config_registry: "http://127.0.0.1:9/",
      npm_config_fetch_retries: "0",
    });
    expect(r.status).toBe("FAIL");
    expect(r.detail).toMatch(/^could not run: .*ECONNREFUSED/);
  }, 60_000);

  it("a smoke against nothing fails on readiness and runs nothing else", async () => {
    const steps = await runSmoke({ baseUrl: "http://127.0.0.1:9", email: "a@b.c", password: "x", timeoutMs: 3_000 });
    expect(steps[0]).toMatchObject({
      step: "GET /readyz",
      ok: false,
      detail: expect.stringContaining("request failed"),
    });
    expect(steps.slice(1).every((s) => s.ok === null)).toBe(true);
  });
});
