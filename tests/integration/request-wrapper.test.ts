import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { route, TX_ATTEMPTS } from "../../src/server/http/route";
import { AppError } from "../../src/server/core/errors";
import { MAX_JSON_BYTES } from "../../src/server/http/json-body";
import { POST as grant } from "../helpers/http";
import { GET as me } from "../helpers/http";
import { logger, setLogger } from "../../src/server/observability/logger";
import { setProcessEnv } from "../../src/server/env";
import { closeDb } from "../../src/server/db/client";
import { createOrg, createUser, sessionCookie, type TestUser } from "../helpers/factories";
import { call } from "../helpers/http";

const lines: Record<string, unknown>[] = [];
const raw: string[] = [];
let agent: TestUser;
const original = logger();

beforeAll(async () => {
  setLogger(
    pino(
      { level: "info", redact: { paths: ["password", "*.password", "token", "*.token"], censor: "[redacted]" } },
      new Writable({
        write(chunk, _enc, cb) {
          raw.push(String(chunk));
          lines.push(JSON.parse(String(chunk)));
          cb();
        },
      }),
    ),
  );
  const org = await createOrg();
  agent = await createUser(org, { role: "agent" });
});
afterAll(() => setLogger(original));

const echo = route({ auth: "any", body: z.strictObject({ subject: z.string().max(200) }) }, async (ctx, body) => ({
  got: body.subject,
  user: ctx.user.userId,
}));
const boom = route({ auth: "any" }, async () => {
  throw new Error('relation "secret_table" does not exist at SELECT * FROM x');
});
const adminOnly = route({ auth: ["admin"] }, async () => ({ ok: true }));
const expected = route({ auth: "any" }, async () => {
  throw new AppError("conflict", "ticket was changed by someone else", { currentVersion: 3 });
});

describe("the request wrapper", () => {
  it("parses and validates JSON bodies: malformed, wrong type, oversize string, unknown key → 400 with details", async () => {
    const cookie = await sessionCookie(agent);
    const ok = await call(echo, "POST", "/x", { cookie, body: { subject: "hi" } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ got: "hi", user: agent.id });
    for (const body of [
      "{",
      "null",
      '"str"',
      JSON.stringify({ subject: 5 }),
      JSON.stringify({ subject: "x".repeat(201) }),
      JSON.stringify({ subject: "x", role: "admin" }),
      "",
    ]) {
      const r = await call(echo, "POST", "/x", { cookie, body });
      expect(r.status, body).toBe(400);
      expect(r.body.error.code).toBe("validation_failed");
    }
    const detailed = await call(echo, "POST", "/x", { cookie, body: { subject: 5 } });
    expect(detailed.body.error.details.issues[0]).toMatchObject({ in: "body", path: "subject" });
  });

  it("refuses a body over the size limit with 413 and a non-JSON media type with 415", async () => {
    const cookie = await sessionCookie(agent);
    const big = JSON.stringify({ subject: "x".repeat(MAX_JSON_BYTES) });
    const r = await call(echo, "POST", "/x", { cookie, body: big });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("payload_too_large");
    const form = await call(echo, "POST", "/x", {
      cookie,
      body: "subject=hi",
      headers: { "content-type": "text/plain" },
    });
    expect(form.status).toBe(415);
  });

  it("answers an unexpected error as 500 internal with no stack or SQL, and logs it with the request id", async () => {
    const r = await call(boom, "GET", "/x", { cookie: await sessionCookie(agent) });
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ error: { code: "internal", message: "internal error" } });
    expect(r.text).not.toMatch(/secret_table|SELECT|at /);
    const id = r.headers.get("x-request-id");
    expect(lines.some((l) => l.requestId === id && l.msg === "request failed")).toBe(true);
  });

  it("maps AppError to its status and shape", async () => {
    const r = await call(expected, "GET", "/x", { cookie: await sessionCookie(agent) });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({
      error: { code: "conflict", message: "ticket was changed by someone else", details: { currentVersion: 3 } },
    });
  });

  it("enforces role lists with 403", async () => {
    const r = await call(adminOnly, "GET", "/x", { cookie: await sessionCookie(agent) });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("forbidden");
  });

  it("logs one line per request with request id, route template, status, latency, user and org — never a password or token", async () => {
    const g = await call(grant, "POST", "/api/v1/auth/token", {
      body: { email: agent.email, password: agent.password },
    });
    expect(g.status).toBe(201);
    const token = g.body.token as string;
    const r = await call(me, "GET", `/api/v1/me`, { token });
    const line = lines.find((l) => l.requestId === r.headers.get("x-request-id") && l.msg === "request");
    expect(line).toMatchObject({
      method: "GET",
      route: "/api/v1/me",
      status: 200,
      userId: agent.id,
      orgId: agent.orgId,
    });
    expect(typeof line!.latencyMs).toBe("number");
    await call(grant, "POST", "/api/v1/auth/token", { body: { email: agent.email, password: "wrong-password-123" } });
    expect(lines.some((l) => l.event === "signin" && l.outcome === "success")).toBe(true);
    expect(lines.some((l) => l.event === "signin" && l.outcome === "bad_credentials")).toBe(true);
    const all = raw.join("");
    expect(all).not.toContain(agent.password);
    expect(all).not.toContain("wrong-password-123");
    expect(all).not.toContain(token);
  });

  it("runs a request again when PostgreSQL picks its transaction as a deadlock victim, so both callers get 200", async () => {
    // Two requests take two advisory locks in opposite orders, each waiting for the other to hold
    // its first: a real deadlock, which PostgreSQL breaks after deadlock_timeout by aborting one.
    const runs: string[] = [];
    let held = 0;
    const bothHold = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (held === 2) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    const crossing = (name: string, first: number, second: number) =>
      route({ auth: "any" }, async (ctx) => {
        runs.push(name);
        await ctx.tx.execute(sql`select pg_advisory_xact_lock(${first})`);
        if (runs.filter((r) => r === name).length === 1) {
          held++;
          await bothHold;
        }
        await ctx.tx.execute(sql`select pg_advisory_xact_lock(${second})`);
        return { name };
      });
    const cookie = await sessionCookie(agent);
    const [a, b] = await Promise.all([
      call(crossing("a", 424201, 424202), "POST", "/x", { cookie }),
      call(crossing("b", 424202, 424201), "POST", "/x", { cookie }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    // Three runs: both first ones, and the victim's second.
    expect(runs).toHaveLength(3);
    const victim = runs.filter((r) => r === "a").length === 2 ? a : b;
    const retried = lines.filter((l) => l.msg === "request" && l.txRetries === 1).map((l) => l.requestId);
    expect(retried).toContain(victim.headers.get("x-request-id"));
  });

  it("answers 409 conflict after TX_ATTEMPTS runs when every run is aborted as a serialization failure", async () => {
    let runs = 0;
    const doomed = route({ auth: "any" }, async (ctx) => {
      runs++;
      await ctx.tx.execute(sql.raw(`do $$ begin raise exception 'doomed' using errcode = '40001'; end $$`));
      return {};
    });
    const r = await call(doomed, "POST", "/x", { cookie: await sessionCookie(agent) });
    expect(r.status).toBe(409);
    expect(r.body.error).toEqual({ code: "conflict", message: "a concurrent change conflicted with this one; retry" });
    expect(runs).toBe(TX_ATTEMPTS);
    // Anything else is not run again: one run, one answer.
    let once = 0;
    const other = route({ auth: "any" }, async (ctx) => {
      once++;
      await ctx.tx.execute(sql.raw(`do $$ begin raise exception 'no' using errcode = '23505'; end $$`));
      return {};
    });
    expect((await call(other, "POST", "/x", { cookie: await sessionCookie(agent) })).status).toBe(409);
    expect(once).toBe(1);
  });

  it("answers 503 unavailable in the error shape when the database is down, and recovers", async () => {
    const cookie = await sessionCookie(agent);
    const good = process.env.DATABASE_URL!;
    await closeDb();
    setProcessEnv({ DATABASE_URL: "postgres://nobody@127.0.0.1:9/none" });
    try {
      const r = await call(me, "GET", "/api/v1/me", { cookie });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe("unavailable");
      expect(r.headers.get("retry-after")).toBe("5");
    } finally {
      await closeDb();
      setProcessEnv({ DATABASE_URL: good });
    }
    expect((await call(me, "GET", "/api/v1/me", { cookie })).status).toBe(200);
  });
});
