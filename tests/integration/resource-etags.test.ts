import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/server/api/openapi";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { apiRoute, call, type CallResult } from "../helpers/http";
import { createUser } from "../helpers/factories";
import { createWorld, type Actor, type World } from "../helpers/world";

// ETag / If-Match on users, SLA policies and webhooks like tickets (issue 20 "Lost updates",
// decisions 038 and 043): the stored version as a strong ETag on GET and every write; a PATCH
// with a stale If-Match is 412 precondition_failed with the current version and changes nothing.

let w: World, other: World;
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});

const get = (who: Actor, path: string) => call(apiRoute.GET, "GET", path, { cookie: who.cookie });
const patch = (who: Actor, path: string, body: unknown, ifMatch?: string) =>
  call(apiRoute.PATCH, "PATCH", path, {
    cookie: who.cookie,
    body,
    headers: ifMatch === undefined ? {} : { "if-match": ifMatch },
  });
const etag = (r: CallResult) => r.headers.get("etag")!;

type Resource = {
  name: string;
  /** A fresh resource of org `x`, as its admin sees it: the path of its GET/PATCH. */
  make: (x: World) => Promise<string>;
  /** Two different changes, and a field that shows which applied. */
  first: unknown;
  second: unknown;
  field: (body: Record<string, unknown>) => unknown;
};

const RESOURCES: Resource[] = [
  {
    name: "user",
    make: async (x) => `/api/v1/users/${(await createUser(x.org, { role: "agent" })).id}`,
    first: { name: "First Name" },
    second: { name: "Second Name" },
    field: (b) => b.name,
  },
  {
    name: "SLA policy",
    make: async (x) => {
      // One policy per priority: reuse "high", back at a third value so both changes below are changes.
      const list = await get(x.admin, "/api/v1/sla-policies");
      const path = `/api/v1/sla-policies/${(list.body.data as { id: string; priority: string }[]).find((p) => p.priority === "high")!.id}`;
      expect((await patch(x.admin, path, { resolveMinutes: 1440 })).status).toBe(200);
      return path;
    },
    first: { resolveMinutes: 1000 },
    second: { resolveMinutes: 2000 },
    field: (b) => b.resolveMinutes,
  },
  {
    name: "webhook",
    make: async (x) => {
      const r = await call(apiRoute.POST, "POST", "/api/v1/webhooks", {
        cookie: x.admin.cookie,
        body: { url: "https://hooks.example/etag", events: ["sla.breach"] },
      });
      expect(r.status, r.text).toBe(201);
      return `/api/v1/webhooks/${r.body.id}`;
    },
    first: { url: "https://hooks.example/first" },
    second: { url: "https://hooks.example/second" },
    field: (b) => b.url,
  },
];

describe.each(RESOURCES)("ETag and If-Match on a $name", (res) => {
  it("GET gives a strong ETag; two changes from the same read: the second is 412 with the current version and changes nothing", async () => {
    const path = await res.make(w);
    const read = await get(w.admin, path);
    expect(read.status, read.text).toBe(200);
    expect(etag(read)).toMatch(/^"\d+"$/);

    const first = await patch(w.admin, path, res.first, etag(read));
    expect(first.status, first.text).toBe(200);
    expect(etag(first)).not.toBe(etag(read));
    expect(etag(await get(w.admin, path))).toBe(etag(first));

    const second = await patch(w.admin, path, res.second, etag(read));
    expect(second.status).toBe(412);
    expect(second.body.error.code).toBe("precondition_failed");
    expect(second.body.error.details).toEqual({ version: Number(JSON.parse(etag(first))) });
    const now = await get(w.admin, path);
    expect(res.field(now.body)).toBe(res.field(first.body));
    expect(etag(now)).toBe(etag(first));
  });

  it("a concurrent pair from one version: one applies, the other is 412 (checked under the row lock)", async () => {
    const path = await res.make(w);
    const v = etag(await get(w.admin, path));
    const both = await Promise.all([patch(w.admin, path, res.first, v), patch(w.admin, path, res.second, v)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = both.find((r) => r.status === 200)!;
    expect(res.field((await get(w.admin, path)).body)).toBe(res.field(winner.body));
  });

  it("no If-Match or * applies as before; a list applies when one of its tags is current; a malformed one is 400", async () => {
    const path = await res.make(w);
    const v1 = etag(await get(w.admin, path));
    expect((await patch(w.admin, path, res.first)).status).toBe(200);
    expect((await patch(w.admin, path, res.second, "*")).status).toBe(200);
    const current = etag(await get(w.admin, path));
    expect((await patch(w.admin, path, res.first, `${v1}, ${current}`)).status).toBe(200);
    const bad = await patch(w.admin, path, res.second, "7");
    expect(bad.status).toBe(400);
    expect(res.field((await get(w.admin, path)).body)).toBe(res.field(res.first as Record<string, unknown>));
  });

  it("another org's admin gets 404 whatever If-Match says; an agent gets 403", async () => {
    const path = await res.make(w);
    const v = etag(await get(w.admin, path));
    expect((await patch(other.admin, path, res.first, v)).status).toBe(404);
    expect((await patch(other.admin, path, res.first, '"999"')).status).toBe(404);
    expect((await get(other.admin, path)).status).toBe(404);
    expect((await patch(w.agent, path, res.first, v)).status).toBe(403);
    expect((await get(w.agent, path)).status).toBe(403);
    expect(etag(await get(w.admin, path))).toBe(v);
  });
});

describe("the version is bumped by every writer (a database trigger)", () => {
  it("a user blocked, or sent a reset, gets a new version; a sign-in time alone does not", async () => {
    const u = await createUser(w.org, { role: "agent" });
    const path = `/api/v1/users/${u.id}`;
    const v1 = etag(await get(w.admin, path));
    await unsafeWithSystem((tx) =>
      tx.execute(
        sql`update users set last_sign_in_at = now(), session_version = session_version + 1 where id = ${u.id}`,
      ),
    );
    expect(etag(await get(w.admin, path))).toBe(v1);
    expect(
      (await call(apiRoute.POST, "POST", `/api/v1/users/${u.id}/reset-password`, { cookie: w.admin.cookie })).status,
    ).toBe(200);
    const v2 = etag(await get(w.admin, path));
    expect(v2).not.toBe(v1);
    expect((await patch(w.admin, path, { blocked: true }, v1)).status).toBe(412);
  });

  it("a policy's calendar change bumps the policy's version", async () => {
    const list = await get(w.admin, "/api/v1/sla-policies");
    const low = (list.body.data as { id: string; priority: string }[]).find((p) => p.priority === "low")!;
    const path = `/api/v1/sla-policies/${low.id}`;
    const v1 = etag(await get(w.admin, path));
    const cal = {
      name: "Office",
      timezone: "UTC",
      intervals: [1, 2, 3, 4, 5].map((day) => ({ day, start: "09:00", end: "17:00" })),
      holidays: [],
    };
    const r = await patch(w.admin, path, { businessHours: true, calendar: cal }, v1);
    expect(r.status, r.text).toBe(200);
    const cal2 = { ...cal, intervals: [1, 2, 3, 4, 5].map((day) => ({ day, start: "08:00", end: "18:00" })) };
    const v2 = etag(r);
    expect(v2).not.toBe(v1);
    const r2 = await patch(w.admin, path, { calendar: cal2 }, v2);
    expect(r2.status, r2.text).toBe(200);
    expect(etag(r2)).not.toBe(v2);
  });
});

describe("in the OpenAPI document", () => {
  it("GET and PATCH of users, SLA policies and webhooks give ETag; PATCH takes If-Match and may answer 412", () => {
    type Op = {
      parameters: { name: string; in: string }[];
      responses: Record<string, { headers?: Record<string, unknown> }>;
    };
    const doc = openApiDocument() as { paths: Record<string, Record<string, Op>> };
    for (const path of ["/api/v1/users/{id}", "/api/v1/sla-policies/{id}", "/api/v1/webhooks/{id}"]) {
      const { get: read, patch: change } = doc.paths[path] as { get: Op; patch: Op };
      expect(Object.keys(read.responses["200"]!.headers!), path).toContain("ETag");
      expect(Object.keys(change.responses["200"]!.headers!), path).toContain("ETag");
      expect(change.parameters, path).toContainEqual(expect.objectContaining({ name: "If-Match", in: "header" }));
      expect(Object.keys(change.responses), path).toContain("412");
    }
  });
});
