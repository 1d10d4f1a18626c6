import { beforeAll, describe, expect, it } from "vitest";
import { rolesOf } from "../../src/server/authz/rules";
import { TABLE } from "../../src/server/api/table";
import { apiRoute, call, examplePath, type CallResult } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// The /api/v1 catch-all over the real dispatcher (docs/decisions/032-route-table.md): what the
// table does not serve is still the API's JSON error envelope, and each operation's `can` rule
// refuses the roles outside it.

let w: World;
beforeAll(async () => {
  w = await createWorld();
});

const expectEnvelope = (r: CallResult, status: number, code: string) => {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get("content-type")).toMatch(/^application\/json/);
  expect(r.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
  expect(r.headers.get("cache-control")).toBe("no-store");
  expect(Object.keys(r.body)).toEqual(["error"]);
  expect(r.body.error).toMatchObject({ code, message: expect.any(String) });
};

describe("the /api/v1 router", () => {
  it("answers an unknown path with the JSON 404 not_found, signed in or not", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/nope"],
      ["POST", "/api/v1/feature-flags/extra"],
      ["DELETE", "/api/v1/webhooks/1/2/3"],
      ["GET", "/api/v1/feature-flags/"],
    ] as const) {
      expectEnvelope(await call(apiRoute[method], method, path, { cookie: w.admin.cookie }), 404, "not_found");
      expectEnvelope(await call(apiRoute[method], method, path), 404, "not_found");
    }
  });

  it("answers a known path with a method it lacks with the JSON 405 method_not_allowed and Allow", async () => {
    for (const method of ["POST", "PATCH", "DELETE"] as const) {
      const r = await call(apiRoute[method], method, "/api/v1/feature-flags", {
        cookie: w.admin.cookie,
        body: { key: "search", enabled: false },
      });
      expectEnvelope(r, 405, "method_not_allowed");
      expect(r.headers.get("allow")).toBe("GET, PUT");
      expect(r.body.error.details).toEqual({ allow: ["GET", "PUT"] });
    }
    // Nothing was changed by the refused requests.
    const flags = await call(apiRoute.GET, "GET", "/api/v1/feature-flags", { cookie: w.admin.cookie });
    expect(flags.body.data.find((f: { key: string }) => f.key === "search")).toMatchObject({
      enabled: true,
      source: "default",
    });
  });

  it("keeps the caller's request id on a 404, as on every API response", async () => {
    const r = await call(apiRoute.GET, "GET", "/api/v1/nope", { headers: { "x-request-id": "router-test-0001" } });
    expect(r.headers.get("x-request-id")).toBe("router-test-0001");
  });

  it("serves a table operation, with the path's ids passed to the params schema", async () => {
    const r = await call(apiRoute.GET, "GET", "/api/v1/feature-flags", { cookie: w.admin.cookie });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data.length).toBeGreaterThan(0);
  });

  it("refuses, for every bodiless table operation, each role its `can` rule leaves out (403 before the handler)", async () => {
    const refusals: string[] = [];
    // An empty query must parse, or the query's 400 (checked first, as ever) answers before the role:
    // the incremental export needs startTime or cursor.
    for (const op of TABLE.filter((o) => !o.body && (!o.query || o.query.safeParse({}).success))) {
      const roles = rolesOf(op.can);
      for (const who of [w.admin, w.agent, w.customer]) {
        if (roles === null || roles.includes(who.role)) continue;
        const path = examplePath(op);
        const r = await call(apiRoute[op.method], op.method, path, { cookie: who.cookie });
        expect(r.status, `${op.method} ${op.path} as ${who.role}: ${r.text}`).toBe(403);
        expect(r.body.error.message).toBe("not allowed for your role");
        refusals.push(`${op.method} ${op.path} ${who.role}`);
      }
    }
    expect(refusals).toContain("GET /api/v1/feature-flags agent");
    expect(refusals).toContain("GET /api/v1/feature-flags customer");
    expect(refusals).toContain("GET /api/v1/export/tickets agent");
  });
});
