import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import { ticketFields, type FieldType } from "../db/schema/workspace";
import type { CustomFieldValues } from "../db/schema/tickets";
import type { Tx } from "../db/tenant";
import type { AuditInput } from "../audit/record-audit";
import { valueSchema } from "../fields/custom-values";
import { MAX_FIELDS, MAX_OPTIONS } from "../fields/schemas";
import { auditImported, type BatchContext } from "./batch";
import { mappedIds, recordIds } from "./id-map";
import { clip } from "./record-shape";

export type FieldDef = { key: string; type: FieldType; options: string[] };
export type NewField = {
  sourceId: string;
  record: number;
  key: string;
  label: string;
  type: FieldType;
  options: string[];
  position: number;
};

/**
 * Custom fields from a source's field definitions, so the tickets' values have somewhere to go. A
 * field with the same key already in the org takes the record (matched). Fields are optional and
 * staff-only as imported: an admin decides what customers see and what is required.
 */
export async function insertTicketFields(tx: Tx, ctx: BatchContext, fields: NewField[]): Promise<void> {
  const { space, tally, file } = ctx;
  if (!fields.length) return;
  const [{ n }] = (
    await tx.execute<{ n: number }>(sql`select count(*)::int as n from ticket_fields where org_id = ${space.orgId}`)
  ).rows as [{ n: number }];
  let room = MAX_FIELDS - n;
  const rows: (typeof ticketFields.$inferInsert & { sourceId: string })[] = [];
  for (const f of fields) {
    const choice = f.type === "dropdown" || f.type === "multiselect";
    const options = [...new Set(f.options.map((o) => o.trim()).filter((v) => v && v.length <= 100))].slice(
      0,
      MAX_OPTIONS,
    );
    const at = { sourceId: f.sourceId, file, record: f.record };
    if (choice && !options.length) tally.skip("ticket_field", at, "a choice field without options");
    else if (room <= 0) tally.skip("ticket_field", at, `the org has ${MAX_FIELDS} custom fields`);
    else {
      room--;
      rows.push({
        sourceId: f.sourceId,
        orgId: space.orgId,
        key: f.key,
        label: clip(f.label, 100),
        type: f.type,
        options: choice ? options : [],
        position: f.position,
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

/** The Beacon definitions of the source fields (by source field id) that a batch's tickets carry values for. */
export async function mappedFieldDefs(tx: Tx, ctx: BatchContext, ids: string[]): Promise<Map<string, FieldDef>> {
  const mapped = await mappedIds(tx, ctx.space, "ticket_field", ids);
  if (!mapped.size) return new Map();
  const defs = await tx
    .select({ id: ticketFields.id, key: ticketFields.key, type: ticketFields.type, options: ticketFields.options })
    .from(ticketFields)
    .where(and(eq(ticketFields.orgId, ctx.space.orgId), inArray(ticketFields.id, [...new Set(mapped.values())])));
  const byId = new Map(defs.map((d) => [d.id, d]));
  const out = new Map<string, FieldDef>();
  for (const [s, id] of mapped) if (byId.has(id)) out.set(s, byId.get(id)!);
  return out;
}

/** The org's field definitions by Beacon key (a CSV mapping names Beacon fields directly). */
export async function fieldDefsByKey(tx: Tx, orgId: string, keys: string[]): Promise<Map<string, FieldDef>> {
  if (!keys.length) return new Map();
  const defs = await tx
    .select({ key: ticketFields.key, type: ticketFields.type, options: ticketFields.options })
    .from(ticketFields)
    .where(and(eq(ticketFields.orgId, orgId), inArray(ticketFields.key, [...new Set(keys)])));
  return new Map(defs.map((d) => [d.key, d]));
}

/**
 * A ticket's custom field values under Beacon's rules for each field (sources write numbers as
 * strings); a value without a field, or one its field does not take, is returned as left over, to
 * be kept in the ticket's audit event.
 */
export function fieldValues(
  ctx: BatchContext,
  fields: { id: string; value: unknown }[],
  defs: Map<string, FieldDef>,
): { values: CustomFieldValues; leftOver: { id: string; value: unknown }[] } {
  const values: CustomFieldValues = {};
  const leftOver: { id: string; value: unknown }[] = [];
  for (const f of fields) {
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
