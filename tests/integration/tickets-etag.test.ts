import { beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/server/api/openapi";
import { api, newTicket } from "../helpers/api";
import { apiRoute, call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// Lost updates (issue 20, decision 038): GET and PATCH /tickets/{id} give the ticket's version as
// an ETag, and a PATCH with If-Match applies only to that version.

let w: World, other: World;
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});

const patch = (who: { cookie: string }, id: string, body: unknown, ifMatch?: string) =>
  call(apiRoute.PATCH, "PATCH", `/api/v1/tickets/${id}`, {
    cookie: who.cookie,
    body,
    headers: ifMatch === undefined ? {} : { "if-match": ifMatch },
  });

describe("ETag and If-Match on a ticket", () => {
  it("two changes from the same read: the second is 412 with the current version, and changes nothing", async () => {
    const t = await newTicket(w.customer);
    const read = await api.getTicket(w.agent, t.id);
    const etag = read.headers.get("etag")!;
    expect(etag).toMatch(/^"\d+"$/);

    const first = await patch(w.agent, t.id, { priority: "high" }, etag);
    expect(first.status).toBe(200);
    const after = first.headers.get("etag")!;
    expect(after).not.toBe(etag);
    expect((await api.getTicket(w.agent, t.id)).headers.get("etag")).toBe(after);

    const second = await patch(w.agent2, t.id, { priority: "low", subject: "Renamed" }, etag);
    expect(second.status).toBe(412);
    expect(second.body.error.code).toBe("precondition_failed");
    expect(second.body.error.details).toEqual({ version: Number(JSON.parse(after)) });

    const now = await api.getTicket(w.agent, t.id);
    expect(now.body.priority).toBe("high");
    expect(now.body.subject).toBe("Printer on fire");
    expect(now.headers.get("etag")).toBe(after);
    const updates = (await api.events(w.agent, t.id)).body.data.filter(
      (e: { action: string }) => e.action === "ticket.updated",
    );
    expect(updates).toHaveLength(1);
  });

  it("two concurrent changes from the same version: one applies, the other is 412 (the row lock orders them)", async () => {
    const t = await newTicket(w.customer);
    const etag = (await api.getTicket(w.agent, t.id)).headers.get("etag")!;
    const both = await Promise.all([
      patch(w.agent, t.id, { priority: "high" }, etag),
      patch(w.agent2, t.id, { priority: "low" }, etag),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = both.find((r) => r.status === 200)!;
    expect((await api.getTicket(w.agent, t.id)).body.priority).toBe(winner.body.priority);
  });

  it("no If-Match or * applies whatever the version, as before; a list applies when one of its tags is current", async () => {
    const t = await newTicket(w.customer);
    const v1 = (await api.getTicket(w.agent, t.id)).headers.get("etag")!;
    expect((await patch(w.agent, t.id, { priority: "high" })).status).toBe(200);
    expect((await patch(w.agent, t.id, { priority: "low" }, "*")).status).toBe(200);
    const current = (await api.getTicket(w.agent, t.id)).headers.get("etag")!;
    expect((await patch(w.agent, t.id, { priority: "urgent" }, `${v1}, ${current}`)).status).toBe(200);
  });

  it("a comment changes the version too, so a change based on the read before it is refused", async () => {
    const t = await newTicket(w.customer);
    const etag = (await api.getTicket(w.agent, t.id)).headers.get("etag")!;
    expect((await api.addComment(w.customer, t.id, { body: "any news?" })).status).toBe(201);
    const r = await patch(w.agent, t.id, { status: "pending" }, etag);
    expect(r.status).toBe(412);
    expect((await api.getTicket(w.agent, t.id)).body.status).not.toBe("pending");
  });

  it("a weak tag never matches (If-Match compares strongly); a malformed header is 400; both change nothing", async () => {
    const t = await newTicket(w.customer);
    const etag = (await api.getTicket(w.agent, t.id)).headers.get("etag")!;
    expect((await patch(w.agent, t.id, { priority: "high" }, `W/${etag}`)).status).toBe(412);
    const bad = await patch(w.agent, t.id, { priority: "high" }, "7");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("validation_failed");
    const now = await api.getTicket(w.agent, t.id);
    expect(now.body.priority).toBe("normal");
    expect(now.headers.get("etag")).toBe(etag);
  });

  it("a ticket the caller may not see is 404 whatever If-Match says", async () => {
    const t = await newTicket(w.customer);
    for (const who of [other.agent, w.customer2]) {
      const r = await patch(who, t.id, { status: "solved" }, '"999"');
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("not_found");
    }
  });
});

describe("in the OpenAPI document", () => {
  it("GET and PATCH give the ETag response header; PATCH takes If-Match and may answer 412", () => {
    type Op = {
      parameters: { name: string; in: string }[];
      responses: Record<string, { headers?: Record<string, unknown> }>;
    };
    const doc = openApiDocument() as { paths: Record<string, Record<string, Op>> };
    const { get, patch: change } = doc.paths["/api/v1/tickets/{id}"] as { get: Op; patch: Op };
    // Beside the headers every response documents (X-Request-Id, RateLimit-*: docs/decisions/044).
    expect(Object.keys(get.responses["200"]!.headers!)).toContain("ETag");
    expect(Object.keys(change.responses["200"]!.headers!)).toContain("ETag");
    expect(change.parameters).toContainEqual(expect.objectContaining({ name: "If-Match", in: "header" }));
    expect(Object.keys(change.responses)).toContain("412");
    expect(Object.keys(get.responses)).not.toContain("412");
  });
});
