import "server-only";
import type { Tx } from "../../db/tenant";
import { parseRecords, unmappedRecords, type BatchContext, type BatchRecord } from "../batch";
import { mappedIds } from "../id-map";
import { insertCustomerOrgs, insertUsers, personName, placeholderEmail, usableEmail, type NewUser } from "../people";
import { ZFreshdeskAgent, ZFreshdeskCompany, ZFreshdeskContact } from "./shapes";

/** Freshdesk companies become customer companies with their domains (a same-named company is matched). */
export async function writeCompanies(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const parsed = parseRecords(ctx, "company", recs, ZFreshdeskCompany);
  const fresh = await unmappedRecords(tx, ctx, "company", parsed, "organization");
  await insertCustomerOrgs(
    tx,
    ctx,
    "company",
    fresh.map(({ value: c }) => ({
      sourceId: c.id,
      name: c.name,
      notes: [c.description, c.note].filter(Boolean).join("\n\n"),
      createdAt: c.created_at ?? undefined,
      domains: c.domains ?? [],
    })),
  );
}

/**
 * Freshdesk contacts become customers and agents become agents, both without a password (they
 * sign in after a reset or an invitation); one id space, as Freshdesk's requester_id and a
 * conversation's user_id name either. An email the org has already is matched, its role untouched.
 */
export async function writeContacts(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const parsed = parseRecords(ctx, "contact", recs, ZFreshdeskContact).filter((p) => {
    if (p.value.deleted)
      ctx.tally.skip("contact", { sourceId: p.value.id, file: ctx.file, record: p.rec.index }, "deleted in Freshdesk");
    return !p.value.deleted;
  });
  const fresh = await unmappedRecords(tx, ctx, "contact", parsed, "user");
  // A contact's company_id names a company of the companies file, imported before the contacts.
  const refs = fresh.flatMap(({ value: c }) => (c.company_id ? [c.company_id] : []));
  const companies = refs.length ? await mappedIds(tx, ctx.space, "organization", refs) : new Map<string, string>();
  await writePeople(
    tx,
    ctx,
    "contact",
    fresh.map(({ value: c }) => {
      if (c.company_id && !companies.has(c.company_id))
        ctx.tally.note("contact", "company not in the export: not linked to one");
      return {
        id: c.id,
        name: c.name,
        email: c.email,
        role: "customer",
        createdAt: c.created_at,
        blockedAt: null,
        customerOrgId: (c.company_id && companies.get(c.company_id)) || null,
      };
    }),
  );
}

export async function writeAgents(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const parsed = parseRecords(ctx, "agent", recs, ZFreshdeskAgent);
  await writePeople(
    tx,
    ctx,
    "agent",
    (await unmappedRecords(tx, ctx, "agent", parsed, "user")).map(({ value: a }) => ({
      id: a.id,
      name: a.contact.name,
      email: a.contact.email,
      role: "agent",
      createdAt: a.created_at,
      blockedAt: null,
    })),
  );
}

type Someone = {
  id: string;
  name: string | null | undefined;
  email: string | null | undefined;
  role: "customer" | "agent";
  createdAt: Date | null | undefined;
  blockedAt: Date | null;
  customerOrgId?: string | null;
};

async function writePeople(tx: Tx, ctx: BatchContext, type: string, people: Someone[]): Promise<void> {
  const { tally } = ctx;
  const rows: NewUser[] = people.map((p) => {
    const email = usableEmail(p.email);
    if (!email) tally.note(type, "no usable email: given a placeholder address");
    return {
      sourceId: p.id,
      email: email ?? placeholderEmail("freshdesk", p.id),
      name: personName("freshdesk", p.id, p.name, email),
      role: p.role,
      createdAt: p.createdAt ?? undefined,
      blockedAt: p.blockedAt,
      customerOrgId: p.customerOrgId ?? null,
    };
  });
  const made = await insertUsers(tx, ctx, rows);
  for (const r of rows) tally.add(type, made.get(r.sourceId)!.fresh ? "imported" : "matched");
}
