import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { createImport } from "../../src/server/import/import-run";
import { importRunner } from "../../src/server/import/run-import";
import { ticketContext } from "../../src/server/pages/ticket-context";
import { apiRoute, call } from "../helpers/http";
import { createWorld } from "../helpers/world";

// Freshdesk's company_id on contacts and tickets (issue 17, decision 062): companies become customer
// organizations (decision 056), and each contact and ticket that names one is linked to it through
// the id map; the customer card shows the linked company before the one that owns the email's domain.

const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  unsafeWithSystem(async (tx) => (await tx.execute<T>(query)).rows);

function exportDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "freshdesk-companies-"));
  const write = (name: string, v: unknown) => writeFileSync(path.join(dir, name), JSON.stringify(v));
  const at = "2024-01-01T10:00:00Z";
  write("companies.json", [
    { id: 8001, name: "Globex", domains: ["globex.example"], created_at: at },
    { id: 8003, name: "Initech", domains: [], created_at: at },
  ]);
  write("contacts.json", [
    { id: 3001, name: "Carol", email: "carol@globex.example", company_id: 8001, created_at: at },
    // Linked to a company that does not own her address's domain.
    { id: 3002, name: "Dave", email: "dave@mail.example", company_id: 8003, created_at: at },
    // A company the export does not have: not linked, and noted.
    { id: 3003, name: "Erin", email: "erin@elsewhere.example", company_id: 9999, created_at: at },
    { id: 3004, name: "Frank", email: "frank@globex.example", created_at: at },
  ]);
  const ticket = (id: number, requester: number, company: number | null, subject: string) => ({
    id,
    subject,
    description_text: `About ${subject}`,
    status: 2,
    priority: 1,
    source: 2,
    requester_id: requester,
    company_id: company,
    created_at: at,
    updated_at: at,
  });
  write("tickets.json", [
    ticket(1, 3002, 8003, "Dave for Initech"),
    ticket(2, 3001, 8001, "Carol for Globex"),
    ticket(3, 3003, 9999, "Erin for nobody known"),
    // A ticket can be for another company than its requester's own.
    ticket(4, 3002, 8001, "Dave for Globex"),
    ticket(5, 3004, null, "Frank, no company said"),
  ]);
  return dir;
}

describe("Freshdesk company links", () => {
  it("links contacts and tickets to the imported companies by company_id, notes the unknown ones, and the customer card shows the link", async () => {
    const w = await createWorld();
    const dir = exportDir();
    const importId = (await createImport(w.org.id, { sourceKind: "freshdesk", source: dir, createdBy: null })).id;
    const r = await importRunner("freshdesk")!({ orgId: w.org.id, importId, input: dir, batchSize: 2 });
    expect(r.finished).toBe(true);
    expect(r.counts.company).toMatchObject({ imported: 2 });
    expect(r.counts.contact!.notes).toEqual({ "company not in the export: not linked to one": 1 });
    expect(r.counts.ticket!.notes).toMatchObject({ "company not in the export: not linked to one": 1 });

    const people = await q<{ email: string; company: string | null }>(sql`
      select u.email, c.name as company from users u
      left join customer_orgs c on c.org_id = u.org_id and c.id = u.customer_org_id
      where u.org_id = ${w.org.id} and u.role = 'customer' and u.email not like '%@example.test' order by u.email`);
    expect(people.filter((p) => !p.email.startsWith("customer"))).toEqual([
      { email: "carol@globex.example", company: "Globex" },
      { email: "dave@mail.example", company: "Initech" },
      { email: "erin@elsewhere.example", company: null },
      { email: "frank@globex.example", company: null },
    ]);
    const tickets = await q<{ subject: string; company: string | null; id: string }>(sql`
      select t.subject, c.name as company, t.id from tickets t
      left join customer_orgs c on c.org_id = t.org_id and c.id = t.customer_org_id
      where t.org_id = ${w.org.id} order by t.number`);
    expect(tickets.map(({ subject, company }) => ({ subject, company }))).toEqual([
      { subject: "Dave for Initech", company: "Initech" },
      { subject: "Carol for Globex", company: "Globex" },
      { subject: "Erin for nobody known", company: null },
      { subject: "Dave for Globex", company: "Globex" },
      { subject: "Frank, no company said", company: null },
    ]);

    // The card: Dave's own company is the linked one, not a domain's; on a ticket for Globex, Globex.
    const dave = (
      await q<{ id: string }>(sql`select id from users where org_id = ${w.org.id} and email = 'dave@mail.example'`)
    )[0]!.id;
    const frank = (
      await q<{ id: string }>(sql`select id from users where org_id = ${w.org.id} and email = 'frank@globex.example'`)
    )[0]!.id;
    const card = await call(apiRoute.GET, "GET", `/api/v1/customers/${dave}/context`, { cookie: w.agent.cookie });
    expect(card.status, card.text).toBe(200);
    expect(card.body.organization).toMatchObject({ name: "Initech" });
    const byDomain = await call(apiRoute.GET, "GET", `/api/v1/customers/${frank}/context`, { cookie: w.agent.cookie });
    expect(byDomain.body.organization).toMatchObject({ name: "Globex" });
    const onTicket = await withTenant(w.org.id, (tx) =>
      ticketContext(
        { tx, user: { userId: w.agent.id, orgId: w.org.id, role: "agent" } as never, requestId: "t" },
        { id: tickets[3]!.id, requesterId: dave },
      ),
    );
    expect(onTicket.customer.organization).toMatchObject({ name: "Globex" });

    // Members: linked people, and people at the domains who are linked to no other company.
    const orgs = await call(apiRoute.GET, "GET", "/api/v1/customer-orgs", { cookie: w.agent.cookie });
    const members = Object.fromEntries(
      orgs.body.data.map((o: { name: string; members: number }) => [o.name, o.members]),
    );
    expect(members).toEqual({ Globex: 2, Initech: 1 });

    // Run again: nothing twice. Deleting a company leaves its people and tickets without one.
    const again = await importRunner("freshdesk")!({
      orgId: w.org.id,
      importId: (await createImport(w.org.id, { sourceKind: "freshdesk", source: dir, createdBy: null })).id,
      input: dir,
    });
    expect(again.counts.ticket).toMatchObject({ imported: 0, existing: 5 });
    await q(sql`delete from customer_orgs where org_id = ${w.org.id} and name = 'Initech'`);
    const left = await q<{ n: number }>(sql`
      select (select count(*) from users where org_id = ${w.org.id} and customer_org_id is not null)::int
        + (select count(*) from tickets where org_id = ${w.org.id} and customer_org_id is not null)::int as n`);
    expect(left[0]!.n).toBe(3);
  });
});
