import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import { customerOrgDomains, customerOrgs } from "../../db/schema/customers";
import { users } from "../../db/schema/users";
import type { Role } from "../../db/schema/enums";
import type { Tx } from "../../db/tenant";
import type { AuditInput } from "../../audit/record-audit";
import { auditImported, firstOfEach, type BatchContext, type BatchRecord } from "../batch";
import { mappedIds, recordIds } from "../id-map";
import { clean, describeIssues, ZZendeskOrganization, ZZendeskUser, type ZendeskUser } from "./shapes";

const EMAIL = /^[^\s@<>,;"]{1,200}@[^\s@<>,;"]{1,200}\.[^\s@<>,;"]{2,}$/;

/** An address for a person the source knows no email of: unique per source id, and in a TLD that never receives mail. */
export const PLACEHOLDER_DOMAIN = "import.invalid";
export const placeholderEmail = (sourceId: string) => `zendesk-user-${sourceId}@${PLACEHOLDER_DOMAIN}`;

/**
 * Zendesk organizations become customer companies with their email domains. A company with the
 * same name already in Beacon takes the record (matched), so a second source cannot fork it.
 */
export async function writeOrganizations(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const { space, tally, file } = ctx;
  const parsed = [];
  for (const rec of recs) {
    const r = ZZendeskOrganization.safeParse(rec.value);
    if (r.success) parsed.push({ rec, value: r.data });
    else
      tally.skip(
        "organization",
        { sourceId: idOf(rec.value), file, record: rec.index },
        describeIssues(r.error).reason,
        describeIssues(r.error).detail,
      );
  }
  const unique = firstOfEach(ctx, "organization", parsed);
  const known = await mappedIds(
    tx,
    space,
    "organization",
    unique.map((p) => p.value.id),
  );
  tally.add("organization", "existing", known.size);
  const fresh = unique.filter((p) => !known.has(p.value.id));
  if (!fresh.length) return;
  const inserted = await tx
    .insert(customerOrgs)
    .values(
      fresh.map(({ value: o }) => ({
        orgId: space.orgId,
        name: o.name,
        notes: clean([o.details, o.notes].filter(Boolean).join("\n\n")),
        createdAt: o.created_at ?? undefined,
      })),
    )
    .onConflictDoNothing()
    .returning({ id: customerOrgs.id, name: customerOrgs.name });
  const byName = new Map(inserted.map((r) => [r.name.toLowerCase(), { id: r.id, fresh: true }]));
  const missing = fresh.map((p) => p.value.name.toLowerCase()).filter((n) => !byName.has(n));
  if (missing.length) {
    const rows = await tx
      .select({ id: customerOrgs.id, name: customerOrgs.name })
      .from(customerOrgs)
      .where(and(eq(customerOrgs.orgId, space.orgId), inArray(sql`lower(${customerOrgs.name})`, missing)));
    for (const r of rows) byName.set(r.name.toLowerCase(), { id: r.id, fresh: false });
  }
  const pairs: [string, string][] = [];
  const domains: { orgId: string; domain: string; customerOrgId: string }[] = [];
  const audits: AuditInput[] = [];
  for (const { value: o } of fresh) {
    const hit = byName.get(o.name.toLowerCase())!;
    pairs.push([o.id, hit.id]);
    tally.add("organization", hit.fresh ? "imported" : "matched");
    for (const d of o.domain_names ?? []) if (d) domains.push({ orgId: space.orgId, domain: d, customerOrgId: hit.id });
    if (hit.fresh)
      audits.push({
        action: "customer_org.imported",
        entityType: "customer_org",
        entityId: hit.id,
        data: { importId: space.importId, source: space.sourceKind, sourceId: o.id, name: o.name },
      });
  }
  await auditImported(tx, ctx.actor, audits);
  // A domain another company already has stays with it (one domain, one company).
  if (domains.length) await tx.insert(customerOrgDomains).values(domains).onConflictDoNothing();
  await recordIds(tx, space, "organization", pairs);
}

/**
 * Zendesk users become Beacon users without a password (they sign in after a reset or an invite).
 * Agents and admins both become agents: admin rights are a Beacon admin's to give, not an export's.
 * A user whose email is already in the org is matched to that user, whose role is left alone.
 */
export async function writeUsers(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const { space, tally, file } = ctx;
  const parsed: { rec: BatchRecord; value: ZendeskUser }[] = [];
  for (const rec of recs) {
    const r = ZZendeskUser.safeParse(rec.value);
    if (r.success) parsed.push({ rec, value: r.data });
    else
      tally.skip(
        "user",
        { sourceId: idOf(rec.value), file, record: rec.index },
        describeIssues(r.error).reason,
        describeIssues(r.error).detail,
      );
  }
  const unique = firstOfEach(ctx, "user", parsed);
  const known = await mappedIds(
    tx,
    space,
    "user",
    unique.map((p) => p.value.id),
  );
  tally.add("user", "existing", known.size);
  const fresh = unique.filter((p) => !known.has(p.value.id)).map((p) => p.value);
  const rows = fresh.map((u) => {
    const email = u.email && EMAIL.test(u.email) ? u.email.toLowerCase() : null;
    if (!email) tally.note("user", "no usable email: given a placeholder address");
    const role: Role = u.role === "end-user" ? "customer" : "agent";
    return {
      sourceId: u.id,
      email: email ?? placeholderEmail(u.id),
      name: Array.from(clean(u.name ?? "").trim() || email?.split("@")[0] || `Zendesk user ${u.id}`)
        .slice(0, 200)
        .join(""),
      role,
      createdAt: u.created_at ?? undefined,
      blockedAt: u.suspended ? (u.updated_at ?? new Date()) : null,
    };
  });
  const made = await insertUsers(tx, ctx, rows, "user.imported");
  for (const r of rows) tally.add("user", made.get(r.sourceId)!.fresh ? "imported" : "matched");
}

type NewUser = { sourceId: string; email: string; name: string; role: Role; createdAt?: Date; blockedAt?: Date | null };

/** Inserts users (an email the org has already is matched instead), maps them and audits the new ones. */
async function insertUsers(
  tx: Tx,
  ctx: BatchContext,
  rows: NewUser[],
  action: string,
): Promise<Map<string, { id: string; role: Role; fresh: boolean }>> {
  const { space } = ctx;
  const out = new Map<string, { id: string; role: Role; fresh: boolean }>();
  if (!rows.length) return out;
  const inserted = await tx
    .insert(users)
    .values(rows.map(({ sourceId: _s, ...u }) => ({ orgId: space.orgId, ...u })))
    .onConflictDoNothing()
    .returning({ id: users.id, email: users.email, role: users.role });
  const byEmail = new Map(inserted.map((r) => [r.email.toLowerCase(), { id: r.id, role: r.role, fresh: true }]));
  const missing = rows.map((r) => r.email.toLowerCase()).filter((e) => !byEmail.has(e));
  if (missing.length) {
    const found = await tx
      .select({ id: users.id, email: users.email, role: users.role })
      .from(users)
      .where(and(eq(users.orgId, space.orgId), inArray(sql`lower(${users.email})`, missing)));
    for (const r of found) byEmail.set(r.email.toLowerCase(), { id: r.id, role: r.role, fresh: false });
  }
  const seen = new Set<string>();
  const audits: AuditInput[] = [];
  for (const r of rows) {
    const hit = byEmail.get(r.email.toLowerCase())!;
    // Two source users with one email: the first is imported, the second matched to it.
    const fresh = hit.fresh && !seen.has(hit.id);
    seen.add(hit.id);
    out.set(r.sourceId, { ...hit, fresh });
    if (fresh)
      audits.push({
        action,
        entityType: "user",
        entityId: hit.id,
        data: { importId: space.importId, source: space.sourceKind, sourceId: r.sourceId, role: r.role },
      });
  }
  await auditImported(tx, ctx.actor, audits);
  await recordIds(
    tx,
    space,
    "user",
    rows.map((r) => [r.sourceId, out.get(r.sourceId)!.id] as const),
  );
  return out;
}

/**
 * The Beacon users for source user ids a ticket names. An id no users file had (a user deleted in
 * Zendesk, or an export without users) gets a placeholder customer, mapped like any user, so the
 * ticket keeps who wrote what; the report counts them.
 */
export async function resolveUsers(
  tx: Tx,
  ctx: BatchContext,
  sourceIds: Iterable<string>,
): Promise<Map<string, { id: string; role: Role }>> {
  const ids = [...new Set(sourceIds)];
  const known = await mappedIds(tx, ctx.space, "user", ids);
  const out = new Map<string, { id: string; role: Role }>();
  if (known.size) {
    const rows = await tx
      .select({ id: users.id, role: users.role })
      .from(users)
      .where(and(eq(users.orgId, ctx.space.orgId), inArray(users.id, [...new Set(known.values())])));
    const roles = new Map(rows.map((r) => [r.id, r.role]));
    for (const [s, id] of known) if (roles.has(id)) out.set(s, { id, role: roles.get(id)! });
  }
  const missing = ids.filter((s) => !known.has(s));
  if (missing.length) {
    ctx.tally.note("user", "named by tickets but not in the export: placeholder created", missing.length);
    const made = await insertUsers(
      tx,
      ctx,
      missing.map((s) => ({ sourceId: s, email: placeholderEmail(s), name: `Zendesk user ${s}`, role: "customer" })),
      "user.imported",
    );
    for (const [s, u] of made) out.set(s, { id: u.id, role: u.role });
  }
  return out;
}

export function idOf(value: unknown): string | null {
  const id = value && typeof value === "object" ? (value as { id?: unknown }).id : undefined;
  return typeof id === "number" || typeof id === "string" ? String(id).slice(0, 40) : null;
}
