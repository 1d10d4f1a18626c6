import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { documentedOperations, openApiDocument } from "../../src/server/api/openapi";
import { TABLE } from "../../src/server/api/table";

const API = path.resolve(import.meta.dirname, "../../src/app/api/v1");

/** Every route file under src/app/api/v1 with the HTTP methods it exports. */
function routeFiles(dir = API): { path: string; methods: string[] }[] {
  const out: { path: string; methods: string[] }[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    // The catch-all serves the route table, checked against the document below.
    if (e.isDirectory() && e.name !== "[[...path]]") out.push(...routeFiles(p));
    else if (e.name === "route.ts") {
      const src = fs.readFileSync(p, "utf8");
      const methods = [...src.matchAll(/export const (GET|POST|PUT|PATCH|DELETE)\b/g)].map((m) => m[1]!);
      const rel = path.relative(API, path.dirname(p)).replace(/\[(\w+)\]/g, "{$1}");
      out.push({ path: `/api/v1${rel ? `/${rel}` : ""}`, methods });
    }
  }
  return out;
}

describe("OpenAPI document", () => {
  it("serves every /api/v1 endpoint from the route table (no route file beside the catch-all) and documents each operation exactly once", () => {
    // A route file would shadow the catch-all for its path and bypass the table's one definition.
    expect(routeFiles().flatMap((r) => r.methods.map((m) => `${m} ${r.path}`))).toEqual([]);
    const table = TABLE.map((o) => `${o.method} ${o.path}`).sort();
    expect(new Set(table).size).toBe(table.length);
    const documented = documentedOperations()
      .map((o) => `${o.method} ${o.path}`)
      .sort();
    expect(documented).toEqual(table);
  });

  it("gives every route-table operation a unique operationId, in the document too", () => {
    const ids = TABLE.map((o) => o.operationId);
    expect(
      ids.every((id) => /^[a-z][A-Za-z0-9]+$/.test(id)),
      ids.join(),
    ).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const doc = openApiDocument() as { paths: Record<string, Record<string, { operationId?: string }>> };
    const inDoc = Object.values(doc.paths)
      .flatMap((p) => Object.values(p).map((o) => o.operationId))
      .filter(Boolean);
    expect(inDoc.sort()).toEqual([...ids].sort());
  });

  it("is a well-formed OpenAPI 3 document with request and response schemas", () => {
    const doc = openApiDocument() as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { responses: Record<string, unknown>; requestBody?: unknown; parameters: { name: string }[] }>
      >;
    };
    expect(doc.openapi).toBe("3.0.3");
    const create = doc.paths["/api/v1/tickets"]!.post!;
    expect(create.requestBody).toBeDefined();
    expect(create.responses["201"]).toBeDefined();
    expect(create.responses["400"]).toEqual({ $ref: "#/components/responses/BadRequest" });
    const list = doc.paths["/api/v1/tickets"]!.get!;
    expect(list.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining(["limit", "cursor", "status", "priority", "assigneeId", "q", "sort"]),
    );
    expect(JSON.stringify(doc)).not.toContain("undefined");
  });

  it("describes the streamed upload as multipart/form-data with its 413 and 415, and the events as staff-only", () => {
    type Op = {
      requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
      responses: Record<string, unknown>;
      "x-beacon-roles": string;
    };
    const doc = openApiDocument() as { paths: Record<string, Record<string, Op>> };
    const upload = doc.paths["/api/v1/tickets/{id}/attachments"]!.post!;
    expect(Object.keys(upload.requestBody!.content)).toEqual(["multipart/form-data"]);
    expect(Object.keys(upload.requestBody!.content["multipart/form-data"]!.schema.properties)).toEqual([
      "file",
      "commentId",
    ]);
    expect(Object.keys(upload.responses)).toEqual(expect.arrayContaining(["201", "413", "415"]));
    const events = doc.paths["/api/v1/tickets/{id}/events"]!.get!;
    expect(events["x-beacon-roles"]).toBe("staff");
    expect(Object.keys(events.responses)).toContain("403");
  });

  type Doc = {
    info: { description: string };
    tags: { name: string; description: string }[];
    paths: Record<string, Record<string, DocOp>>;
    components: {
      schemas: Record<string, unknown>;
      headers: Record<string, unknown>;
      responses: Record<string, { headers: Record<string, unknown>; content: Record<string, unknown> }>;
    };
  };
  type Param = { name: string; in: string; schema: Record<string, unknown>; style?: string; explode?: boolean };
  type DocOp = {
    operationId: string;
    summary: string;
    description: string;
    tags: string[];
    parameters: Param[];
    requestBody?: { content: Record<string, { schema: unknown }> };
    responses: Record<
      string,
      { $ref?: string; headers?: Record<string, unknown>; content?: Record<string, { schema: unknown }> }
    >;
  };
  const doc = () => openApiDocument() as unknown as Doc;
  const ops = () => Object.values(doc().paths).flatMap((p) => Object.values(p));

  it("names the shared resources once as components.schemas and refers to them with $ref", () => {
    const d = doc();
    for (const name of [
      "Ticket",
      "CustomerTicket",
      "TicketForCaller",
      "Comment",
      "User",
      "Webhook",
      "WebhookDelivery",
      "SlaPolicy",
      "Error",
      "Problem",
      "TicketStatus",
    ]) {
      expect(d.components.schemas[name], name).toBeDefined();
    }
    const get = d.paths["/api/v1/tickets/{id}"]!.get!;
    expect(get.responses["200"]!.content!["application/json"]!.schema).toEqual({
      $ref: "#/components/schemas/TicketForCaller",
    });
    const create = d.paths["/api/v1/tickets"]!.post!;
    expect(create.requestBody!.content["application/json"]!.schema).toEqual({
      $ref: "#/components/schemas/CreateTicket",
    });
    expect(
      d.paths["/api/v1/tickets/{id}/comments"]!.get!.responses["200"]!.content!["application/json"]!.schema,
    ).toMatchObject({
      properties: { data: { items: { $ref: "#/components/schemas/Comment" } } },
    });
    // Every $ref resolves.
    const text = JSON.stringify(d);
    for (const m of text.matchAll(/"\$ref":"#\/components\/(\w+)\/([^"]+)"/g)) {
      expect((d.components as Record<string, Record<string, unknown>>)[m[1]!]?.[m[2]!], m[0]).toBeDefined();
    }
  });

  it("gives every operation tags, a summary and a description, and lists every tag with a description", () => {
    const d = doc();
    const tags = new Set(d.tags.map((t) => t.name));
    for (const op of ops()) {
      expect(op.tags.length, op.operationId).toBe(1);
      expect(tags.has(op.tags[0]!), `${op.operationId}: tag ${op.tags[0]} is not in the document's tags`).toBe(true);
      expect(op.summary.length, op.operationId).toBeGreaterThan(3);
      expect(op.description, op.operationId).toMatch(/Who may call it: /);
    }
    for (const t of d.tags) expect(t.description.length, t.name).toBeGreaterThan(10);
  });

  it("documents limit as an integer 1–100 with its default, and list filters as arrays of the enum (comma-separated)", () => {
    const d = doc();
    // Every keyset list (limit and cursor); the dead-letter list (1–200, default 50) has no cursor.
    const lists = ops().filter(
      (op) => op.parameters.some((p) => p.name === "limit") && op.parameters.some((p) => p.name === "cursor"),
    );
    expect(lists.length).toBeGreaterThanOrEqual(8);
    for (const op of lists) {
      const max =
        op.operationId === "exportTicketsIncremental"
          ? { maximum: 1000, default: 1000 }
          : { maximum: 100, default: 25 };
      expect(op.parameters.find((p) => p.name === "limit")!.schema, op.operationId).toEqual({
        type: "integer",
        minimum: 1,
        ...max,
      });
    }
    const params = d.paths["/api/v1/tickets"]!.get!.parameters;
    for (const [name, values] of [
      ["status", ["new", "open", "pending", "on_hold", "solved", "closed"]],
      ["priority", ["low", "normal", "high", "urgent"]],
    ] as const) {
      const p = params.find((x) => x.name === name)!;
      expect(p).toMatchObject({
        style: "form",
        explode: false,
        schema: { type: "array", items: { type: "string", enum: values } },
      });
    }
  });

  it("documents the response headers: X-Request-Id and RateLimit-* on every response, ETag, Retry-After and Content-Disposition where they apply", () => {
    const d = doc();
    for (const h of ["X-Request-Id", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"])
      expect(d.components.headers[h], h).toBeDefined();
    for (const op of ops()) {
      for (const [status, r] of Object.entries(op.responses)) {
        const headers = r.$ref ? d.components.responses[r.$ref.split("/").pop()!]!.headers : r.headers;
        expect(headers?.["X-Request-Id"], `${op.operationId} ${status}`).toEqual({
          $ref: "#/components/headers/X-Request-Id",
        });
      }
    }
    expect(d.components.responses.RateLimited!.headers["Retry-After"]).toBeDefined();
    expect(d.components.responses.Unavailable!.headers["Retry-After"]).toBeDefined();
    expect(Object.keys(d.paths["/api/v1/tickets/{id}"]!.get!.responses["200"]!.headers!)).toEqual(
      expect.arrayContaining(["ETag", "RateLimit-Limit"]),
    );
    expect(Object.keys(d.paths["/api/v1/tickets/{id}"]!.patch!.responses["200"]!.headers!)).toContain("ETag");
    expect(Object.keys(d.paths["/api/v1/attachments/{id}"]!.get!.responses["200"]!.headers!)).toContain(
      "Content-Disposition",
    );
  });

  it("documents the statuses a handler answers beyond its shape (POST /auth/token 401) and offers problem+json on every error", () => {
    const d = doc();
    expect(Object.keys(d.paths["/api/v1/auth/token"]!.post!.responses)).toContain("401");
    expect(Object.keys(d.paths["/api/v1/auth/setup"]!.post!.responses)).toContain("404");
    for (const r of Object.values(d.components.responses))
      expect(Object.keys(r.content)).toEqual(["application/json", "application/problem+json"]);
    expect(d.info.description).toMatch(/problem\+json/);
  });

  it("is served with a short cache life and an ETag of the document, 304 when it is unchanged", async () => {
    const { GET } = await import("../../src/app/api/openapi.json/route");
    const first = GET(new Request("http://localhost/api/openapi.json"));
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("public, max-age=60");
    expect(first.headers.get("content-type")).toBe("application/json");
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    expect(await first.json()).toEqual(openApiDocument());
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const again = GET(new Request("http://localhost/api/openapi.json", { headers: { "if-none-match": inm } }));
      expect(again.status, inm).toBe(304);
      expect(again.headers.get("etag")).toBe(etag);
    }
    expect(
      GET(new Request("http://localhost/api/openapi.json", { headers: { "if-none-match": '"stale"' } })).status,
    ).toBe(200);
  });
});

describe("OpenAPI document: automation (decision 042)", () => {
  type Op = {
    operationId: string;
    "x-beacon-roles": string;
    responses: Record<string, unknown>;
    requestBody?: unknown;
  };
  const doc = () => openApiDocument() as { paths: Record<string, Record<string, Op>> };

  it("lists every automation endpoint with its roles, operationId and error statuses", () => {
    const paths = doc().paths;
    const expected: [string, string, string, string][] = [
      ["/api/v1/triggers", "get", "listTriggers", "admin"],
      ["/api/v1/triggers", "post", "createTrigger", "admin"],
      ["/api/v1/triggers/order", "put", "reorderTriggers", "admin"],
      ["/api/v1/triggers/validate", "post", "validateTrigger", "admin"],
      ["/api/v1/triggers/test", "post", "testTrigger", "admin"],
      ["/api/v1/triggers/{id}", "patch", "updateTrigger", "admin"],
      ["/api/v1/triggers/{id}/test", "post", "testSavedTrigger", "admin"],
      ["/api/v1/automations", "get", "listAutomations", "admin"],
      ["/api/v1/automations/{id}", "delete", "deleteAutomation", "admin"],
      ["/api/v1/groups", "get", "listGroups", "staff"],
      ["/api/v1/groups", "post", "createGroup", "admin"],
      ["/api/v1/groups/{id}/members/{userId}", "patch", "setGroupMemberAway", "staff"],
      ["/api/v1/macros", "get", "listMacros", "staff"],
      ["/api/v1/macros/{id}", "patch", "updateMacro", "staff"],
      ["/api/v1/tickets/{id}/macros/{macroId}/preview", "post", "previewMacro", "staff"],
      ["/api/v1/tickets/{id}/macros/{macroId}/apply", "post", "applyMacro", "staff"],
    ];
    for (const [path, method, id, roles] of expected) {
      const op = paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op!.operationId).toBe(id);
      expect(op!["x-beacon-roles"], id).toBe(roles);
      expect(Object.keys(op!.responses), id).toEqual(expect.arrayContaining(["400", "401", "403"]));
    }
    expect(Object.keys(paths["/api/v1/triggers/{id}"]!.patch!.responses)).toEqual(
      expect.arrayContaining(["200", "404", "409"]),
    );
    expect(Object.keys(paths["/api/v1/tickets/{id}/macros/{macroId}/apply"]!.post!.responses)).toEqual(
      expect.arrayContaining(["200", "404", "409"]),
    );
  });

  it("documents the ticket's group: groupId in the ticket and PATCH body, ?group= in the list", () => {
    type Schema = { $ref?: string; properties: Record<string, unknown> };
    type Op = { parameters: { name: string }[]; requestBody?: { content: Record<string, { schema: Schema }> } };
    const d = openApiDocument() as unknown as {
      paths: Record<string, Record<string, Op>>;
      components: { schemas: Record<string, Schema> };
    };
    // Bodies and resources are shared components: follow the $ref.
    const resolve = (schema: Schema | undefined): Schema => {
      const name = schema?.$ref?.split("/").pop();
      return name ? d.components.schemas[name]! : schema!;
    };
    expect(d.paths["/api/v1/tickets"]!.get!.parameters.map((p) => p.name)).toContain("group");
    expect(
      Object.keys(
        resolve(d.paths["/api/v1/tickets/{id}"]!.patch!.requestBody!.content["application/json"]!.schema).properties,
      ),
    ).toContain("groupId");
    expect(Object.keys(resolve(d.components.schemas.Ticket).properties)).toContain("groupId");
  });
});
