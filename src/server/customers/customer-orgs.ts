import "server-only";
import { and, asc, desc, eq, inArray, isNull, ne, or, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit";
import { auditActor } from "../authz/actor";
import { assertCan, can } from "../authz/permissions";
import { AppError, notFound } from "../core/errors";
import type { Scope } from "../core/scope";
import { tickets } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import { customerNotes, customerOrgDomains, customerOrgs } from "../db/schema/customers";
import type { Tx } from "../db/tenant";
import { one } from "../core/one";

// Customer companies and notes about customers (issue 14 item 6, SPEC §13, decision 051).
// A company has email domains; a requester whose address is at one of them belongs to it (decided
// when asked, from the address, so a new customer or a changed domain list needs no backfill).
// A domain belongs to at most one company of the org. Staff read; admins create, change, delete.
// Notes about a customer (a person) are staff-only, by any agent; their author or an admin deletes one.

export const MAX_DOMAINS = 20;
export const MAX_NOTE = 5_000;
export const MAX_NOTES_SHOWN = 50;
export const OTHER_TICKETS_SHOWN = 10;

const zDomain = z
  .string()
  .trim()
  .toLowerCase()
  .min(3)
  .max(253)
  .regex(/^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
    message: "must be a domain name such as example.com",
  });

export const ZCustomerOrgInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  domains: z.array(zDomain).max(MAX_DOMAINS).optional(),
  notes: z.string().max(MAX_NOTE).optional(),
});
export const ZCustomerOrgPatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  domains: z.array(zDomain).max(MAX_DOMAINS).optional(),
  notes: z.string().max(MAX_NOTE).optional(),
});
export type CustomerOrgInput = z.infer<typeof ZCustomerOrgInput>;
export type CustomerOrgPatch = z.infer<typeof ZCustomerOrgPatch>;

export const ZCustomerOrg = z.object({
  id: z.uuid(),
  name: z.string(),
  domains: z.array(z.string()),
  notes: z.string(),
  /** Customers of the org linked to it (an import's company link), or at one of its domains and linked to no other company. */
  members: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type CustomerOrg = z.infer<typeof ZCustomerOrg>;

export const ZCustomerNote = z.object({
  id: z.uuid(),
  customerId: z.uuid(),
  authorId: z.uuid().nullable(),
  body: z.string(),
  createdAt: z.iso.datetime(),
});
export const ZCreateCustomerNote = z.strictObject({ body: z.string().trim().min(1).max(MAX_NOTE) });
export type CustomerNote = z.infer<typeof ZCustomerNote>;

export const ZCustomerContext = z.object({
  customer: z.object({ id: z.uuid(), name: z.string(), email: z.string(), role: z.string() }),
  organization: z
    .object({ id: z.uuid(), name: z.string(), notes: z.string(), domains: z.array(z.string()) })
    .nullable(),
  notes: z.array(ZCustomerNote),
  /** Their most recent tickets (requested by them), newest first. */
  tickets: z.array(
    z.object({
      id: z.uuid(),
      number: z.number().int(),
      subject: z.string(),
      status: z.string(),
      updatedAt: z.iso.datetime(),
    }),
  ),
});
export type CustomerContext = z.infer<typeof ZCustomerContext>;

const domainOf = (email: string) => email.slice(email.lastIndexOf("@") + 1).toLowerCase();

async function domainsOf(tx: Tx, orgId: string, ids: string[]): Promise<Map<string, string[]>> {
  if (!ids.length) return new Map();
  const rows = await tx
    .select()
    .from(customerOrgDomains)
    .where(and(eq(customerOrgDomains.orgId, orgId), inArray(customerOrgDomains.customerOrgId, ids)))
    .orderBy(asc(customerOrgDomains.domain));
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.customerOrgId, [...(out.get(r.customerOrgId) ?? []), r.domain]);
  return out;
}

/** Customers of the company: the ones linked to it (an import's company link), and the ones at its domains who are linked to no other. */
async function membersOf(tx: Tx, orgId: string, companyId: string, domains: string[]): Promise<number> {
  return tx.$count(
    users,
    and(
      eq(users.orgId, orgId),
      eq(users.role, "customer"),
      domains.length
        ? or(
            eq(users.customerOrgId, companyId),
            and(isNull(users.customerOrgId), inArray(sql`lower(split_part(${users.email}, '@', 2))`, domains)),
          )
        : eq(users.customerOrgId, companyId),
    ),
  );
}

async function view(
  tx: Tx,
  orgId: string,
  row: typeof customerOrgs.$inferSelect,
  domains?: string[],
): Promise<CustomerOrg> {
  const d = domains ?? (await domainsOf(tx, orgId, [row.id])).get(row.id) ?? [];
  return {
    id: row.id,
    name: row.name,
    domains: d,
    notes: row.notes,
    members: await membersOf(tx, orgId, row.id, d),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

async function load(scope: Scope, id: string, lock = false) {
  const q = scope.tx
    .select()
    .from(customerOrgs)
    .where(and(eq(customerOrgs.orgId, scope.user.orgId), eq(customerOrgs.id, id)))
    .limit(1);
  const [row] = lock ? await q.for("update") : await q;
  if (!row) throw notFound("customer organization");
  return row;
}

/** Replaces a company's domains; a domain another company of the org has is a 409 naming it. */
async function setDomains(scope: Scope, id: string, domains: string[]): Promise<string[]> {
  const wanted = [...new Set(domains)].sort();
  const org = scope.user.orgId;
  if (wanted.length) {
    const taken = await scope.tx
      .select({ domain: customerOrgDomains.domain })
      .from(customerOrgDomains)
      .where(
        and(
          eq(customerOrgDomains.orgId, org),
          inArray(customerOrgDomains.domain, wanted),
          ne(customerOrgDomains.customerOrgId, id),
        ),
      );
    if (taken.length) {
      throw new AppError(
        "conflict",
        `${taken.map((t) => t.domain).join(", ")} already belongs to another customer organization`,
        {
          issues: taken.map((t) => ({
            in: "body",
            path: "domains",
            message: `${t.domain} already belongs to another customer organization`,
          })),
        },
      );
    }
  }
  await scope.tx
    .delete(customerOrgDomains)
    .where(and(eq(customerOrgDomains.orgId, org), eq(customerOrgDomains.customerOrgId, id)));
  if (wanted.length)
    await scope.tx
      .insert(customerOrgDomains)
      .values(wanted.map((domain) => ({ orgId: org, domain, customerOrgId: id })));
  return wanted;
}

export async function listCustomerOrgs(scope: Scope): Promise<{ data: CustomerOrg[] }> {
  assertCan(scope.user, "ticket.internal.view");
  const rows = await scope.tx
    .select()
    .from(customerOrgs)
    .where(eq(customerOrgs.orgId, scope.user.orgId))
    .orderBy(asc(sql`lower(${customerOrgs.name})`))
    .limit(1000);
  const domains = await domainsOf(
    scope.tx,
    scope.user.orgId,
    rows.map((r) => r.id),
  );
  return { data: await Promise.all(rows.map((r) => view(scope.tx, scope.user.orgId, r, domains.get(r.id) ?? []))) };
}

export async function getCustomerOrg(scope: Scope, id: string): Promise<{ org: CustomerOrg; version: number }> {
  assertCan(scope.user, "ticket.internal.view");
  const row = await load(scope, id);
  return { org: await view(scope.tx, scope.user.orgId, row), version: row.version };
}

export async function createCustomerOrg(scope: Scope, input: CustomerOrgInput): Promise<CustomerOrg> {
  assertCan(scope.user, "org.admin");
  const row = one(
    await scope.tx
      .insert(customerOrgs)
      .values({ orgId: scope.user.orgId, name: input.name, notes: input.notes ?? "" })
      .returning(),
  );
  const domains = await setDomains(scope, row.id, input.domains ?? []);
  await recordAudit(scope.tx, auditActor(scope), {
    action: "customer_org.created",
    entityType: "customer_org",
    entityId: row.id,
    data: { name: input.name, domains },
  });
  return view(scope.tx, scope.user.orgId, row, domains);
}

export async function updateCustomerOrg(
  scope: Scope,
  id: string,
  input: CustomerOrgPatch,
  ifVersion?: readonly number[],
): Promise<{ org: CustomerOrg; version: number }> {
  assertCan(scope.user, "org.admin");
  const before = await load(scope, id, true);
  if (ifVersion && !ifVersion.includes(before.version)) {
    throw new AppError(
      "precondition_failed",
      "the customer organization has changed since that version; read it again and reapply your change",
      { version: before.version },
    );
  }
  const beforeDomains = (await domainsOf(scope.tx, scope.user.orgId, [id])).get(id) ?? [];
  const domains = input.domains !== undefined ? await setDomains(scope, id, input.domains) : beforeDomains;
  const [row] = await scope.tx
    .update(customerOrgs)
    .set({
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.notes !== undefined ? { notes: input.notes } : {}),
      updatedAt: new Date(),
      version: sql`${customerOrgs.version} + 1`,
    })
    .where(and(eq(customerOrgs.orgId, scope.user.orgId), eq(customerOrgs.id, id)))
    .returning();
  await recordAudit(scope.tx, auditActor(scope), {
    action: "customer_org.updated",
    entityType: "customer_org",
    entityId: id,
    data: {
      before: {
        name: before.name,
        domains: beforeDomains,
        notesChanged: input.notes !== undefined && input.notes !== before.notes,
      },
      after: { name: row!.name, domains },
    },
  });
  return { org: await view(scope.tx, scope.user.orgId, row!, domains), version: row!.version };
}

export async function deleteCustomerOrg(scope: Scope, id: string): Promise<void> {
  assertCan(scope.user, "org.admin");
  const row = await load(scope, id, true);
  await scope.tx.delete(customerOrgs).where(and(eq(customerOrgs.orgId, scope.user.orgId), eq(customerOrgs.id, id)));
  await recordAudit(scope.tx, auditActor(scope), {
    action: "customer_org.deleted",
    entityType: "customer_org",
    entityId: id,
    data: { name: row.name },
  });
}

async function customerOf(scope: Scope, id: string) {
  const [u] = await scope.tx
    .select({
      id: users.id,
      name: users.name,
      email: users.email,
      role: users.role,
      customerOrgId: users.customerOrgId,
    })
    .from(users)
    .where(and(eq(users.orgId, scope.user.orgId), eq(users.id, id)))
    .limit(1);
  if (!u) throw notFound("user");
  return u;
}

const noteView = (n: typeof customerNotes.$inferSelect): CustomerNote => ({
  id: n.id,
  customerId: n.customerId,
  authorId: n.authorId,
  body: n.body,
  createdAt: n.createdAt.toISOString(),
});

/**
 * GET /customers/{id}/context (staff): who they are, their company, the notes about them, and
 * their most recent tickets. The company is the one a ticket of theirs names (the ticket page's
 * `ticketId`), else the one given for them (an import's company link, decision 062), else the one
 * that owns their email's domain (decision 051).
 */
export async function customerContext(
  scope: Scope,
  id: string,
  opts: { ticketId?: string } = {},
): Promise<CustomerContext> {
  assertCan(scope.user, "ticket.internal.view");
  const org = scope.user.orgId;
  const { customerOrgId: given, ...customer } = await customerOf(scope, id);
  const [onTicket] = opts.ticketId
    ? await scope.tx
        .select({ id: tickets.customerOrgId })
        .from(tickets)
        .where(and(eq(tickets.orgId, org), eq(tickets.id, opts.ticketId)))
    : [];
  const linked = onTicket?.id ?? given;
  const companyColumns = { id: customerOrgs.id, name: customerOrgs.name, notes: customerOrgs.notes };
  const [company] = linked
    ? await scope.tx
        .select(companyColumns)
        .from(customerOrgs)
        .where(and(eq(customerOrgs.orgId, org), eq(customerOrgs.id, linked)))
    : await scope.tx
        .select(companyColumns)
        .from(customerOrgDomains)
        .innerJoin(
          customerOrgs,
          and(eq(customerOrgs.orgId, customerOrgDomains.orgId), eq(customerOrgs.id, customerOrgDomains.customerOrgId)),
        )
        .where(and(eq(customerOrgDomains.orgId, org), eq(customerOrgDomains.domain, domainOf(customer.email))))
        .limit(1);
  const notes = await scope.tx
    .select()
    .from(customerNotes)
    .where(and(eq(customerNotes.orgId, org), eq(customerNotes.customerId, id)))
    .orderBy(desc(customerNotes.createdAt))
    .limit(MAX_NOTES_SHOWN);
  const recent = await scope.tx
    .select({
      id: tickets.id,
      number: tickets.number,
      subject: tickets.subject,
      status: tickets.status,
      updatedAt: tickets.updatedAt,
    })
    .from(tickets)
    .where(and(eq(tickets.orgId, org), eq(tickets.requesterId, id)))
    .orderBy(desc(tickets.updatedAt), desc(tickets.id))
    .limit(OTHER_TICKETS_SHOWN + 1);
  return {
    customer,
    organization: company
      ? { ...company, domains: (await domainsOf(scope.tx, org, [company.id])).get(company.id) ?? [] }
      : null,
    notes: notes.map(noteView),
    tickets: recent.map((t) => ({ ...t, updatedAt: t.updatedAt.toISOString() })),
  };
}

export async function addCustomerNote(
  scope: Scope,
  customerId: string,
  input: z.infer<typeof ZCreateCustomerNote>,
): Promise<CustomerNote> {
  assertCan(scope.user, "ticket.internal.view");
  await customerOf(scope, customerId);
  const n = one(
    await scope.tx
      .insert(customerNotes)
      .values({ orgId: scope.user.orgId, customerId, authorId: scope.user.userId, body: input.body })
      .returning(),
  );
  await recordAudit(scope.tx, auditActor(scope), {
    action: "customer.note_added",
    entityType: "user",
    entityId: customerId,
    data: { noteId: n.id },
  });
  return noteView(n);
}

export async function deleteCustomerNote(scope: Scope, customerId: string, noteId: string): Promise<void> {
  assertCan(scope.user, "ticket.internal.view");
  const [n] = await scope.tx
    .select()
    .from(customerNotes)
    .where(
      and(
        eq(customerNotes.orgId, scope.user.orgId),
        eq(customerNotes.customerId, customerId),
        eq(customerNotes.id, noteId),
      ),
    )
    .limit(1);
  if (!n) throw notFound("note");
  if (n.authorId !== scope.user.userId && !can(scope.user, "org.admin"))
    throw new AppError("forbidden", "only the note's author or an admin may delete it");
  await scope.tx
    .delete(customerNotes)
    .where(and(eq(customerNotes.orgId, scope.user.orgId), eq(customerNotes.id, noteId)));
  await recordAudit(scope.tx, auditActor(scope), {
    action: "customer.note_deleted",
    entityType: "user",
    entityId: customerId,
    data: { noteId },
  });
}
