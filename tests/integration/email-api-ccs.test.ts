import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { newTicket } from "../helpers/api";
import { apiRoute, call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// A ticket's CCs and clearing a bouncing mark through the route table (issue 12 items 5, 8):
// staff only, audited, and never across orgs.

let A: World, B: World;
beforeAll(async () => {
  [A, B] = await Promise.all([createWorld(), createWorld()]);
});

const ccs = (who: { cookie: string }, id: string) =>
  call(apiRoute.GET, "GET", `/api/v1/tickets/${id}/ccs`, { cookie: who.cookie });
const addCc = (who: { cookie: string }, id: string, email: string) =>
  call(apiRoute.POST, "POST", `/api/v1/tickets/${id}/ccs`, { cookie: who.cookie, body: { email } });
const removeCc = (who: { cookie: string }, id: string, email: string) =>
  call(apiRoute.DELETE, "DELETE", `/api/v1/tickets/${id}/ccs/${encodeURIComponent(email)}`, { cookie: who.cookie });
const fresh = () => `cc-${randomBytes(4).toString("hex")}@partner.test`;
const audit = async (orgId: string, action: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ entity_id: string; actor_id: string | null; data: Record<string, unknown> }>(
        sql`select entity_id, actor_id, data from audit_events where org_id = ${orgId} and action = ${action} order by seq`,
      ),
    )
  ).rows;

describe("ticket CCs API", () => {
  it("an agent adds and removes a CC; an unknown address becomes a customer; both audited", async () => {
    const t = await newTicket(A.agent, { requesterId: A.customer.id });
    const email = fresh();
    // Addresses are kept lower case: the same address in capitals is the same CC.
    const ok = await addCc(A.agent, t.id, email.toUpperCase());
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body).toMatchObject({ id: email, email, bouncing: null });
    expect((await addCc(A.admin, t.id, email)).body.email).toBe(email);
    expect((await ccs(A.admin, t.id)).body.data.map((c: { email: string }) => c.email)).toEqual([email]);
    const created = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ role: string; password_hash: string | null }>(
          sql`select role::text, password_hash from users where org_id = ${A.org.id} and lower(email) = ${email}`,
        ),
      )
    ).rows;
    expect(created).toEqual([{ role: "customer", password_hash: null }]);
    // A known person is copied without a second account.
    expect((await addCc(A.agent, t.id, A.customer2.email.toLowerCase())).status).toBe(201);
    expect(
      (
        await unsafeWithSystem((tx) =>
          tx.execute(
            sql`select 1 from users where org_id = ${A.org.id} and lower(email) = ${A.customer2.email.toLowerCase()}`,
          ),
        )
      ).rows,
    ).toHaveLength(1);
    expect((await removeCc(A.agent, t.id, email)).status).toBe(204);
    expect((await ccs(A.agent, t.id)).body.data.map((c: { email: string }) => c.email)).toEqual([
      A.customer2.email.toLowerCase(),
    ]);
    expect((await removeCc(A.agent, t.id, email)).status).toBe(404);
    expect(
      (await audit(A.org.id, "ticket.cc_added"))
        .filter((e) => e.entity_id === t.id)
        .map((e) => [e.actor_id, e.data.email]),
    ).toEqual([
      [A.agent.id, email],
      [A.agent.id, A.customer2.email.toLowerCase()],
    ]);
    expect((await audit(A.org.id, "ticket.cc_removed")).filter((e) => e.entity_id === t.id)).toMatchObject([
      { actor_id: A.agent.id, data: { email } },
    ]);
  });

  it("refuses bad addresses, the requester and support addresses with a 400 that changes nothing", async () => {
    const t = await newTicket(A.agent, { requesterId: A.customer.id });
    const support = `support-${randomBytes(4).toString("hex")}@b-${randomBytes(2).toString("hex")}.test`;
    expect(
      (
        await call(apiRoute.POST, "POST", "/api/v1/email/addresses", {
          cookie: B.admin.cookie,
          body: { address: support },
        })
      ).status,
    ).toBe(201);
    for (const email of ["nope", "Name <x@y.test>", A.customer.email.toLowerCase(), support]) {
      const r = await addCc(A.agent, t.id, email);
      expect(r.status, email).toBe(400);
      expect(r.body.error.details.issues[0].path).toBe("email");
    }
    expect(
      (
        await call(apiRoute.POST, "POST", `/api/v1/tickets/${t.id}/ccs`, {
          cookie: A.agent.cookie,
          body: { email: fresh(), extra: 1 },
        })
      ).status,
    ).toBe(400);
    expect((await ccs(A.agent, t.id)).body.data).toEqual([]);
  });

  it("customers are 403 (even on their own ticket); another org's ticket is 404 and unchanged", async () => {
    const t = await newTicket(A.agent, { requesterId: A.customer.id });
    const email = fresh();
    await addCc(A.agent, t.id, email);
    expect((await ccs(A.customer, t.id)).status).toBe(403);
    expect((await addCc(A.customer, t.id, fresh())).status).toBe(403);
    expect((await removeCc(A.customer, t.id, email)).status).toBe(403);
    const leak = await ccs(B.agent, t.id);
    expect(leak.status).toBe(404);
    expect(leak.text).not.toContain(email);
    expect((await addCc(B.admin, t.id, fresh())).status).toBe(404);
    expect((await removeCc(B.admin, t.id, email)).status).toBe(404);
    expect((await ccs(A.agent, t.id)).body.data.map((c: { email: string }) => c.email)).toEqual([email]);
  });
});

describe("clearing a bouncing mark", () => {
  it("staff clear a user's mark and the address's CC marks; audited; customers 403; other orgs 404", async () => {
    const t = await newTicket(A.agent, { requesterId: A.customer.id });
    const addr = A.customer2.email.toLowerCase();
    await addCc(A.agent, t.id, addr);
    await unsafeWithSystem(async (tx) => {
      await tx.execute(
        sql`update users set email_bouncing_at = now(), email_bouncing_reason = '5.1.1 no such user' where id = ${A.customer2.id}`,
      );
      await tx.execute(
        sql`update ticket_ccs set bouncing_at = now(), bouncing_reason = '5.1.1 no such user' where org_id = ${A.org.id} and email = ${addr}`,
      );
    });
    expect((await ccs(A.agent, t.id)).body.data[0]!.bouncing).toBe("5.1.1 no such user");
    expect(
      (await call(apiRoute.DELETE, "DELETE", `/api/v1/users/${A.customer2.id}/bounce`, { cookie: A.customer.cookie }))
        .status,
    ).toBe(403);
    expect(
      (await call(apiRoute.DELETE, "DELETE", `/api/v1/users/${A.customer2.id}/bounce`, { cookie: B.agent.cookie }))
        .status,
    ).toBe(404);
    expect((await ccs(A.agent, t.id)).body.data[0]!.bouncing).not.toBeNull();
    expect(
      (await call(apiRoute.DELETE, "DELETE", `/api/v1/users/${A.customer2.id}/bounce`, { cookie: A.agent.cookie }))
        .status,
    ).toBe(204);
    expect((await ccs(A.agent, t.id)).body.data[0]!.bouncing).toBeNull();
    const [u] = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ at: string | null }>(
          sql`select email_bouncing_at::text as at from users where id = ${A.customer2.id}`,
        ),
      )
    ).rows;
    expect(u!.at).toBeNull();
    expect((await audit(A.org.id, "user.email_bouncing_cleared")).map((e) => [e.entity_id, e.actor_id])).toEqual([
      [A.customer2.id, A.agent.id],
    ]);
  });
});
