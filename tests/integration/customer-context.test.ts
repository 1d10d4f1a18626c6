import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { newTicket } from "../helpers/api";
import { createUser } from "../helpers/factories";
import { apiRoute, call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// Customer context (issue 14 item 6, decision 051): customer organizations matched by email
// domain (admin CRUD, staff read), staff-only notes about a customer, and the context the ticket
// side panel shows. Customers never see any of it; another org's rows are 404 and untouched.

let A: World, B: World;
beforeAll(async () => {
  [A, B] = await Promise.all([createWorld(), createWorld()]);
});

type Who = { cookie: string };
const orgs = (who: Who) => call(apiRoute.GET, "GET", "/api/v1/customer-orgs", { cookie: who.cookie });
const createOrg = (who: Who, body: unknown) =>
  call(apiRoute.POST, "POST", "/api/v1/customer-orgs", { cookie: who.cookie, body });
const getOrg = (who: Who, id: string) =>
  call(apiRoute.GET, "GET", `/api/v1/customer-orgs/${id}`, { cookie: who.cookie });
const patchOrg = (who: Who, id: string, body: unknown, ifMatch?: string) =>
  call(apiRoute.PATCH, "PATCH", `/api/v1/customer-orgs/${id}`, {
    cookie: who.cookie,
    body,
    headers: ifMatch ? { "if-match": ifMatch } : {},
  });
const deleteOrg = (who: Who, id: string) =>
  call(apiRoute.DELETE, "DELETE", `/api/v1/customer-orgs/${id}`, { cookie: who.cookie });
const context = (who: Who, id: string) =>
  call(apiRoute.GET, "GET", `/api/v1/customers/${id}/context`, { cookie: who.cookie });
const addNote = (who: Who, id: string, body: unknown) =>
  call(apiRoute.POST, "POST", `/api/v1/customers/${id}/notes`, { cookie: who.cookie, body });
const deleteNote = (who: Who, id: string, noteId: string) =>
  call(apiRoute.DELETE, "DELETE", `/api/v1/customers/${id}/notes/${noteId}`, { cookie: who.cookie });
const domain = () => `acme-${randomBytes(3).toString("hex")}.test`;
const auditActions = async (orgId: string, entityId: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ action: string }>(
        sql`select action from audit_events where org_id = ${orgId} and entity_id = ${entityId} order by seq`,
      ),
    )
  ).rows.map((r) => r.action);

describe("customer organizations", () => {
  it("an admin creates one with domains; a customer at one of them belongs to it; staff read it; changes carry ETag/If-Match; audited", async () => {
    const d = domain();
    const person = await createUser(A.org, { role: "customer", email: `pat@${d}` });
    const r = await createOrg(A.admin, {
      name: "Acme Corp",
      domains: [d.toUpperCase(), `eu.${d}`],
      notes: "Key account",
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      name: "Acme Corp",
      domains: [d, `eu.${d}`].sort(),
      notes: "Key account",
      members: 1,
    });
    const id = r.body.id as string;
    expect((await orgs(A.agent)).body.data.map((o: { id: string }) => o.id)).toContain(id);
    const got = await getOrg(A.agent, id);
    expect(got.headers.get("etag")).toBe('"1"');

    const ctx = await context(A.agent, person.id);
    expect(ctx.status, ctx.text).toBe(200);
    expect(ctx.body.organization).toMatchObject({ id, name: "Acme Corp", notes: "Key account" });

    // A stale If-Match changes nothing; the current one applies.
    expect((await patchOrg(A.admin, id, { name: "Acme Inc" }, '"7"')).status).toBe(412);
    const p = await patchOrg(A.admin, id, { name: "Acme Inc", domains: [`eu.${d}`] }, '"1"');
    expect(p.status, p.text).toBe(200);
    expect(p.headers.get("etag")).toBe('"2"');
    expect(p.body).toMatchObject({ name: "Acme Inc", domains: [`eu.${d}`], members: 0 });
    expect((await context(A.agent, person.id)).body.organization).toBeNull();

    expect((await deleteOrg(A.admin, id)).status).toBe(204);
    expect((await getOrg(A.admin, id)).status).toBe(404);
    expect(await auditActions(A.org.id, id)).toEqual([
      "customer_org.created",
      "customer_org.updated",
      "customer_org.deleted",
    ]);
  });

  it("a domain belongs to one organization; bad input is a 400; agents and customers may not write (403)", async () => {
    const d = domain();
    const first = await createOrg(A.admin, { name: `First ${d}`, domains: [d] });
    expect(first.status).toBe(201);
    const taken = await createOrg(A.admin, { name: `Second ${d}`, domains: [d] });
    expect(taken.status).toBe(409);
    expect(taken.text).toContain(d);
    expect((await createOrg(A.admin, { name: `first ${d}` })).status).toBe(409); // the name, in any case
    for (const body of [
      {},
      { name: "" },
      { name: "X", domains: ["not a domain"] },
      { name: "X", domains: "a.test" },
      { name: "X", extra: 1 },
      { name: "X", domains: Array.from({ length: 21 }, (_, i) => `d${i}.test`) },
    ]) {
      expect((await createOrg(A.admin, body)).status, JSON.stringify(body).slice(0, 60)).toBe(400);
    }
    expect((await createOrg(A.agent, { name: "Nope" })).status).toBe(403);
    expect((await patchOrg(A.agent, first.body.id, { name: "Nope" })).status).toBe(403);
    expect((await deleteOrg(A.agent, first.body.id)).status).toBe(403);
    expect((await orgs(A.customer)).status).toBe(403);
    expect((await getOrg(A.customer, first.body.id)).status).toBe(403);
    expect((await getOrg(A.admin, first.body.id)).body.name).toBe(`First ${d}`);
  });

  it("never across orgs: B cannot see, change or delete A's organization, and may use the same domain for its own", async () => {
    const d = domain();
    const a = await createOrg(A.admin, { name: "Shared Name", domains: [d] });
    expect((await getOrg(B.admin, a.body.id)).status).toBe(404);
    expect((await patchOrg(B.admin, a.body.id, { name: "Stolen" })).status).toBe(404);
    expect((await deleteOrg(B.admin, a.body.id)).status).toBe(404);
    expect((await orgs(B.admin)).body.data.map((o: { id: string }) => o.id)).not.toContain(a.body.id);
    const b = await createOrg(B.admin, { name: "Shared Name", domains: [d] });
    expect(b.status, b.text).toBe(201);
    expect((await getOrg(A.admin, a.body.id)).body).toMatchObject({ name: "Shared Name", domains: [d] });
  });
});

describe("customer notes and context", () => {
  it("staff add notes about a customer and see their recent tickets; the author or an admin deletes a note; customers never see notes", async () => {
    const t1 = await newTicket(A.customer, { subject: "First problem" });
    const t2 = await newTicket(A.customer, { subject: "Second problem" });
    const n = await addNote(A.agent, A.customer.id, { body: "Prefers phone calls." });
    expect(n.status, n.text).toBe(201);
    expect(n.body).toMatchObject({ customerId: A.customer.id, authorId: A.agent.id, body: "Prefers phone calls." });
    const ctx = await context(A.agent2, A.customer.id);
    expect(ctx.body.customer).toMatchObject({ id: A.customer.id, email: A.customer.email });
    expect(ctx.body.notes.map((x: { body: string }) => x.body)).toContain("Prefers phone calls.");
    expect(ctx.body.tickets.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining([t1.id, t2.id]));

    expect((await context(A.customer, A.customer.id)).status).toBe(403);
    expect((await addNote(A.customer, A.customer.id, { body: "hi" })).status).toBe(403);
    expect((await deleteNote(A.agent2, A.customer.id, n.body.id)).status).toBe(403); // not the author
    expect((await deleteNote(A.admin, A.customer.id, n.body.id)).status).toBe(204);
    expect((await deleteNote(A.admin, A.customer.id, n.body.id)).status).toBe(404);
    for (const body of [{}, { body: "" }, { body: "x".repeat(5_001) }, { body: "ok", extra: true }]) {
      expect((await addNote(A.agent, A.customer.id, body)).status).toBe(400);
    }
  });

  it("another org's customer is 404: no context, no notes added, none deleted", async () => {
    const n = await addNote(A.agent, A.customer.id, { body: "A-only note" });
    const bCustomer = await createUser(B.org, { role: "customer" });
    expect((await context(B.agent, A.customer.id)).status).toBe(404);
    expect((await context(A.agent, bCustomer.id)).status).toBe(404);
    expect((await addNote(B.agent, A.customer.id, { body: "x" })).status).toBe(404);
    expect((await deleteNote(B.admin, A.customer.id, n.body.id)).status).toBe(404);
    const leak = await context(B.agent, bCustomer.id);
    expect(leak.status).toBe(200);
    expect(leak.text).not.toContain("A-only note");
    expect((await context(A.agent, A.customer.id)).body.notes.map((x: { body: string }) => x.body)).toContain(
      "A-only note",
    );
  });
});
