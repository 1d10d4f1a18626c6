import "server-only";
import { asc, sql, type SQL } from "drizzle-orm";
import { z, type ZodType } from "zod";
import { AppError } from "../core/errors";
import type { Principal } from "../core/principal";
import type { Tx } from "../db/tenant";
import { tickets, type CustomFieldValues } from "../db/schema/tickets";
import { ticketFields } from "../db/schema/workspace";
import { isStaff } from "../authz/permissions";
import type { CustomFieldsInput } from "./schemas";

// Values of custom ticket fields: checked against the org's definitions on every ticket write,
// filtered by who reads them, and turned into the containment test of ?cf.<key>= (decision 050).

export type FieldDef = typeof ticketFields.$inferSelect;
type Values = CustomFieldValues;
type Issue = { in: "body" | "query"; path: string; message: string };

/** The org's field definitions in display order (row-level security scopes the org). */
export async function loadFieldDefs(tx: Tx): Promise<FieldDef[]> {
  return tx.select().from(ticketFields).orderBy(asc(ticketFields.position), asc(ticketFields.key));
}

/** The zod schema of one field's value (null, which clears it, is handled by the caller). */
export function valueSchema(def: Pick<FieldDef, "type" | "options">): ZodType<unknown> {
  switch (def.type) {
    case "text":
      return z.string().trim().min(1, { message: "must not be empty (send null to clear it)" }).max(1000);
    case "textarea":
      return z.string().trim().min(1, { message: "must not be empty (send null to clear it)" }).max(10_000);
    case "integer":
      return z
        .number({ message: "must be a whole number" })
        .int({ message: "must be a whole number" })
        .min(Number.MIN_SAFE_INTEGER)
        .max(Number.MAX_SAFE_INTEGER);
    case "decimal":
      return z.number({ message: "must be a number" }).finite();
    case "date":
      return z.iso.date({ message: "must be a date, YYYY-MM-DD" });
    case "checkbox":
      return z.boolean({ message: "must be true or false" });
    case "dropdown":
      return z
        .string({ message: `must be one of: ${def.options.join(", ")}` })
        .refine((v) => def.options.includes(v), { message: `must be one of: ${def.options.join(", ")}` });
    case "multiselect": {
      const one = z
        .string()
        .refine((v) => def.options.includes(v), { message: `each must be one of: ${def.options.join(", ")}` });
      // Stored in the options' order without repeats, so equal selections are equal JSON.
      return z
        .array(one, { message: "must be a list of options" })
        .min(1, { message: "must name at least one option (send null to clear it)" })
        .transform((v) => def.options.filter((o) => v.includes(o)));
    }
  }
}

const isSet = (v: unknown) => v !== undefined && v !== null;

/** What the caller may read of a field: staff every one, customers the customer-visible ones. */
const readable = (user: Pick<Principal, "role" | "userId">, def: FieldDef) => isStaff(user) || def.customerVisible;

/**
 * The custom field values a ticket write leaves: `current` with `input` applied, checked against
 * the org's definitions. Unknown keys (and, for customers, fields they cannot see) and wrong values
 * are 400 naming customFields.<key>; a customer setting a field that is not customer-editable is 403.
 * Required-on-create fields are asked of the creator when `creating` (customers: the ones they may
 * edit), required-on-solve ones of staff when `solving`. Returns undefined when nothing changes.
 */
export async function applyCustomFields(
  scope: { tx: Tx; user: Pick<Principal, "role" | "userId"> },
  opts: {
    current: Values;
    input: CustomFieldsInput | undefined;
    creating?: boolean;
    solving?: boolean;
    defs?: readonly FieldDef[];
  },
): Promise<{ values: Values; changes: Record<string, { from: unknown; to: unknown }> } | undefined> {
  const { input, current } = opts;
  if (input === undefined && !opts.creating && !opts.solving) return undefined;
  // A ticket write has them from the org's cached state (tickets/org-state.ts); other callers read them.
  const defs = opts.defs ?? (await loadFieldDefs(scope.tx));
  if (defs.length === 0 && (input === undefined || Object.keys(input).length === 0)) return undefined;
  const byKey = new Map(defs.map((d) => [d.key, d]));
  const issues: Issue[] = [];
  const refused: string[] = [];
  const values: Values = { ...current };
  for (const [key, raw] of Object.entries(input ?? {})) {
    const def = byKey.get(key);
    const path = `customFields.${key}`;
    if (!def || !readable(scope.user, def)) {
      issues.push({ in: "body", path, message: "is not a custom field of this organization" });
      continue;
    }
    if (!isStaff(scope.user) && !def.customerEditable) {
      refused.push(key);
      continue;
    }
    if (raw === null) {
      delete values[key];
      continue;
    }
    const r = valueSchema(def).safeParse(raw);
    if (r.success) values[key] = r.data as Values[string];
    else
      issues.push(
        ...r.error.issues.map((i) => ({ in: "body" as const, path: [path, ...i.path].join("."), message: i.message })),
      );
  }
  if (refused.length) {
    throw new AppError(
      "forbidden",
      `customers may not set ${refused.map((k) => `customFields.${k}`).join(", ")}: staff-only fields`,
      {
        reason: "staff_only_field",
        fields: refused.map((k) => `customFields.${k}`),
      },
    );
  }
  if (opts.creating) {
    for (const d of defs) {
      const asked = isStaff(scope.user) || d.customerEditable;
      if (d.requiredOnCreate && asked && !isSet(values[d.key]))
        issues.push({ in: "body", path: `customFields.${d.key}`, message: `is required (${d.label})` });
    }
  }
  if (opts.solving && isStaff(scope.user)) {
    const missing = defs.filter((d) => d.requiredOnSolve && !isSet(values[d.key]));
    for (const d of missing)
      issues.push({
        in: "body",
        path: `customFields.${d.key}`,
        message: `is required to solve the ticket (${d.label})`,
      });
  }
  if (issues.length)
    throw new AppError("validation_failed", issues.map((i) => `${i.path}: ${i.message}`).join("; "), { issues });
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of new Set([...Object.keys(current), ...Object.keys(values)])) {
    if (JSON.stringify(current[key] ?? null) !== JSON.stringify(values[key] ?? null))
      changes[key] = { from: current[key] ?? null, to: values[key] ?? null };
  }
  return { values, changes };
}

/** The values a customer may see: customer-visible fields only. */
export function customerValues(values: Values, visible: ReadonlySet<string>): Values {
  const out: Values = {};
  for (const [k, v] of Object.entries(values)) if (visible.has(k)) out[k] = v;
  return out;
}

/** The keys of the fields customers see. */
export async function customerVisibleKeys(tx: Tx): Promise<Set<string>> {
  return new Set((await loadFieldDefs(tx)).filter((d) => d.customerVisible).map((d) => d.key));
}

/**
 * ?cf.<key>=<value> as SQL: `{org: custom_fields} @> {org: {"key": value}}`, served by the GIN
 * index on that expression (one index key per org, field and value; decision 050). The text of the query is read by the field's type: a number, true/false,
 * a date, an option (multiselect: tickets whose selection includes it). Unknown fields are 400;
 * customers filtering on a field they cannot see get the 403 of every staff-only filter.
 */
export function customFieldConditions(
  user: Pick<Principal, "role" | "userId" | "orgId">,
  cf: Record<string, string>,
  defs: readonly FieldDef[],
): SQL[] {
  const orgId = user.orgId;
  const byKey = new Map(defs.map((d) => [d.key, d]));
  const issues: Issue[] = [];
  const hidden: string[] = [];
  const out: SQL[] = [];
  for (const [key, text] of Object.entries(cf)) {
    const def = byKey.get(key);
    const path = `cf.${key}`;
    if (!def) {
      issues.push({ in: "query", path, message: "is not a custom field of this organization" });
      continue;
    }
    if (!readable(user, def)) {
      hidden.push(path);
      continue;
    }
    const value = filterValue(def, text);
    if (value === undefined) {
      issues.push({ in: "query", path, message: filterHint(def) });
      continue;
    }
    // The expression of tickets_org_custom_fields_idx (drizzle/0024): org, field and value are one index key.
    const probe = JSON.stringify({ [orgId]: { [key]: def.type === "multiselect" ? [value] : value } });
    out.push(sql`beacon_org_custom_fields(${tickets.orgId}, ${tickets.customFields}) @> ${probe}::jsonb`);
  }
  if (issues.length) throw new AppError("validation_failed", "invalid query", { issues });
  if (hidden.length) {
    throw new AppError(
      "forbidden",
      `customers may not filter or sort tickets by ${hidden.join(", ")}: staff-only fields`,
      { reason: "staff_only_filter", fields: hidden },
    );
  }
  return out;
}

function filterValue(def: FieldDef, text: string): unknown {
  switch (def.type) {
    case "integer":
    case "decimal": {
      const n = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
      return Number.isFinite(n) && (def.type === "decimal" || Number.isInteger(n)) ? n : undefined;
    }
    case "checkbox":
      return text === "true" ? true : text === "false" ? false : undefined;
    case "date":
      return z.iso.date().safeParse(text).success ? text : undefined;
    case "dropdown":
    case "multiselect":
      return def.options.includes(text) ? text : undefined;
    default:
      return text;
  }
}

function filterHint(def: FieldDef): string {
  switch (def.type) {
    case "integer":
      return "must be a whole number";
    case "decimal":
      return "must be a number";
    case "checkbox":
      return "must be true or false";
    case "date":
      return "must be a date, YYYY-MM-DD";
    default:
      return `must be one of: ${def.options.join(", ")}`;
  }
}
