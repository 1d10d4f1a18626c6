import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import { ticketFields, type FieldType } from "../../db/schema/workspace";
import type { CustomFieldValues } from "../../db/schema/tickets";
import type { Tx } from "../../db/tenant";
import type { AuditInput } from "../../audit/record-audit";
import { valueSchema } from "../../fields/custom-values";
import { MAX_FIELDS, MAX_OPTIONS } from "../../fields/schemas";
import { auditImported, firstOfEach, type BatchContext, type BatchRecord } from "../batch";
import { mappedIds, recordIds } from "../id-map";
import { idOf } from "./write-people";
import { describeIssues, ZZendeskTicketField, type ZendeskTicket, type ZendeskTicketField } from "./shapes";

/** Zendesk custom field types and the Beacon field type that holds their values (a tagger's values are its options' tags). */
const FIELD_TYPE: Record<string, FieldType> = {
  text: "text",
  textarea: "textarea",
  integer: "integer",
  decimal: "decimal",
  date: "date",
  checkbox: "checkbox",
  tagger: "dropdown",
  multiselect: "multiselect",
  regexp: "text",
};
/** Ticket fields every Zendesk account has; the importer maps them to Beacon's own columns. */
const SYSTEM = new Set([
  "subject",
  "description",
  "status",
  "tickettype",
  "priority",
  "group",
  "assignee",
  "custom_status",
  "basic_priority",
]);

/** The Beacon key of a Zendesk field: stable, so a second import (or a second account's) finds it. */
export const zendeskFieldKey = (id: string) => `zendesk_${id}`;

/**
 * Zendesk's custom ticket fields (ticket_fields.json) become Beacon custom fields keyed
 * zendesk_<id>, so the tickets' values have somewhere to go. A field with that key already in the
 * org takes the record (matched). Fields are optional and staff-only as imported: an admin decides
 * what customers see and what is required.
 */
export async function writeTicketFields(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const { space, tally, file } = ctx;
  const parsed: { rec: BatchRecord; value: ZendeskTicketField }[] = [];
  for (const rec of recs) {
    const at = { sourceId: idOf(rec.value), file, record: rec.index };
    const r = ZZendeskTicketField.safeParse(rec.value);
    if (!r.success) tally.skip("ticket_field", at, describeIssues(r.error).reason, describeIssues(r.error).detail);
    else if (SYSTEM.has(r.data.type))
      tally.skip(
        "ticket_field",
        at,
        "a Zendesk system field (imported into Beacon's own columns)",
        `${r.data.title} (${r.data.type})`,
      );
    else if (!FIELD_TYPE[r.data.type])
      tally.skip("ticket_field", at, "a field type Beacon does not have", `${r.data.title}: ${r.data.type}`);
    else parsed.push({ rec, value: r.data });
  }
  const unique = firstOfEach(ctx, "ticket_field", parsed);
  const known = await mappedIds(
    tx,
    space,
    "ticket_field",
    unique.map((p) => p.value.id),
  );
  tally.add("ticket_field", "existing", known.size);
  const fresh = unique.filter((p) => !known.has(p.value.id));
  if (!fresh.length) return;
  const [{ n }] = (
    await tx.execute<{ n: number }>(sql`select count(*)::int as n from ticket_fields where org_id = ${space.orgId}`)
  ).rows as [{ n: number }];
  let room = MAX_FIELDS - n;
  const rows: (typeof ticketFields.$inferInsert & { sourceId: string })[] = [];
  for (const { rec, value: f } of fresh) {
    const type = FIELD_TYPE[f.type]!;
    const options = [
      ...new Set((f.custom_field_options ?? []).map((o) => o.value.trim()).filter((v) => v && v.length <= 100)),
    ].slice(0, MAX_OPTIONS);
    const at = { sourceId: f.id, file, record: rec.index };
    if ((type === "dropdown" || type === "multiselect") && !options.length)
      tally.skip("ticket_field", at, "a choice field without options");
    else if (room <= 0) tally.skip("ticket_field", at, `the org has ${MAX_FIELDS} custom fields`);
    else {
      room--;
      rows.push({
        sourceId: f.id,
        orgId: space.orgId,
        key: zendeskFieldKey(f.id),
        label: Array.from(f.title).slice(0, 100).join(""),
        type,
        options: type === "dropdown" || type === "multiselect" ? options : [],
        position: f.position ?? 0,
      });
    }
  }
  if (!rows.length) return;
  const inserted = await tx
    .insert(ticketFields)
    .values(rows.map(({ sourceId: _s, ...r }) => r))
    .onConflictDoNothing()
    .returning({ id: ticketFields.id, key: ticketFields.key });
  const byKey = new Map(inserted.map((r) => [r.key, { id: r.id, fresh: true }]));
  const missing = rows.map((r) => r.key).filter((k) => !byKey.has(k));
  if (missing.length) {
    for (const r of await tx
      .select({ id: ticketFields.id, key: ticketFields.key })
      .from(ticketFields)
      .where(and(eq(ticketFields.orgId, space.orgId), inArray(ticketFields.key, missing)))) {
      byKey.set(r.key, { id: r.id, fresh: false });
    }
  }
  const audits: AuditInput[] = [];
  for (const r of rows) {
    const hit = byKey.get(r.key)!;
    tally.add("ticket_field", hit.fresh ? "imported" : "matched");
    if (hit.fresh)
      audits.push({
        action: "ticket_field.imported",
        entityType: "ticket_field",
        entityId: hit.id,
        data: { importId: space.importId, source: space.sourceKind, sourceId: r.sourceId, key: r.key, type: r.type },
      });
  }
  await auditImported(tx, ctx.actor, audits);
  await recordIds(
    tx,
    space,
    "ticket_field",
    rows.map((r) => [r.sourceId, byKey.get(r.key)!.id] as const),
  );
}

type FieldDef = { key: string; type: FieldType; options: string[] };

/** The Beacon definitions of the Zendesk fields a batch's tickets carry values for, by Zendesk field id. */
export async function fieldDefsFor(
  tx: Tx,
  ctx: BatchContext,
  tickets: ZendeskTicket[],
): Promise<Map<string, FieldDef>> {
  const ids = tickets.flatMap((t) => (t.custom_fields ?? []).map((f) => f.id));
  const mapped = await mappedIds(tx, ctx.space, "ticket_field", ids);
  if (!mapped.size) return new Map();
  const defs = await tx
    .select({ id: ticketFields.id, key: ticketFields.key, type: ticketFields.type, options: ticketFields.options })
    .from(ticketFields)
    .where(and(eq(ticketFields.orgId, ctx.space.orgId), inArray(ticketFields.id, [...new Set(mapped.values())])));
  const byId = new Map(defs.map((d) => [d.id, d]));
  const out = new Map<string, FieldDef>();
  for (const [z, id] of mapped) if (byId.has(id)) out.set(z, byId.get(id)!);
  return out;
}

/**
 * A ticket's custom field values under Beacon's rules for each field (Zendesk writes numbers as
 * strings); a value without a field, or one its field does not take, is returned as left over, to
 * be kept in the ticket's audit event.
 */
export function ticketFieldValues(
  ctx: BatchContext,
  t: ZendeskTicket,
  defs: Map<string, FieldDef>,
): { values: CustomFieldValues; leftOver: { id: string; value: unknown }[] } {
  const values: CustomFieldValues = {};
  const leftOver: { id: string; value: unknown }[] = [];
  for (const f of t.custom_fields ?? []) {
    if (f.value === null || f.value === undefined || f.value === "" || (Array.isArray(f.value) && !f.value.length))
      continue;
    const def = defs.get(f.id);
    if (!def) {
      ctx.tally.note("ticket", "custom field value without a field definition in the export: kept in the audit event");
      leftOver.push(f);
      continue;
    }
    const raw =
      (def.type === "integer" || def.type === "decimal") &&
      typeof f.value === "string" &&
      /^-?\d+(\.\d+)?$/.test(f.value.trim())
        ? Number(f.value)
        : f.value;
    const r = valueSchema(def).safeParse(raw);
    if (r.success) values[def.key] = r.data as CustomFieldValues[string];
    else {
      ctx.tally.note("ticket", "custom field value its Beacon field does not take: kept in the audit event");
      leftOver.push(f);
    }
  }
  return { values, leftOver };
}
