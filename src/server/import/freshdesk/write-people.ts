import "server-only";
import type { Tx } from "../../db/tenant";
import { firstOfEach, parseRecords, type BatchContext, type BatchRecord } from "../batch";
import { mappedIds } from "../id-map";
import { insertCustomerOrgs, insertUsers, personName, placeholderEmail, usableEmail, type NewUser } from "../people";
import { ZFreshdeskAgent, ZFreshdeskCompany, ZFreshdeskContact } from "./shapes";

/** Freshdesk companies become customer companies with their domains (a same-named company is matched). */
export async function writeCompanies(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const unique = firstOfEach(ctx, "company", parseRecords(ctx, "company", recs, ZFreshdeskCompany));
  const known = await mappedIds(
    tx,
    ctx.space,
    "organization",
    unique.map((p) => p.value.id),
  );
  ctx.tally.add("company", "existing", known.size);
  await insertCustomerOrgs(
    tx,
    ctx,
    "company",
    unique
      .filter((p) => !known.has(p.value.id))
      .map(({ value: c }) => ({
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
  const unique = firstOfEach(ctx, "contact", parseRecords(ctx, "contact", recs, ZFreshdeskContact)).filter((p) => {
    if (p.value.deleted)
      ctx.tally.skip("contact", { sourceId: p.value.id, file: ctx.file, record: p.rec.index }, "deleted in Freshdesk");
    return !p.value.deleted;
  });
  await writePeople(
    tx,
    ctx,
    "contact",
    unique.map(({ value: c }) => ({
      id: c.id,
      name: c.name,
      email: c.email,
      role: "customer",
      createdAt: c.created_at,
      blockedAt: null,
    })),
  );
}

export async function writeAgents(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const unique = firstOfEach(ctx, "agent", parseRecords(ctx, "agent", recs, ZFreshdeskAgent));
  await writePeople(
    tx,
    ctx,
    "agent",
    unique.map(({ value: a }) => ({
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
};

async function writePeople(tx: Tx, ctx: BatchContext, type: string, people: Someone[]): Promise<void> {
  const { space, tally } = ctx;
  const known = await mappedIds(
    tx,
    space,
    "user",
    people.map((p) => p.id),
  );
  tally.add(type, "existing", known.size);
  const rows: NewUser[] = people
    .filter((p) => !known.has(p.id))
    .map((p) => {
      const email = usableEmail(p.email);
      if (!email) tally.note(type, "no usable email: given a placeholder address");
      return {
        sourceId: p.id,
        email: email ?? placeholderEmail("freshdesk", p.id),
        name: personName("freshdesk", p.id, p.name, email),
        role: p.role,
        createdAt: p.createdAt ?? undefined,
        blockedAt: p.blockedAt,
      };
    });
  const made = await insertUsers(tx, ctx, rows);
  for (const r of rows) tally.add(type, made.get(r.sourceId)!.fresh ? "imported" : "matched");
}
