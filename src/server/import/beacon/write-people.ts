import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { PgInsertValue } from "drizzle-orm/pg-core";
import { groupMembers, groups } from "../../db/schema/automation";
import { customerNotes, customerOrgDomains, customerOrgs } from "../../db/schema/customers";
import { users } from "../../db/schema/users";
import { ticketFields } from "../../db/schema/workspace";
import type { Tx } from "../../db/tenant";
import { auditImported, type BatchContext, type BatchRecord } from "../batch";
import { recordIds } from "../id-map";
import { freshRows, parseRows, refs, skipRow } from "./parse-rows";
import {
  ts,
  ZCustomerNoteRow,
  ZCustomerOrgRow,
  ZGroupMemberRow,
  ZGroupRow,
  ZTicketFieldRow,
  ZUserCompanyRow,
  ZUserRow,
} from "./rows";

/** The "<kind>.imported" events of a batch's new records, each naming the import and the source id. */
async function imported(tx: Tx, ctx: BatchContext, entityType: string, pairs: [string, string][]): Promise<void> {
  await auditImported(
    tx,
    ctx.actor,
    pairs.map(([sourceId, id]) => ({
      action: `${entityType}.imported`,
      entityType,
      entityId: id,
      data: { importId: ctx.space.importId, source: "beacon", sourceId },
    })),
  );
}

/**
 * Users, password-less (an archive has no hashes: they sign in after a reset or an invitation).
 * An email already in the org takes the record (matched; that user is untouched); an admin comes
 * in as an agent, since admin rights are for this Beacon's admins to give (decision 053).
 */
export async function writeUsers(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const fresh = await freshRows(tx, ctx, "user", parseRows(ctx, "user", recs, ZUserRow), (v) => v.id);
  if (!fresh.length) return;
  const emails = fresh.map((p) => p.value.email.toLowerCase());
  const existing = new Map(
    (
      await tx
        .select({ id: users.id, email: users.email })
        .from(users)
        .where(and(eq(users.orgId, ctx.space.orgId), inArray(sql`lower(${users.email})`, emails)))
    ).map((u) => [u.email.toLowerCase(), u.id]),
  );
  const rows: PgInsertValue<typeof users>[] = [];
  const pairs: [string, string][] = [];
  const matched: [string, string][] = [];
  for (const { value: u } of fresh) {
    const hit = existing.get(u.email.toLowerCase());
    if (hit) {
      matched.push([u.id, hit]);
      ctx.tally.add("user", "matched");
      continue;
    }
    const id = randomUUID();
    existing.set(u.email.toLowerCase(), id);
    if (u.role === "admin") ctx.tally.note("user", "admins come in as agents");
    rows.push({
      orgId: ctx.space.orgId,
      id,
      email: u.email,
      name: u.name,
      role: u.role === "admin" ? "agent" : u.role,
      blockedAt: ts(u.blocked_at),
      emailBouncingAt: ts(u.email_bouncing_at),
      emailBouncingReason: u.email_bouncing_reason ?? null,
      createdAt: ts(u.created_at)!,
      updatedAt: ts(u.updated_at)!,
    });
    pairs.push([u.id, id]);
    ctx.tally.add("user", "imported");
  }
  if (rows.length) await tx.insert(users).values(rows);
  await recordIds(tx, ctx.space, "user", [...pairs, ...matched]);
  await imported(tx, ctx, "user", pairs);
}

/** Customer companies with their domains; a company of the same name takes the record; a domain another company has stays there. */
export async function writeCustomerOrgs(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const fresh = await freshRows(
    tx,
    ctx,
    "customer_org",
    parseRows(ctx, "customer_org", recs, ZCustomerOrgRow),
    (v) => v.id,
  );
  if (!fresh.length) return;
  const existing = new Map(
    (
      await tx
        .select({ id: customerOrgs.id, name: customerOrgs.name })
        .from(customerOrgs)
        .where(
          and(
            eq(customerOrgs.orgId, ctx.space.orgId),
            inArray(
              sql`lower(${customerOrgs.name})`,
              fresh.map((p) => p.value.name.toLowerCase()),
            ),
          ),
        )
    ).map((c) => [c.name.toLowerCase(), c.id]),
  );
  const pairs: [string, string][] = [];
  const matched: [string, string][] = [];
  const domains: (typeof customerOrgDomains.$inferInsert)[] = [];
  const rows: PgInsertValue<typeof customerOrgs>[] = [];
  for (const { value: c } of fresh) {
    const hit = existing.get(c.name.toLowerCase());
    if (hit) {
      matched.push([c.id, hit]);
      ctx.tally.add("customer_org", "matched");
      continue;
    }
    const id = randomUUID();
    existing.set(c.name.toLowerCase(), id);
    rows.push({
      orgId: ctx.space.orgId,
      id,
      name: c.name,
      notes: c.notes,
      createdAt: ts(c.created_at)!,
      updatedAt: ts(c.updated_at)!,
    });
    for (const d of c.domains) domains.push({ orgId: ctx.space.orgId, domain: d.toLowerCase(), customerOrgId: id });
    pairs.push([c.id, id]);
    ctx.tally.add("customer_org", "imported");
  }
  if (rows.length) await tx.insert(customerOrgs).values(rows);
  if (domains.length) {
    const kept = await tx
      .insert(customerOrgDomains)
      .values(domains)
      .onConflictDoNothing()
      .returning({ d: customerOrgDomains.domain });
    if (kept.length < domains.length)
      ctx.tally.note("customer_org", "domain already another company's: left there", domains.length - kept.length);
  }
  await recordIds(tx, ctx.space, "customer_org", [...pairs, ...matched]);
  await imported(tx, ctx, "customer_org", pairs);
}

/**
 * A customer's linked company (decision 062), set on the imported user when it has none: a user
 * matched to one the org already had keeps its own link, as it keeps its role and password.
 */
export async function writeUserCompanies(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const parsed = parseRows(ctx, "user_company", recs, ZUserCompanyRow);
  const { people, companies } = await refs(tx, ctx, {
    people: ["user", parsed.map((p) => p.value.user_id)],
    companies: ["customer_org", parsed.map((p) => p.value.customer_org_id)],
  });
  for (const p of parsed) {
    const userId = people.get(p.value.user_id);
    const companyId = companies.get(p.value.customer_org_id);
    if (!userId || !companyId) {
      skipRow(ctx, "user_company", p, "its user or company was not imported");
      continue;
    }
    const r = await tx
      .update(users)
      .set({ customerOrgId: companyId })
      .where(and(eq(users.orgId, ctx.space.orgId), eq(users.id, userId), sql`${users.customerOrgId} is null`))
      .returning({ id: users.id });
    ctx.tally.add("user_company", r.length ? "imported" : "existing");
  }
}

export async function writeCustomerNotes(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const fresh = await freshRows(
    tx,
    ctx,
    "customer_note",
    parseRows(ctx, "customer_note", recs, ZCustomerNoteRow),
    (v) => v.id,
  );
  if (!fresh.length) return;
  const { people } = await refs(tx, ctx, {
    people: ["user", fresh.flatMap((p) => [p.value.customer_id, p.value.author_id])],
  });
  const rows: PgInsertValue<typeof customerNotes>[] = [];
  const pairs: [string, string][] = [];
  for (const p of fresh) {
    const customerId = people.get(p.value.customer_id);
    if (!customerId) {
      skipRow(ctx, "customer_note", p, "its customer was not imported");
      continue;
    }
    const id = randomUUID();
    rows.push({
      orgId: ctx.space.orgId,
      id,
      customerId,
      authorId: (p.value.author_id && people.get(p.value.author_id)) || null,
      body: p.value.body,
      createdAt: ts(p.value.created_at)!,
    });
    pairs.push([p.value.id, id]);
    ctx.tally.add("customer_note", "imported");
  }
  if (rows.length) await tx.insert(customerNotes).values(rows);
  await recordIds(tx, ctx.space, "customer_note", pairs);
}

/** Groups (teams); a group of the same name takes the record. */
export async function writeGroups(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const fresh = await freshRows(tx, ctx, "group", parseRows(ctx, "group", recs, ZGroupRow), (v) => v.id);
  if (!fresh.length) return;
  const existing = new Map(
    (
      await tx
        .select({ id: groups.id, name: groups.name })
        .from(groups)
        .where(
          and(
            eq(groups.orgId, ctx.space.orgId),
            inArray(
              sql`lower(${groups.name})`,
              fresh.map((p) => p.value.name.toLowerCase()),
            ),
          ),
        )
    ).map((g) => [g.name.toLowerCase(), g.id]),
  );
  const rows: PgInsertValue<typeof groups>[] = [];
  const pairs: [string, string][] = [];
  const matched: [string, string][] = [];
  for (const { value: g } of fresh) {
    const hit = existing.get(g.name.toLowerCase());
    if (hit) {
      matched.push([g.id, hit]);
      ctx.tally.add("group", "matched");
      continue;
    }
    const id = randomUUID();
    existing.set(g.name.toLowerCase(), id);
    rows.push({ orgId: ctx.space.orgId, id, name: g.name, createdAt: ts(g.created_at)!, updatedAt: ts(g.updated_at)! });
    pairs.push([g.id, id]);
    ctx.tally.add("group", "imported");
  }
  if (rows.length) await tx.insert(groups).values(rows);
  await recordIds(tx, ctx.space, "group", [...pairs, ...matched]);
  await imported(tx, ctx, "group", pairs);
}

/** Memberships are keyed by their pair, so a rerun's copy is a no-op (counted as already there). */
export async function writeGroupMembers(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const parsed = parseRows(ctx, "group_member", recs, ZGroupMemberRow);
  const { teams, people } = await refs(tx, ctx, {
    teams: ["group", parsed.map((p) => p.value.group_id)],
    people: ["user", parsed.map((p) => p.value.user_id)],
  });
  const rows: (typeof groupMembers.$inferInsert)[] = [];
  for (const p of parsed) {
    const groupId = teams.get(p.value.group_id);
    const userId = people.get(p.value.user_id);
    if (!groupId || !userId) skipRow(ctx, "group_member", p, "its group or user was not imported");
    else rows.push({ orgId: ctx.space.orgId, groupId, userId, away: p.value.away });
  }
  if (!rows.length) return;
  const written = await tx
    .insert(groupMembers)
    .values(rows)
    .onConflictDoNothing()
    .returning({ g: groupMembers.groupId });
  ctx.tally.add("group_member", "imported", written.length);
  ctx.tally.add("group_member", "existing", rows.length - written.length);
}

/** Custom field definitions; a field with the same key takes the record (its definition is kept as it is). */
export async function writeTicketFields(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const fresh = await freshRows(
    tx,
    ctx,
    "ticket_field",
    parseRows(ctx, "ticket_field", recs, ZTicketFieldRow),
    (v) => v.id,
  );
  if (!fresh.length) return;
  const existing = new Map(
    (
      await tx
        .select({ id: ticketFields.id, key: ticketFields.key, type: ticketFields.type })
        .from(ticketFields)
        .where(
          and(
            eq(ticketFields.orgId, ctx.space.orgId),
            inArray(
              ticketFields.key,
              fresh.map((p) => p.value.key),
            ),
          ),
        )
    ).map((f) => [f.key, f]),
  );
  const rows: PgInsertValue<typeof ticketFields>[] = [];
  const pairs: [string, string][] = [];
  const matched: [string, string][] = [];
  for (const { value: f } of fresh) {
    const hit = existing.get(f.key);
    if (hit) {
      if (hit.type !== f.type)
        ctx.tally.note("ticket_field", "a field with the same key but another type was kept as it is");
      matched.push([f.id, hit.id]);
      ctx.tally.add("ticket_field", "matched");
      continue;
    }
    const id = randomUUID();
    existing.set(f.key, { id, key: f.key, type: f.type });
    rows.push({
      orgId: ctx.space.orgId,
      id,
      key: f.key,
      label: f.label,
      type: f.type,
      options: f.options,
      requiredOnCreate: f.required_on_create,
      requiredOnSolve: f.required_on_solve,
      customerVisible: f.customer_visible,
      customerEditable: f.customer_editable,
      position: f.position,
      createdAt: ts(f.created_at)!,
      updatedAt: ts(f.updated_at)!,
    });
    pairs.push([f.id, id]);
    ctx.tally.add("ticket_field", "imported");
  }
  if (rows.length) await tx.insert(ticketFields).values(rows);
  await recordIds(tx, ctx.space, "ticket_field", [...pairs, ...matched]);
  await imported(tx, ctx, "ticket_field", pairs);
}
