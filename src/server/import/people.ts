import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import { customerOrgDomains, customerOrgs } from "../db/schema/customers";
import { users } from "../db/schema/users";
import type { Role } from "../db/schema/enums";
import type { ImportSourceKind } from "../db/schema/imports";
import type { Tx } from "../db/tenant";
import type { AuditInput } from "../audit/record-audit";
import { auditImported, type BatchContext } from "./batch";
import { mappedIds, recordIds } from "./id-map";
import { clean, clip } from "./record-shape";

// People and companies as every importer writes them (decision 053): password-less users matched
// by email, placeholders for people the export names but does not describe, companies matched by name.

export const EMAIL = /^[^\s@<>,;"]{1,200}@[^\s@<>,;"]{1,200}\.[^\s@<>,;"]{2,}$/;

/** An address for a person the source knows no email of: unique per source id, and in a TLD that never receives mail. */
export const PLACEHOLDER_DOMAIN = "import.invalid";
export const placeholderEmail = (kind: ImportSourceKind, sourceId: string) =>
  `${kind}-user-${sourceId}@${PLACEHOLDER_DOMAIN}`;

const SOURCE_LABEL: Record<ImportSourceKind, string> = {
  zendesk: "Zendesk",
  freshdesk: "Freshdesk",
  csv: "CSV",
  beacon: "Beacon",
};
/** "Zendesk user 42": the name of a person the source gave no name. */
export const sourceUserName = (kind: ImportSourceKind, sourceId: string) => `${SOURCE_LABEL[kind]} user ${sourceId}`;

/** A usable email, lower-cased, or null. */
export const usableEmail = (s: string | null | undefined) =>
  s && EMAIL.test(s.trim()) ? s.trim().toLowerCase() : null;

/** A user's display name: the source's, else the email's local part, else "Zendesk user 42". */
export const personName = (
  kind: ImportSourceKind,
  sourceId: string,
  name: string | null | undefined,
  email: string | null,
) => clip(clean(name ?? "").trim() || email?.split("@")[0] || sourceUserName(kind, sourceId), 200);

export type NewUser = {
  sourceId: string;
  email: string;
  name: string;
  role: Role;
  createdAt?: Date;
  blockedAt?: Date | null;
  /** The customer's company, when the source linked one (decision 062): kept for a new user, a matched one is left as it is. */
  customerOrgId?: string | null;
};
export type Person = { id: string; role: Role };

/** Inserts users (an email the org has already is matched instead), maps them and audits the new ones. */
export async function insertUsers(
  tx: Tx,
  ctx: BatchContext,
  rows: NewUser[],
): Promise<Map<string, Person & { fresh: boolean }>> {
  const { space } = ctx;
  const out = new Map<string, Person & { fresh: boolean }>();
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
        action: "user.imported",
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
 * the source, or an export without users) gets a new user from `unknown` (by default a placeholder
 * customer), mapped like any user, so the ticket keeps who wrote what; the report counts them.
 */
export async function resolveUsers(
  tx: Tx,
  ctx: BatchContext,
  sourceIds: Iterable<string>,
  unknown: (sourceId: string) => NewUser = (s) => ({
    sourceId: s,
    email: placeholderEmail(ctx.space.sourceKind, s),
    name: sourceUserName(ctx.space.sourceKind, s),
    role: "customer",
  }),
  note = "named by tickets but not in the export: placeholder created",
): Promise<Map<string, Person>> {
  const ids = [...new Set(sourceIds)];
  const known = await mappedIds(tx, ctx.space, "user", ids);
  const out = new Map<string, Person>();
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
    ctx.tally.note("user", note, missing.length);
    const made = await insertUsers(tx, ctx, missing.map(unknown));
    for (const [s, u] of made) out.set(s, { id: u.id, role: u.role });
  }
  return out;
}

export type NewCustomerOrg = { sourceId: string; name: string; notes: string; createdAt?: Date; domains: string[] };

/**
 * Customer companies with their email domains. A company with the same name already in Beacon
 * takes the record (matched), so a second source cannot fork it; a domain another company has
 * stays with it (one domain, one company).
 */
export async function insertCustomerOrgs(
  tx: Tx,
  ctx: BatchContext,
  type: string,
  rows: NewCustomerOrg[],
): Promise<void> {
  const { space, tally } = ctx;
  if (!rows.length) return;
  const inserted = await tx
    .insert(customerOrgs)
    .values(rows.map((o) => ({ orgId: space.orgId, name: o.name, notes: clean(o.notes), createdAt: o.createdAt })))
    .onConflictDoNothing()
    .returning({ id: customerOrgs.id, name: customerOrgs.name });
  const byName = new Map(inserted.map((r) => [r.name.toLowerCase(), { id: r.id, fresh: true }]));
  const missing = rows.map((o) => o.name.toLowerCase()).filter((n) => !byName.has(n));
  if (missing.length) {
    const found = await tx
      .select({ id: customerOrgs.id, name: customerOrgs.name })
      .from(customerOrgs)
      .where(and(eq(customerOrgs.orgId, space.orgId), inArray(sql`lower(${customerOrgs.name})`, missing)));
    for (const r of found) byName.set(r.name.toLowerCase(), { id: r.id, fresh: false });
  }
  const pairs: [string, string][] = [];
  const domains: { orgId: string; domain: string; customerOrgId: string }[] = [];
  const audits: AuditInput[] = [];
  for (const o of rows) {
    const hit = byName.get(o.name.toLowerCase())!;
    pairs.push([o.sourceId, hit.id]);
    tally.add(type, hit.fresh ? "imported" : "matched");
    for (const d of o.domains) if (d) domains.push({ orgId: space.orgId, domain: d, customerOrgId: hit.id });
    if (hit.fresh)
      audits.push({
        action: "customer_org.imported",
        entityType: "customer_org",
        entityId: hit.id,
        data: { importId: space.importId, source: space.sourceKind, sourceId: o.sourceId, name: o.name },
      });
  }
  await auditImported(tx, ctx.actor, audits);
  if (domains.length) await tx.insert(customerOrgDomains).values(domains).onConflictDoNothing();
  await recordIds(tx, space, "organization", pairs);
}
