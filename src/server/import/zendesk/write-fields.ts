import "server-only";
import type { FieldType } from "../../db/schema/workspace";
import type { Tx } from "../../db/tenant";
import { unmappedRecords, type BatchContext, type BatchRecord } from "../batch";
import { insertTicketFields } from "../fields";
import { describeIssues, idOf } from "../record-shape";
import { ZZendeskTicketField, type ZendeskTicketField } from "./shapes";

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
 * zendesk_<id>, so the tickets' values have somewhere to go (insertTicketFields).
 */
export async function writeTicketFields(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const { tally, file } = ctx;
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
  const fresh = await unmappedRecords(tx, ctx, "ticket_field", parsed);
  await insertTicketFields(
    tx,
    ctx,
    fresh.map(({ rec, value: f }) => ({
      sourceId: f.id,
      record: rec.index,
      key: zendeskFieldKey(f.id),
      label: f.title,
      type: FIELD_TYPE[f.type]!,
      options: (f.custom_field_options ?? []).map((o) => o.value),
      position: f.position ?? 0,
    })),
  );
}
