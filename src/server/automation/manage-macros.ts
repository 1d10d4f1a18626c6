import "server-only";
import { randomUUID } from "node:crypto";
import { and, asc, eq, isNull, or, sql } from "drizzle-orm";
import type { Scope } from "../core/scope";
import { notFound } from "../core/errors";
import { macros } from "../db/schema/automation";
import { recordAudit } from "../audit/record-audit";
import { assertCan } from "../authz/permissions";
import { loadVisibleTicket } from "../ticket-model/load-ticket";
import { diffState } from "./evaluate";
import { executeActions, placeholderValues } from "./execute-actions";
import { renderTemplate } from "../markdown/placeholders";
import { actionsOr409, previewActions, type Preview } from "./preview";
import { MACRO_ACTIONS, ZMacroInput, ZMacroPatch, type Action } from "./rule-schemas";
import { lockOrgChain, persistState } from "./run-rules";
import { runContext } from "./run-triggers";
import { assertId, checkRule, parseOr400 } from "./validate-rule";
import { assertNotFinal } from "../lifecycle/ticket-lifecycle";
import { one } from "../core/one";

// Macros: a reply text with placeholders and field actions, shared (admins manage them) or
// personal (their owner does). Agents read the shared ones and their own; nobody sees another's.

export type MacroView = {
  id: string;
  name: string;
  shared: boolean;
  ownerId: string | null;
  reply: string | null;
  actions: Action[];
  updatedAt: string;
};
type Row = typeof macros.$inferSelect;

const view = (m: Row): MacroView => ({
  id: m.id,
  name: m.name,
  shared: m.ownerId === null,
  ownerId: m.ownerId,
  reply: m.reply,
  actions: m.actions as Action[],
  updatedAt: m.updatedAt.toISOString(),
});
const mine = (scope: Scope) => or(isNull(macros.ownerId), eq(macros.ownerId, scope.user.userId));
const audit = (scope: Scope, action: string, id: string, data: Record<string, unknown>) =>
  recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    { action, entityType: "macro", entityId: id, data },
  );

export async function listMacros(scope: Scope): Promise<{ data: MacroView[] }> {
  assertCan(scope.user, "ticket.internal.view");
  const rows = await scope.tx
    .select()
    .from(macros)
    .where(mine(scope))
    .orderBy(asc(sql`lower(${macros.name})`), asc(macros.id));
  return { data: rows.map(view) };
}

async function loadMacro(scope: Scope, id: string, opts: { forChange?: boolean } = {}): Promise<Row> {
  assertCan(scope.user, "ticket.internal.view");
  assertId(id, "macro");
  const [m] = await scope.tx
    .select()
    .from(macros)
    .where(and(eq(macros.id, id), mine(scope)))
    .limit(1);
  if (!m) throw notFound("macro");
  if (opts.forChange && m.ownerId === null)
    assertCan(scope.user, "org.admin", undefined, "only admins change shared macros");
  return m;
}

/** Placeholders are checked when saved: an unknown one is a 400 naming it and where it is. */
export async function createMacro(scope: Scope, input: unknown): Promise<MacroView> {
  assertCan(scope.user, "ticket.internal.view");
  const body = parseOr400(ZMacroInput, input);
  if (body.shared)
    assertCan(
      scope.user,
      "org.admin",
      undefined,
      "only admins create shared macros; an agent's own macros are personal (shared: false)",
    );
  await checkRule(scope.tx, "macro", { actions: body.actions, reply: body.reply }, MACRO_ACTIONS);
  const m = one(
    await scope.tx
      .insert(macros)
      .values({
        orgId: scope.user.orgId,
        name: body.name,
        ownerId: body.shared ? null : scope.user.userId,
        reply: body.reply ?? null,
        actions: body.actions,
      })
      .returning(),
  );
  await audit(scope, "macro.created", m.id, { name: body.name, shared: body.shared });
  return view(m);
}

export async function updateMacro(scope: Scope, id: string, input: unknown): Promise<MacroView> {
  const before = await loadMacro(scope, id, { forChange: true });
  const body = parseOr400(ZMacroInput.omit({ shared: true }), input);
  await checkRule(scope.tx, "macro", { actions: body.actions, reply: body.reply }, MACRO_ACTIONS);
  const [m] = await scope.tx
    .update(macros)
    .set({ name: body.name, reply: body.reply ?? null, actions: body.actions, updatedAt: sql`now()` })
    .where(eq(macros.id, before.id))
    .returning();
  await audit(scope, "macro.updated", id, { name: body.name });
  return view(m!);
}

/** One macro: a shared one, or the caller's own (another agent's personal macro is a 404). */
export async function getMacro(scope: Scope, id: string): Promise<MacroView> {
  return view(await loadMacro(scope, id));
}

/** The API's PATCH: the fields sent replace the macro's, the rest stay; placeholders are checked again. */
export async function patchMacro(scope: Scope, id: string, input: unknown): Promise<MacroView> {
  const before = await loadMacro(scope, id, { forChange: true });
  const patch = parseOr400(ZMacroPatch, input);
  return updateMacro(scope, id, {
    name: patch.name ?? before.name,
    reply: patch.reply === undefined ? before.reply : patch.reply,
    actions: patch.actions ?? before.actions,
  });
}

/** Validate-only (the macro editor): 200 when it could be saved, else the save's 400. */
export async function validateMacro(scope: Scope, input: unknown): Promise<{ valid: true }> {
  assertCan(scope.user, "ticket.internal.view");
  const body = parseOr400(ZMacroInput, input);
  if (body.shared)
    assertCan(
      scope.user,
      "org.admin",
      undefined,
      "only admins create shared macros; an agent's own macros are personal (shared: false)",
    );
  await checkRule(scope.tx, "macro", { actions: body.actions, reply: body.reply }, MACRO_ACTIONS);
  return { valid: true };
}

export async function deleteMacro(scope: Scope, id: string): Promise<void> {
  const before = await loadMacro(scope, id, { forChange: true });
  await scope.tx.delete(macros).where(eq(macros.id, before.id));
  await audit(scope, "macro.deleted", id, { name: before.name });
}

/** The macro's rendered reply and what its actions would change on the ticket; nothing is written. */
export async function previewMacro(scope: Scope, id: string, ticketId: string): Promise<Preview> {
  const m = await loadMacro(scope, id);
  assertId(ticketId, "ticket");
  await loadVisibleTicket(scope.tx, scope.user, ticketId);
  return previewActions(scope, ticketId, m.actions as Action[], m.reply);
}

/**
 * Applies a macro's field actions to the ticket through the trigger action code (so a note,
 * an assignment rule or a status change behaves exactly as in a rule) and returns the rendered
 * reply for the composer: the agent sends it as a comment, which runs the triggers as usual.
 */
export async function applyMacro(scope: Scope, id: string, ticketId: string): Promise<Preview> {
  const m = await loadMacro(scope, id);
  assertId(ticketId, "ticket");
  const t = await loadVisibleTicket(scope.tx, scope.user, ticketId, { forUpdate: true });
  assertCan(scope.user, "ticket.assign", t);
  assertNotFinal(t.status);
  const run = await runContext(scope.tx, t.id, {
    orgId: scope.user.orgId,
    actorId: scope.user.userId,
    actorName: scope.user.name,
    requestId: scope.requestId,
    runKey: randomUUID(),
  });
  await lockOrgChain(scope.tx, scope.user.orgId);
  const r = await actionsOr409(() => executeActions(run, { id: m.id, actions: m.actions as Action[] }, run.state));
  await persistState(run, run.state, r.state);
  const changes = diffState(run.state, r.state);
  await recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    {
      action: "ticket.macro_applied",
      entityType: "ticket",
      entityId: t.id,
      data: { macroId: m.id, macroName: m.name, changes },
    },
  );
  const reply = m.reply ? renderTemplate(m.reply, await placeholderValues(run, r.state)) : null;
  return { ticketId: t.id, changes, effects: r.effects, reply };
}
