import "server-only";
import { and, eq, sql } from "drizzle-orm";
import type { Scope } from "../core/scope";
import { AppError, notFound } from "../core/errors";
import { assertVersion } from "../core/versions";
import { tickets } from "../db/schema/tickets";
import { ticketFields } from "../db/schema/workspace";
import { recordAudit } from "../audit/record-audit";
import { auditActor } from "../authz/actor";
import { assertCan } from "../authz/permissions";
import { loadFieldDefs, type FieldDef } from "./custom-values";
import { MAX_FIELDS, type FieldInput, type FieldPatch, type FieldView } from "./schemas";
import { one } from "../core/one";

// Custom ticket field definitions (SPEC §13): admins shape them; every signed-in caller reads the
// ones they may see (customers: the customer-visible ones, for the portal's new-ticket form).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function toFieldView(d: FieldDef): FieldView {
  return {
    id: d.id,
    key: d.key,
    label: d.label,
    type: d.type,
    options: d.options,
    requiredOnCreate: d.requiredOnCreate,
    requiredOnSolve: d.requiredOnSolve,
    customerVisible: d.customerVisible,
    customerEditable: d.customerEditable,
    position: d.position,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

const audit = (scope: Scope, action: string, id: string, data: Record<string, unknown>) =>
  recordAudit(scope.tx, auditActor(scope), { action, entityType: "ticket_field", entityId: id, data });

/** The fields the caller may see, in display order: staff every one, customers the customer-visible ones. */
export async function listFields(scope: Scope): Promise<{ data: FieldView[] }> {
  const defs = await loadFieldDefs(scope.tx);
  const staff = scope.user.role === "agent" || scope.user.role === "admin";
  return { data: defs.filter((d) => staff || d.customerVisible).map(toFieldView) };
}

async function loadField(scope: Scope, id: string, forUpdate = false): Promise<FieldDef> {
  if (!UUID.test(id)) throw notFound("field");
  const q = scope.tx
    .select()
    .from(ticketFields)
    .where(and(eq(ticketFields.orgId, scope.user.orgId), eq(ticketFields.id, id)))
    .limit(1);
  const [d] = forUpdate ? await q.for("update") : await q;
  if (!d) throw notFound("field");
  return d;
}

export async function getVersionedField(scope: Scope, id: string): Promise<{ field: FieldView; version: number }> {
  assertCan(scope.user, "org.admin");
  const d = await loadField(scope, id);
  return { field: toFieldView(d), version: d.version };
}

export async function createField(scope: Scope, input: FieldInput): Promise<FieldView> {
  assertCan(scope.user, "org.admin");
  const defs = await loadFieldDefs(scope.tx);
  if (defs.length >= MAX_FIELDS)
    throw new AppError("conflict", `an organization has at most ${MAX_FIELDS} custom fields`);
  if (defs.some((d) => d.key === input.key))
    throw new AppError("conflict", `a field with key "${input.key}" already exists`);
  const d = one(
    await scope.tx
      .insert(ticketFields)
      .values({
        orgId: scope.user.orgId,
        key: input.key,
        label: input.label,
        type: input.type,
        options: input.options ?? [],
        requiredOnCreate: input.requiredOnCreate ?? false,
        requiredOnSolve: input.requiredOnSolve ?? false,
        customerVisible: input.customerVisible ?? false,
        customerEditable: input.customerEditable ?? false,
        position: input.position ?? (defs.length ? Math.max(...defs.map((x) => x.position)) + 1 : 0),
      })
      .returning(),
  );
  await audit(scope, "ticket_field.created", d.id, { key: d.key, type: d.type });
  return toFieldView(d);
}

/** Changes a definition; key and type stay. Values already stored keep their value (a removed option stays until changed). */
export async function updateVersionedField(
  scope: Scope,
  id: string,
  patch: FieldPatch,
  ifVersion?: readonly number[],
): Promise<{ field: FieldView; version: number }> {
  assertCan(scope.user, "org.admin");
  const d = await loadField(scope, id, true);
  assertVersion("field", d.version, ifVersion);
  const next = { ...d, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as FieldDef;
  const choice = d.type === "dropdown" || d.type === "multiselect";
  if (patch.options !== undefined && !choice && patch.options.length > 0)
    throw invalid("options", "only dropdown and multiselect fields have options");
  if (patch.options !== undefined && choice && patch.options.length === 0)
    throw invalid("options", `a ${d.type} needs at least one option`);
  if (patch.options && new Set(patch.options).size !== patch.options.length)
    throw invalid("options", "options must be unique");
  if (next.customerEditable && !next.customerVisible)
    throw invalid("customerEditable", "a customer-editable field must be customer-visible");
  const [u] = await scope.tx
    .update(ticketFields)
    .set({
      label: next.label,
      options: next.options,
      requiredOnCreate: next.requiredOnCreate,
      requiredOnSolve: next.requiredOnSolve,
      customerVisible: next.customerVisible,
      customerEditable: next.customerEditable,
      position: next.position,
      updatedAt: sql`now()`,
    })
    .where(and(eq(ticketFields.orgId, scope.user.orgId), eq(ticketFields.id, id)))
    .returning();
  await audit(scope, "ticket_field.updated", id, { key: d.key, changes: patch });
  return { field: toFieldView(u!), version: u!.version };
}

/**
 * Deletes a definition and its values on the org's tickets, in one transaction, so a key reused
 * later never shows an old value under a new meaning. Rare and admin-only: the update reads the
 * org's tickets (the GIN index cannot answer "has this key").
 */
export async function deleteField(scope: Scope, id: string): Promise<void> {
  assertCan(scope.user, "org.admin");
  const d = await loadField(scope, id, true);
  await scope.tx.delete(ticketFields).where(and(eq(ticketFields.orgId, scope.user.orgId), eq(ticketFields.id, id)));
  const r = await scope.tx
    .update(tickets)
    .set({ customFields: sql`${tickets.customFields} - ${d.key}::text` })
    .where(and(eq(tickets.orgId, scope.user.orgId), sql`${tickets.customFields} ? ${d.key}::text`));
  await audit(scope, "ticket_field.deleted", id, { key: d.key, ticketsCleared: r.rowCount ?? 0 });
}

const invalid = (path: string, message: string) =>
  new AppError("validation_failed", `${path}: ${message}`, { issues: [{ in: "body", path, message }] });
