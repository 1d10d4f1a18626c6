import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { TABLE } from "../../src/server/api/table";
import type { ApiOperation } from "../../src/server/api/operation";
import { apiRoute, call, examplePath, type CallOptions, type CallResult } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// One envelope and one strictness rule on every /api/v1 operation (issue 20, docs/decisions/044):
// unknown query parameters and a body sent to an operation that takes none are 400; a caller without
// valid credentials gets 401 before its body is validated; a client asking for RFC 9457 problem
// details gets them, with the same code. Table-driven over every operation of the route table.

let w: World;
beforeAll(async () => {
  w = await createWorld();
});

const pathOf = (op: ApiOperation) => examplePath(op);
const send = (op: ApiOperation, o: CallOptions & { path?: string } = {}) =>
  call(apiRoute[op.method], op.method, o.path ?? pathOf(op), o);
const label = (op: ApiOperation) => `${op.method} ${op.path}`;
/** Operations whose handler reads the body itself (uploads, raw provider webhooks): no JSON body schema, yet a body. */
const readsOwnBody = (op: ApiOperation) => op.multipart !== undefined || op.rawBody !== undefined;

const expectProblem = (r: CallResult, status: number, code: string) => {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get("content-type")).toBe("application/problem+json");
  expect(r.body).toMatchObject({
    type: `tag:beacon,2026:problem:${code}`,
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
  });
  expect(r.body.requestId).toBe(r.headers.get("x-request-id"));
  expect(
    Object.keys(r.body).every((k) => ["type", "title", "status", "detail", "code", "requestId", "details"].includes(k)),
    r.text,
  ).toBe(true);
};

describe("strictness on every operation", () => {
  it("refuses an unknown query parameter with 400 naming it, whoever calls", async () => {
    const seen: string[] = [];
    for (const op of TABLE) {
      for (const who of [{ cookie: w.admin.cookie }, {}]) {
        const r = await send(op, { ...who, path: `${pathOf(op)}?zzUnknownParam=1` });
        expect(r.status, `${label(op)}: ${r.text}`).toBe(400);
        expect(r.body.error.code).toBe("validation_failed");
        expect(r.text, label(op)).toContain("zzUnknownParam");
      }
      seen.push(label(op));
    }
    expect(seen).toHaveLength(TABLE.length);
  });

  it("refuses a repeated parameter that is not a list, and accepts a list filter either way (comma or repeated)", async () => {
    const r = await call(apiRoute.GET, "GET", "/api/v1/tickets?limit=1&limit=2", { cookie: w.agent.cookie });
    expect(r.status, r.text).toBe(400);
    const comma = await call(apiRoute.GET, "GET", "/api/v1/tickets?status=new,open", { cookie: w.agent.cookie });
    const repeated = await call(apiRoute.GET, "GET", "/api/v1/tickets?status=new&status=open", {
      cookie: w.agent.cookie,
    });
    expect(comma.status, comma.text).toBe(200);
    expect(repeated.status, repeated.text).toBe(200);
    expect(repeated.body).toEqual(comma.body);
  });

  it("refuses a body sent to an operation that takes none with 400, before the handler runs", async () => {
    const bodiless = TABLE.filter((op) => op.method !== "GET" && !op.body && !readsOwnBody(op));
    expect(bodiless.length).toBeGreaterThan(5);
    for (const op of bodiless) {
      const r = await send(op, { cookie: w.admin.cookie, body: { surprise: true } });
      expect(r.status, `${label(op)}: ${r.text}`).toBe(400);
      expect(r.body.error).toMatchObject({
        code: "validation_failed",
        message: "this operation takes no request body",
      });
    }
    // The same refusal changes nothing: a webhook DELETE with a body leaves the webhook in place.
    const hook = await call(apiRoute.POST, "POST", "/api/v1/webhooks", {
      cookie: w.admin.cookie,
      body: { url: "http://127.0.0.1:9/x", events: ["ticket.created"] },
    });
    expect(hook.status, hook.text).toBe(201);
    const del = await call(apiRoute.DELETE, "DELETE", `/api/v1/webhooks/${hook.body.id}`, {
      cookie: w.admin.cookie,
      body: "{}",
    });
    expect(del.status, del.text).toBe(400);
    const list = await call(apiRoute.GET, "GET", "/api/v1/webhooks", { cookie: w.admin.cookie });
    expect(list.body.data.map((h: { id: string }) => h.id)).toContain(hook.body.id);
    // Without a body (or an empty one) it is served.
    expect(
      (
        await call(apiRoute.DELETE, "DELETE", `/api/v1/webhooks/${hook.body.id}`, {
          cookie: w.admin.cookie,
          headers: { "content-length": "0" },
        })
      ).status,
    ).toBe(204);
  });

  it("answers 401 before validating the body, for every signed-in operation that takes one", async () => {
    const withBody = TABLE.filter((op) => op.can !== "public" && (op.body || op.multipart));
    expect(withBody.length).toBeGreaterThan(10);
    const otherOrg = randomUUID().replace(/-/g, "");
    for (const op of withBody) {
      for (const creds of [
        {},
        { headers: { authorization: "Bearer not-a-token" } },
        { token: `bcn_${otherOrg}_${"A".repeat(43)}` },
        { token: `bcn_${w.org.id.replace(/-/g, "")}_${"B".repeat(43)}` },
      ]) {
        const r = await send(op, { ...creds, body: { zzNotAField: [1, 2, 3] } });
        expect(r.status, `${label(op)} ${JSON.stringify(creds)}: ${r.text}`).toBe(401);
        expect(r.body.error.code).toBe("unauthenticated");
      }
    }
  });
});

describe("problem details (RFC 9457) for a client that asks", () => {
  const problem = { accept: "application/problem+json" };

  it("answers every operation's refusal as application/problem+json with the same code", async () => {
    for (const op of TABLE) {
      const r = await send(op, { headers: problem, path: `${pathOf(op)}?zzUnknownParam=1` });
      expectProblem(r, 400, "validation_failed");
      expect(r.body.details.issues.length, label(op)).toBeGreaterThan(0);
    }
  });

  it("covers 401, 404, 405, 403 and a domain error, and keeps Allow", async () => {
    expectProblem(await call(apiRoute.GET, "GET", "/api/v1/tickets", { headers: problem }), 401, "unauthenticated");
    expectProblem(await call(apiRoute.GET, "GET", "/api/v1/nope", { headers: problem }), 404, "not_found");
    expectProblem(await call(apiRoute.GET, "GET", "/api/v1", { headers: problem }), 404, "not_found");
    const r405 = await call(apiRoute.DELETE, "DELETE", "/api/v1/feature-flags", {
      cookie: w.admin.cookie,
      headers: problem,
    });
    expectProblem(r405, 405, "method_not_allowed");
    expect(r405.headers.get("allow")).toBe("GET, PUT");
    expect(r405.body.details).toEqual({ allow: ["GET", "PUT"] });
    expectProblem(
      await call(apiRoute.GET, "GET", "/api/v1/feature-flags", { cookie: w.agent.cookie, headers: problem }),
      403,
      "forbidden",
    );
    expectProblem(
      await call(apiRoute.GET, "GET", `/api/v1/tickets/${randomUUID()}`, {
        cookie: w.agent.cookie,
        headers: { accept: "application/json, application/problem+json;q=0.9" },
      }),
      404,
      "not_found",
    );
  });

  it("keeps the {error} envelope for everyone else (no Accept, */*, application/json, or problem+json with q=0)", async () => {
    for (const accept of [undefined, "*/*", "application/json", "application/problem+json;q=0"]) {
      const r = await call(apiRoute.GET, "GET", "/api/v1/nope", { headers: accept ? { accept } : {} });
      expect(r.status).toBe(404);
      expect(r.headers.get("content-type")).toMatch(/^application\/json/);
      expect(Object.keys(r.body)).toEqual(["error"]);
    }
  });
});

describe("the bare /api/v1", () => {
  it("is the API's JSON 404 with X-Request-Id, not Next's HTML page", async () => {
    for (const path of ["/api/v1", "/api/v1/"]) {
      const r = await call(apiRoute.GET, "GET", path);
      expect(r.status, r.text).toBe(404);
      expect(r.headers.get("content-type")).toMatch(/^application\/json/);
      expect(r.body.error.code).toBe("not_found");
      expect(r.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
    }
  });
});
