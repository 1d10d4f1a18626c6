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
    const documented = documentedOperations().map((o) => `${o.method} ${o.path}`).sort();
    expect(documented).toEqual(table);
  });

  it("gives every route-table operation a unique operationId, in the document too", () => {
    const ids = TABLE.map((o) => o.operationId);
    expect(ids.every((id) => /^[a-z][A-Za-z0-9]+$/.test(id)), ids.join()).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const doc = openApiDocument() as { paths: Record<string, Record<string, { operationId?: string }>> };
    const inDoc = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId)).filter(Boolean);
    expect(inDoc.sort()).toEqual([...ids].sort());
  });

  it("is a well-formed OpenAPI 3 document with request and response schemas", () => {
    const doc = openApiDocument() as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown; parameters: { name: string }[] }>> };
    expect(doc.openapi).toBe("3.0.3");
    const create = doc.paths["/api/v1/tickets"]!.post!;
    expect(create.requestBody).toBeDefined();
    expect(create.responses["201"]).toBeDefined();
    expect(create.responses["400"]).toEqual({ $ref: "#/components/responses/Error" });
    const list = doc.paths["/api/v1/tickets"]!.get!;
    expect(list.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(["limit", "cursor", "status", "priority", "assigneeId", "q", "sort"]));
    expect(JSON.stringify(doc)).not.toContain("undefined");
  });

  it("describes the streamed upload as multipart/form-data with its 413 and 415, and the events as staff-only", () => {
    type Op = { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> }; responses: Record<string, unknown>; "x-beacon-roles": string };
    const doc = openApiDocument() as { paths: Record<string, Record<string, Op>> };
    const upload = doc.paths["/api/v1/tickets/{id}/attachments"]!.post!;
    expect(Object.keys(upload.requestBody!.content)).toEqual(["multipart/form-data"]);
    expect(Object.keys(upload.requestBody!.content["multipart/form-data"]!.schema.properties)).toEqual(["file", "commentId"]);
    expect(Object.keys(upload.responses)).toEqual(expect.arrayContaining(["201", "413", "415"]));
    const events = doc.paths["/api/v1/tickets/{id}/events"]!.get!;
    expect(events["x-beacon-roles"]).toBe("staff");
    expect(Object.keys(events.responses)).toContain("403");
  });
});

describe("OpenAPI document: automation (decision 042)", () => {
  type Op = { operationId: string; "x-beacon-roles": string; responses: Record<string, unknown>; requestBody?: unknown };
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
    expect(Object.keys(paths["/api/v1/triggers/{id}"]!.patch!.responses)).toEqual(expect.arrayContaining(["200", "404", "409"]));
    expect(Object.keys(paths["/api/v1/tickets/{id}/macros/{macroId}/apply"]!.post!.responses)).toEqual(expect.arrayContaining(["200", "404", "409"]));
  });

  it("documents the ticket's group: groupId in the ticket and PATCH body, ?group= in the list", () => {
    const paths = doc().paths as unknown as Record<string, Record<string, { parameters: { name: string }[]; requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> }; responses: Record<string, { content?: Record<string, { schema: { properties: Record<string, unknown> } }> }> }>>;
    expect(paths["/api/v1/tickets"]!.get!.parameters.map((p) => p.name)).toContain("group");
    expect(Object.keys(paths["/api/v1/tickets/{id}"]!.patch!.requestBody!.content["application/json"]!.schema.properties)).toContain("groupId");
  });
});
