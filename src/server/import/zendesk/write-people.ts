import "server-only";
import type { Role } from "../../db/schema/enums";
import type { Tx } from "../../db/tenant";
import { parseRecords, unmappedRecords, type BatchContext, type BatchRecord } from "../batch";
import { insertCustomerOrgs, insertUsers, personName, placeholderEmail, usableEmail } from "../people";
import { mappedIds } from "../id-map";
import type { Tally } from "../import-run";
import { ZZendeskOrganization, ZZendeskUser, type ZendeskUser } from "./shapes";

/**
 * Zendesk organizations become customer companies with their email domains. A company with the
 * same name already in Beacon takes the record (matched), so a second source cannot fork it.
 */
export async function writeOrganizations(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const fresh = await unmappedRecords(
    tx,
    ctx,
    "organization",
    parseRecords(ctx, "organization", recs, ZZendeskOrganization),
  );
  await insertCustomerOrgs(
    tx,
    ctx,
    "organization",
    fresh.map(({ value: o }) => ({
      sourceId: o.id,
      name: o.name,
      notes: [o.details, o.notes].filter(Boolean).join("\n\n"),
      createdAt: o.created_at ?? undefined,
      domains: o.domain_names ?? [],
    })),
  );
}

/**
 * Zendesk users become Beacon users without a password (they sign in after a reset or an invite).
 * Agents and admins both become agents: admin rights are a Beacon admin's to give, not an export's.
 * A user whose email is already in the org is matched to that user, whose role is left alone.
 */
export async function writeUsers(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const { tally } = ctx;
  const fresh = await unmappedRecords(tx, ctx, "user", parseRecords(ctx, "user", recs, ZZendeskUser));
  // An end user's organization_id names a company of the organizations file, imported before the users.
  const refs = fresh.flatMap(({ value: u }) => (u.organization_id && u.role === "end-user" ? [u.organization_id] : []));
  const companies = refs.length ? await mappedIds(tx, ctx.space, "organization", refs) : new Map<string, string>();
  const rows = fresh.map(({ value: u }) => {
    const email = usableEmail(u.email);
    if (!email) tally.note("user", "no usable email: given a placeholder address");
    const role: Role = u.role === "end-user" ? "customer" : "agent";
    return {
      sourceId: u.id,
      email: email ?? placeholderEmail("zendesk", u.id),
      name: personName("zendesk", u.id, u.name, email),
      role,
      createdAt: u.created_at ?? undefined,
      blockedAt: u.suspended ? (u.updated_at ?? new Date()) : null,
      customerOrgId: companyOf(u, companies, tally),
    };
  });
  const made = await insertUsers(tx, ctx, rows);
  for (const r of rows) tally.add("user", made.get(r.sourceId)!.fresh ? "imported" : "matched");
}

/** A customer's linked company: staff belong to the team, not to a customer company. */
function companyOf(u: ZendeskUser, companies: Map<string, string>, tally: Tally): string | null {
  if (!u.organization_id || u.role !== "end-user") return null;
  const id = companies.get(u.organization_id);
  if (!id) tally.note("user", "organization not in the export: not linked to one");
  return id ?? null;
}
