import "server-only";
import type { FieldType } from "../../db/schema/workspace";
import type { Tx } from "../../db/tenant";
import { parseRecords, unmappedRecords, type BatchContext, type BatchRecord } from "../batch";
import { insertTicketFields } from "../fields";
import { ZFreshdeskTicketField } from "./shapes";

/** Freshdesk custom field types and the Beacon field type that holds their values. */
const FIELD_TYPE: Record<string, FieldType> = {
  custom_text: "text",
  custom_paragraph: "textarea",
  custom_number: "integer",
  custom_decimal: "decimal",
  custom_date: "date",
  custom_checkbox: "checkbox",
  custom_dropdown: "dropdown",
};

/** The Beacon key of a Freshdesk field (cf_order_number → freshdesk_order_number): stable, so a second import finds it. */
export const freshdeskFieldKey = (name: string) =>
  `freshdesk_${name
    .replace(/^cf_/, "")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")}`.slice(0, 40);

/**
 * Freshdesk's custom ticket fields become Beacon custom fields keyed freshdesk_<name>. A field's
 * source id is its name (cf_…), the key its tickets' custom_fields use. Default fields (status,
 * priority, group …) go to Beacon's own columns; types Beacon lacks are skipped with why.
 */
export async function writeTicketFields(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const { tally, file } = ctx;
  const parsed = parseRecords(ctx, "ticket_field", recs, ZFreshdeskTicketField).filter(({ rec, value: f }) => {
    const at = { sourceId: f.name, file, record: rec.index };
    if (f.default || f.type.startsWith("default_"))
      tally.skip("ticket_field", at, "a Freshdesk default field (imported into Beacon's own columns)", f.label);
    else if (!FIELD_TYPE[f.type])
      tally.skip("ticket_field", at, "a field type Beacon does not have", `${f.label}: ${f.type}`);
    else return true;
    return false;
  });
  const fresh = await unmappedRecords(
    tx,
    ctx,
    "ticket_field",
    parsed.map((p) => ({ rec: p.rec, value: { ...p.value, id: p.value.name } })),
  );
  await insertTicketFields(
    tx,
    ctx,
    fresh.map(({ rec, value: f }) => ({
      sourceId: f.name,
      record: rec.index,
      key: freshdeskFieldKey(f.name),
      label: f.label,
      type: FIELD_TYPE[f.type]!,
      options: f.choices ?? [],
      position: f.position ?? 0,
    })),
  );
}
