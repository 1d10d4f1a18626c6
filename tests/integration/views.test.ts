import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { newTicket } from "../helpers/api";
import { apiRoute, call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// Saved views (SPEC §13, issue 14 item 2, migration 0024, decision 050): personal, org and group
// views over any list filter (custom fields included) with counts; the built-in views as shared
// rows an admin reorders and hides; tenancy and roles.

let A: World, B: World;
beforeAll(async () => {
  [A, B] = await Promise.all([createWorld(), createWorld()]);
});

type Who = { cookie: string };
type View = { id: string; name: string; builtinKey: string | null; count?: number; hidden: boolean; sharing: string };
const views = {
  list: (who: Who) => call(apiRoute.GET, "GET", "/api/v1/views", { cookie: who.cookie }),
  create: (who: Who, body: unknown) => call(apiRoute.POST, "POST", "/api/v1/views", { cookie: who.cookie, body }),
  get: (who: Who, id: string) => call(apiRoute.GET, "GET", `/api/v1/views/${id}`, { cookie: who.cookie }),
  patch: (who: Who, id: string, body: unknown, headers: Record<string, string> = {}) =>
    call(apiRoute.PATCH, "PATCH", `/api/v1/views/${id}`, { cookie: who.cookie, body, headers }),
  remove: (who: Who, id: string) => call(apiRoute.DELETE, "DELETE", `/api/v1/views/${id}`, { cookie: who.cookie }),
  order: (who: Who, ids: string[]) =>
    call(apiRoute.PUT, "PUT", "/api/v1/views/order", { cookie: who.cookie, body: { ids } }),
};
const names = (r: { body: { data: View[] } }) => r.body.data.map((v) => v.name);

describe("views", () => {
  it("the built-in views are shared rows every agent sees, with counts", async () => {
    const W = await createWorld();
    await newTicket(W.customer, { subject: "one" });
    const r = await views.list(W.agent);
    expect(r.status, r.text).toBe(200);
    expect(r.body.data.map((v: View) => v.builtinKey)).toEqual(["mine", "unassigned", "breaching", "all", "solved"]);
    const unassigned = r.body.data.find((v: View) => v.builtinKey === "unassigned");
    expect(unassigned!.count).toBe(1);
    // Listing again makes no second set.
    expect((await views.list(W.admin)).body.data).toHaveLength(5);
  });

  it("a personal view over a custom field, SLA state and group: only its owner sees it, its count follows the tickets", async () => {
    const f = await call(apiRoute.POST, "POST", "/api/v1/fields", {
      cookie: A.admin.cookie,
      body: { key: "tier", label: "Tier", type: "dropdown", options: ["gold", "silver"] },
    });
    expect(f.status, f.text).toBe(201);
    const g = await call(apiRoute.POST, "POST", "/api/v1/groups", {
      cookie: A.admin.cookie,
      body: { name: `Team ${randomUUID().slice(0, 6)}` },
    });
    const t1 = await newTicket(A.agent, { customFields: { tier: "gold" } });
    await newTicket(A.agent, { customFields: { tier: "silver" } });
    await call(apiRoute.PATCH, "PATCH", `/api/v1/tickets/${t1.id}`, {
      cookie: A.agent.cookie,
      body: { groupId: g.body.id },
    });
    const v = await views.create(A.agent, {
      name: "Gold in team",
      filters: { "cf.tier": "gold", group: g.body.id, status: "new,open" },
      columns: ["number", "subject", "cf.tier"],
      sort: "-createdAt",
    });
    expect(v.status, v.text).toBe(201);
    expect(v.body).toMatchObject({
      sharing: "personal",
      ownerId: A.agent.id,
      columns: ["number", "subject", "cf.tier"],
      sort: "-createdAt",
    });
    const mine = (await views.list(A.agent)).body.data.find((x: View) => x.id === v.body.id);
    expect(mine!.count).toBe(1);
    expect(names(await views.list(A.agent2))).not.toContain("Gold in team");
    expect((await views.get(A.agent2, v.body.id)).status).toBe(404);
    expect((await views.patch(A.agent2, v.body.id, { name: "x" })).status).toBe(404);
    const sla = await views.create(A.agent, { name: "Breached", filters: { sla: "breached" } });
    expect(sla.status, sla.text).toBe(201);
  });

  it("bad filters are 400 naming them, and nothing is saved", async () => {
    const before = (await views.list(A.agent)).body.data.length;
    for (const filters of [
      { status: "nope" },
      { "cf.unknown": "x" },
      { zz: "1" },
      { limit: "5" },
      { "cf.tier": "bronze" },
    ]) {
      const r = await views.create(A.agent, { name: "Bad", filters });
      expect(r.status, `${JSON.stringify(filters)} ${r.text}`).toBe(400);
      expect(JSON.stringify(r.body.error.details.issues)).toContain("filters.");
    }
    expect((await views.create(A.agent, { name: "Bad", columns: ["colour"] })).status).toBe(400);
    expect((await views.list(A.agent)).body.data.length).toBe(before);
  });

  it("shared views: admins only; group views reach the group's members; admins hide and reorder, not delete, built-ins", async () => {
    expect((await views.create(A.agent, { name: "For all", sharing: "org" })).status).toBe(403);
    const org = await views.create(A.admin, { name: "Everyone's", sharing: "org", filters: { priority: "urgent" } });
    expect(org.status, org.text).toBe(201);
    expect(names(await views.list(A.agent))).toContain("Everyone's");
    const g = await call(apiRoute.POST, "POST", "/api/v1/groups", {
      cookie: A.admin.cookie,
      body: { name: `Team ${randomUUID().slice(0, 6)}`, memberIds: [A.agent.id] },
    });
    const gv = await views.create(A.admin, { name: "Team view", sharing: "group", groupId: g.body.id });
    expect(gv.status, gv.text).toBe(201);
    expect(names(await views.list(A.agent))).toContain("Team view");
    expect(names(await views.list(A.agent2))).not.toContain("Team view");

    const all = (await views.list(A.admin)).body.data as View[];
    const mine = all.find((v) => v.builtinKey === "mine")!;
    expect((await views.remove(A.admin, mine.id)).status).toBe(409);
    expect((await views.patch(A.agent, mine.id, { hidden: true })).status).toBe(403);
    const etag = (await views.get(A.admin, mine.id)).headers.get("etag")!;
    const hide = await views.patch(A.admin, mine.id, { hidden: true }, { "if-match": etag });
    expect(hide.status, hide.text).toBe(200);
    expect((await views.patch(A.admin, mine.id, { hidden: false }, { "if-match": etag })).status).toBe(412);
    expect((await views.list(A.agent)).body.data.map((v: View) => v.builtinKey)).not.toContain("mine");
    expect((await views.list(A.admin)).body.data.map((v: View) => v.builtinKey)).toContain("mine");

    const shared = all.filter((v) => v.sharing !== "personal").map((v) => v.id);
    const reversed = [...shared].reverse();
    const o = await views.order(A.admin, reversed);
    expect(o.status, o.text).toBe(200);
    expect(
      (await views.list(A.admin)).body.data.filter((v: View) => v.sharing !== "personal").map((v: View) => v.id),
    ).toEqual(reversed);
    expect((await views.order(A.admin, reversed.slice(1))).status).toBe(400);
    expect((await views.order(A.agent, reversed)).status).toBe(403);
  });

  it("customers have no views API; another org's view is a 404 everywhere", async () => {
    expect((await views.list(A.customer)).status).toBe(403);
    const theirs = await views.create(B.agent, { name: "B's" });
    expect(theirs.status).toBe(201);
    expect((await views.get(A.admin, theirs.body.id)).status).toBe(404);
    expect((await views.patch(A.admin, theirs.body.id, { name: "x" })).status).toBe(404);
    expect((await views.remove(A.admin, theirs.body.id)).status).toBe(404);
    expect(names(await views.list(A.admin))).not.toContain("B's");
    const bShared = (await views.list(B.admin)).body.data
      .filter((v: View) => v.sharing !== "personal")
      .map((v: View) => v.id);
    expect((await views.order(A.admin, bShared)).status).toBe(400);
  });
});
