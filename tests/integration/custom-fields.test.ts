import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { pool } from "../../src/server/db/client";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { apiRoute as exportRoute } from "../helpers/http";
import { api, newTicket } from "../helpers/api";
import { apiRoute, call } from "../helpers/http";
import { insertTickets } from "../helpers/bulk-tickets";
import { createWorld, type Actor, type World } from "../helpers/world";

// Custom ticket fields (SPEC §13, issue 14 item 1, migration 0024, decision 050): definitions
// through /api/v1/fields, values as customFields on tickets (every type, every visibility and
// editability rule, required on create and on solve), ?cf.<key>= filters, export, tenancy.

let A: World, B: World;
beforeAll(async () => {
  [A, B] = await Promise.all([createWorld(), createWorld()]);
});

type Who = { cookie: string };
const fields = {
  list: (who: Who) => call(apiRoute.GET, "GET", "/api/v1/fields", { cookie: who.cookie }),
  create: (who: Who, body: unknown) => call(apiRoute.POST, "POST", "/api/v1/fields", { cookie: who.cookie, body }),
  get: (who: Who, id: string) => call(apiRoute.GET, "GET", `/api/v1/fields/${id}`, { cookie: who.cookie }),
  patch: (who: Who, id: string, body: unknown, headers: Record<string, string> = {}) =>
    call(apiRoute.PATCH, "PATCH", `/api/v1/fields/${id}`, { cookie: who.cookie, body, headers }),
  remove: (who: Who, id: string) => call(apiRoute.DELETE, "DELETE", `/api/v1/fields/${id}`, { cookie: who.cookie }),
};
const define = async (w: World, body: Record<string, unknown>) => {
  const r = await fields.create(w.admin, body);
  if (r.status !== 201) throw new Error(r.text);
  return r.body as { id: string; key: string };
};
const stored = async (id: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ custom_fields: Record<string, unknown> }>(sql`select custom_fields from tickets where id = ${id}`),
    )
  ).rows[0]!.custom_fields;
const ids = (r: { body: { data: { id: string }[] } }) => r.body.data.map((t) => t.id).sort();

describe("custom fields: every type", () => {
  let W: World;
  beforeAll(async () => {
    W = await createWorld();
    await define(W, { key: "order_ref", label: "Order", type: "text" });
    await define(W, { key: "steps", label: "Steps", type: "textarea" });
    await define(W, { key: "seats", label: "Seats", type: "integer" });
    await define(W, { key: "amount", label: "Amount", type: "decimal" });
    await define(W, { key: "due_on", label: "Due on", type: "date" });
    await define(W, { key: "vip", label: "VIP", type: "checkbox" });
    await define(W, { key: "plan", label: "Plan", type: "dropdown", options: ["free", "pro", "enterprise"] });
    await define(W, { key: "areas", label: "Areas", type: "multiselect", options: ["billing", "api", "ui"] });
  });

  const good = {
    order_ref: "  A-17 ",
    steps: "one\ntwo",
    seats: 12,
    amount: 19.5,
    due_on: "2026-12-31",
    vip: true,
    plan: "pro",
    areas: ["ui", "billing", "ui"],
  };

  it("accepts a value of each type, stores it normalised, and shows it on the ticket", async () => {
    const t = await newTicket(W.agent, { requesterId: W.customer.id, customFields: good });
    const expected = {
      order_ref: "A-17",
      steps: "one\ntwo",
      seats: 12,
      amount: 19.5,
      due_on: "2026-12-31",
      vip: true,
      plan: "pro",
      areas: ["billing", "ui"],
    };
    expect(t.customFields).toEqual(expected);
    expect(await stored(t.id)).toEqual(expected);
    expect((await api.getTicket(W.agent, t.id)).body.customFields).toEqual(expected);
  });

  it.each([
    ["order_ref", 5],
    ["order_ref", ""],
    ["steps", false],
    ["seats", 1.5],
    ["seats", "12"],
    ["amount", "19.5"],
    ["due_on", "31/12/2026"],
    ["due_on", "2026-02-30"],
    ["vip", "true"],
    ["plan", "gold"],
    ["plan", ["pro"]],
    ["areas", ["gold"]],
    ["areas", "ui"],
    ["areas", []],
  ])("a wrong value for %s (%j) is 400 naming customFields.<key>, and nothing is written", async (key, value) => {
    const before = await api.listTickets(W.agent, { limit: "100" });
    const r = await api.createTicket(W.agent, { subject: "Bad", body: "x", customFields: { [key]: value } });
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.code).toBe("validation_failed");
    expect(JSON.stringify(r.body.error.details.issues)).toContain(`customFields.${key}`);
    expect(ids(await api.listTickets(W.agent, { limit: "100" }))).toEqual(ids(before));
  });

  it("an unknown key is 400; PATCH sets, changes and (with null) clears values, audited, and refuses bad ones without a change", async () => {
    expect((await api.createTicket(W.agent, { subject: "S", body: "b", customFields: { nope: 1 } })).status).toBe(400);
    const t = await newTicket(W.agent, { customFields: { seats: 3 } });
    const p = await api.patchTicket(W.agent, t.id, { customFields: { seats: 4, plan: "free" } });
    expect(p.status, p.text).toBe(200);
    expect(p.body.customFields).toEqual({ seats: 4, plan: "free" });
    const cleared = await api.patchTicket(W.agent, t.id, { customFields: { seats: null } });
    expect(cleared.body.customFields).toEqual({ plan: "free" });
    const bad = await api.patchTicket(W.agent, t.id, { status: "open", customFields: { plan: "gold" } });
    expect(bad.status).toBe(400);
    expect(await stored(t.id)).toEqual({ plan: "free" });
    const events = (await api.events(W.agent, t.id)).body.data as {
      action: string;
      data: { changes?: { customFields?: { from: unknown } } };
    }[];
    const changes = events.filter((e) => e.action === "ticket.updated").map((e) => e.data.changes?.customFields?.from);
    expect(changes).toContainEqual({ seats: { from: 3, to: 4 }, plan: { from: null, to: "free" } });
    expect(changes).toContainEqual({ seats: { from: 4, to: null } });
  });

  it("filters with ?cf.<key>= for each type, and refuses a value of the wrong type or an unknown field", async () => {
    const t1 = await newTicket(W.agent, {
      customFields: {
        order_ref: "F-1",
        seats: 7,
        amount: 2.25,
        due_on: "2027-01-02",
        vip: false,
        plan: "enterprise",
        areas: ["api", "ui"],
      },
    });
    const t2 = await newTicket(W.agent, {
      customFields: { order_ref: "F-2", seats: 8, vip: true, plan: "enterprise", areas: ["api"] },
    });
    const q = (query: Record<string, string>) => api.listTickets(W.agent, { limit: "100", ...query });
    expect(ids(await q({ "cf.order_ref": "F-1" }))).toEqual([t1.id]);
    expect(ids(await q({ "cf.seats": "7" }))).toEqual([t1.id]);
    expect(ids(await q({ "cf.amount": "2.25" }))).toEqual([t1.id]);
    expect(ids(await q({ "cf.due_on": "2027-01-02" }))).toEqual([t1.id]);
    expect(ids(await q({ "cf.vip": "false" }))).toEqual([t1.id]);
    expect(ids(await q({ "cf.plan": "enterprise" }))).toEqual([t1.id, t2.id].sort());
    expect(ids(await q({ "cf.areas": "api" }))).toEqual([t1.id, t2.id].sort());
    expect(ids(await q({ "cf.areas": "ui", "cf.plan": "enterprise" }))).toEqual([t1.id]);
    for (const [k, v] of [
      ["cf.seats", "x"],
      ["cf.seats", "1.5"],
      ["cf.vip", "yes"],
      ["cf.plan", "gold"],
      ["cf.due_on", "tomorrow"],
      ["cf.nope", "1"],
      ["cf.Bad-Key", "1"],
    ]) {
      const r = await q({ [k!]: v! });
      expect(r.status, `${k}=${v}: ${r.text}`).toBe(400);
      expect(r.text).toContain(k!);
    }
  });

  it("a filter on one rare value reads the (org_id, custom_fields) GIN index, not the org's tickets", async () => {
    const X = await createWorld();
    await define(X, { key: "plan", label: "Plan", type: "dropdown", options: ["free", "pro"] });
    await insertTickets(X, 5000, { customFields: { plan: "pro" }, every: 250 });
    await insertTickets(X, 1, { customFields: { plan: "free" } });
    await pool().query("analyze tickets"); // as the owner: the planner sees the org's 5,001 tickets
    // At 5,000 rows a sequential scan is cheapest; without it, the choice is the one a big org's
    // planner makes for a rare value: the GIN index's few matches, not every ticket of the org
    // through a btree.
    const plan = await withTenant(X.org.id, async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      const r = await tx.execute<{ "QUERY PLAN": string }>(
        sql`explain select id from tickets where org_id = ${X.org.id}
          and beacon_org_custom_fields(org_id, custom_fields) @> ${JSON.stringify({ [X.org.id]: { plan: "pro" } })}::jsonb`,
      );
      return r.rows.map((x) => x["QUERY PLAN"]).join("\n");
    });
    expect(plan).toContain("tickets_org_custom_fields_idx");
    const r = await api.listTickets(X.agent, { "cf.plan": "pro", limit: "100" });
    expect(r.body.data).toHaveLength(20);
  });
});

describe("custom fields: who sees and sets them", () => {
  let W: World;
  beforeAll(async () => {
    W = await createWorld();
    await define(W, { key: "internal_note", label: "Internal", type: "text" });
    await define(W, {
      key: "product",
      label: "Product",
      type: "dropdown",
      options: ["app", "web"],
      customerVisible: true,
      customerEditable: true,
    });
    await define(W, { key: "region", label: "Region", type: "text", customerVisible: true });
  });

  it("customers see customer-visible fields only, in GET, the list and create/patch answers", async () => {
    const t = await newTicket(W.agent, {
      requesterId: W.customer.id,
      customFields: { internal_note: "churn risk", product: "app", region: "EU" },
    });
    const mine = await api.getTicket(W.customer, t.id);
    expect(mine.body.customFields).toEqual({ product: "app", region: "EU" });
    expect(mine.text).not.toContain("churn risk");
    const listed = (await api.listTickets(W.customer, {})).body.data.find((x: { id: string }) => x.id === t.id);
    expect(listed!.customFields).toEqual({ product: "app", region: "EU" });
    const patched = await api.patchTicket(W.customer, t.id, { customFields: { product: "web" } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.customFields).toEqual({ product: "web", region: "EU" });
    expect((await fields.list(W.customer)).body.data.map((f: { key: string }) => f.key)).toEqual(["product", "region"]);
    expect((await fields.list(W.agent)).body.data.map((f: { key: string }) => f.key)).toEqual([
      "internal_note",
      "product",
      "region",
    ]);
  });

  it("customers may set customer-editable fields only: a visible read-only field is 403, an invisible one unknown (400); nothing changes", async () => {
    const t = await newTicket(W.customer, { customFields: { product: "web" } });
    expect(t.customFields).toEqual({ product: "web" });
    const ro = await api.patchTicket(W.customer, t.id, { customFields: { region: "US" } });
    expect(ro.status, ro.text).toBe(403);
    expect(ro.body.error.details.fields).toEqual(["customFields.region"]);
    const hidden = await api.patchTicket(W.customer, t.id, { customFields: { internal_note: "x" } });
    expect(hidden.status, hidden.text).toBe(400);
    expect(
      (await api.createTicket(W.customer, { subject: "s", body: "b", customFields: { region: "US" } })).status,
    ).toBe(403);
    expect(await stored(t.id)).toEqual({ product: "web" });
    // Filtering: customers only on fields they see.
    expect((await api.listTickets(W.customer, { "cf.internal_note": "x" })).status).toBe(403);
    expect((await api.listTickets(W.customer, { "cf.product": "web" })).status).toBe(200);
  });
});

describe("custom fields: required on create and on solve", () => {
  let W: World;
  beforeAll(async () => {
    W = await createWorld();
    await define(W, {
      key: "category",
      label: "Category",
      type: "dropdown",
      options: ["a", "b"],
      requiredOnCreate: true,
      customerVisible: true,
      customerEditable: true,
    });
    await define(W, { key: "root_cause", label: "Root cause", type: "text", requiredOnSolve: true });
    await define(W, { key: "team_code", label: "Team", type: "text", requiredOnCreate: true });
  });

  it("required-on-create is asked of whoever may set the field", async () => {
    const r = await api.createTicket(W.agent, { subject: "s", body: "b", customFields: { category: "a" } });
    expect(r.status).toBe(400);
    expect(r.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual(["customFields.team_code"]);
    expect(
      (await api.createTicket(W.agent, { subject: "s", body: "b", customFields: { category: "a", team_code: "x" } }))
        .status,
    ).toBe(201);
    // A customer cannot set team_code, so it is not asked of them; category is.
    expect((await api.createTicket(W.customer, { subject: "s", body: "b" })).status).toBe(400);
    expect(
      (await api.createTicket(W.customer, { subject: "s", body: "b", customFields: { category: "b" } })).status,
    ).toBe(201);
  });

  it("staff cannot solve without a required-on-solve value; with it in the same PATCH they can", async () => {
    const t = await newTicket(W.agent, { customFields: { category: "a", team_code: "x" } });
    const r = await api.patchTicket(W.agent, t.id, { status: "solved" });
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.details.issues[0].path).toBe("customFields.root_cause");
    expect((await api.getTicket(W.agent, t.id)).body.status).toBe("new");
    const ok = await api.patchTicket(W.agent, t.id, { status: "solved", customFields: { root_cause: "disk full" } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.status).toBe("solved");
  });
});

describe("custom field definitions", () => {
  it("admins only create and change them; a taken key is 409; bad definitions are 400", async () => {
    expect((await fields.create(A.agent, { key: "x1", label: "X", type: "text" })).status).toBe(403);
    expect((await fields.create(A.customer, { key: "x1", label: "X", type: "text" })).status).toBe(403);
    await define(A, { key: "dup", label: "Dup", type: "text" });
    expect((await fields.create(A.admin, { key: "dup", label: "Again", type: "text" })).status).toBe(409);
    for (const body of [
      { key: "Bad Key", label: "x", type: "text" },
      { key: "k", label: "x", type: "colour" },
      { key: "k", label: "x", type: "dropdown" },
      { key: "k", label: "x", type: "dropdown", options: ["a", "a"] },
      { key: "k", label: "x", type: "text", options: ["a"] },
      { key: "k", label: "x", type: "text", customerEditable: true },
    ]) {
      const r = await fields.create(A.admin, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
  });

  it("GET gives an ETag; PATCH with a stale If-Match is 412 and changes nothing; with the current one it applies", async () => {
    const f = await define(A, { key: "etagged", label: "Before", type: "dropdown", options: ["a"] });
    const g = await fields.get(A.admin, f.id);
    const etag = g.headers.get("etag")!;
    expect(etag).toBe('"1"');
    const p = await fields.patch(A.admin, f.id, { label: "After", options: ["a", "b"] }, { "if-match": etag });
    expect(p.status, p.text).toBe(200);
    expect(p.headers.get("etag")).toBe('"2"');
    const stale = await fields.patch(A.admin, f.id, { label: "Lost" }, { "if-match": etag });
    expect(stale.status).toBe(412);
    expect((await fields.get(A.admin, f.id)).body.label).toBe("After");
  });

  it("deleting a field removes its values from the org's tickets", async () => {
    const f = await define(A, { key: "doomed", label: "Doomed", type: "integer" });
    const t = await newTicket(A.agent, { customFields: { doomed: 5 } });
    expect((await fields.remove(A.admin, f.id)).status).toBe(204);
    expect(await stored(t.id)).toEqual({});
    expect((await api.listTickets(A.agent, { "cf.doomed": "5" })).status).toBe(400);
  });

  it("another org's field is a 404 and its key is unknown to this org's tickets", async () => {
    const theirs = await define(B, { key: "b_only", label: "B", type: "text" });
    expect((await fields.get(A.admin, theirs.id)).status).toBe(404);
    expect((await fields.patch(A.admin, theirs.id, { label: "x" })).status).toBe(404);
    expect((await fields.remove(A.admin, theirs.id)).status).toBe(404);
    expect((await fields.list(A.admin)).body.data.map((f: { key: string }) => f.key)).not.toContain("b_only");
    expect((await api.createTicket(A.agent, { subject: "s", body: "b", customFields: { b_only: "x" } })).status).toBe(
      400,
    );
    expect((await fields.get(B.admin, theirs.id)).body.label).toBe("B");
  });
});

describe("custom fields in the export", () => {
  it("CSV has a cf.<key> column per field; ndjson tickets carry customFields", async () => {
    const W = await createWorld();
    await define(W, { key: "plan", label: "Plan", type: "dropdown", options: ["pro", "free"] });
    await define(W, { key: "areas", label: "Areas", type: "multiselect", options: ["api", "ui"] });
    await define(W, { key: "seats", label: "Seats", type: "integer" });
    const t = await newTicket(W.agent, { customFields: { plan: "pro", areas: ["api", "ui"], seats: -3 } });
    await newTicket(W.agent, {});
    const csv = await (await exportRoute.GET(exportRequest(W.admin, "csv"))).text();
    const [header, ...rows] = csv.trim().split("\r\n");
    expect(header!.split(",").slice(-3)).toEqual(["cf.plan", "cf.areas", "cf.seats"]);
    const row = rows.find((r) => r.startsWith(t.id))!;
    expect(row.endsWith(",pro,api; ui,-3")).toBe(true);
    expect(rows.find((r) => !r.startsWith(t.id))!.endsWith(",,,")).toBe(true);
    const nd = await (await exportRoute.GET(exportRequest(W.admin, "ndjson"))).text();
    const lines = nd
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; customFields: unknown });
    expect(lines.find((l) => l.id === t.id)!.customFields).toEqual({ plan: "pro", areas: ["api", "ui"], seats: -3 });
  });
});

function exportRequest(who: Actor, format: string): Request {
  return new Request(`http://localhost/api/v1/export/tickets?format=${format}`, {
    headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" },
  });
}
