import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Scope } from "../core/scope";
import { AppError, notFound } from "../core/errors";
import { tickets } from "../db/schema/tickets";
import { assertCan } from "../authz/permissions";
import { compileConditions, diffState, type Anchor, type ChangeFacts } from "./evaluate";
import { executeActions, placeholderValues, type Effect } from "./execute-actions";
import { renderTemplate } from "../markdown/placeholders";
import { ZTriggerInput, EVENTS, type Action } from "./rule-schemas";
import { businessHoursProbe, runContext } from "./run-triggers";
import { slaBreached } from "./run-rules";
import { checkRule, parseOr400 } from "./validate-rule";
import { getRule } from "./manage-rules";

export type Preview = {
  ticketId: string;
  changes: Record<string, { from: unknown; to: unknown }>;
  effects: Effect[];
  reply: string | null;
};

/**
 * What actions would do to a ticket, changing nothing: field changes as {from, to}, side effects
 * described (rendered notes and messages, who would be assigned — round-robin is peeked, not
 * moved). The macro preview and the admin's "test against ticket #n" both answer with this.
 */
export async function previewActions(
  scope: Scope,
  ticketId: string,
  actions: readonly Action[],
  reply: string | null = null,
): Promise<Preview> {
  assertCan(scope.user, "ticket.internal.view");
  const run = await runContext(scope.tx, ticketId, {
    orgId: scope.user.orgId,
    actorId: scope.user.userId,
    actorName: scope.user.name,
    requestId: scope.requestId,
    runKey: "preview",
    dryRun: true,
  });
  const r = await dryRun(() => executeActions(run, { id: "preview", actions }, run.state));
  // The reply is rendered against the ticket as the actions leave it (what the agent would send).
  const rendered = reply ? renderTemplate(reply, await placeholderValues(run, r.state)) : null;
  return { ticketId, changes: diffState(run.state, r.state), effects: r.effects, reply: rendered };
}

export const ZRuleTest = z.strictObject({
  ticketNumber: z.number().int().min(1),
  rule: ZTriggerInput,
  /** The write to imagine for a trigger (default: an update). */
  event: z.enum(EVENTS).optional().default("updated"),
});

/**
 * The admin's "test against ticket #n": does the draft rule match the ticket as it is now, and
 * what would it change. Nothing is written. Time rules read the ticket's anchors.
 */
export async function testRule(
  scope: Scope,
  kind: "trigger" | "automation",
  input: unknown,
): Promise<Preview & { matched: boolean }> {
  assertCan(scope.user, "org.admin");
  const body = parseOr400(ZRuleTest, input);
  await checkRule(scope.tx, kind, body.rule);
  const [t] = await scope.tx
    .select({ id: tickets.id })
    .from(tickets)
    .where(and(eq(tickets.orgId, scope.user.orgId), eq(tickets.number, body.ticketNumber)))
    .limit(1);
  if (!t) throw notFound("ticket");
  const run = await runContext(scope.tx, t.id, {
    orgId: scope.user.orgId,
    actorId: scope.user.userId,
    actorName: scope.user.name,
    requestId: scope.requestId,
    runKey: randomUUID(),
    dryRun: true,
  });
  const now = new Date();
  const calendarIds = [...body.rule.conditions.all, ...body.rule.conditions.any].flatMap((c) =>
    c.field === "business_hours" ? [c.calendarId] : [],
  );
  const anchors = new Map<string, Date>();
  if (kind === "automation") {
    const rows = await scope.tx.execute<{ anchor: string; at: string }>(
      sql`select anchor, at::text as at from ticket_anchors where ticket_id = ${t.id}`,
    );
    for (const a of rows.rows) anchors.set(a.anchor, new Date(a.at));
    anchors.set("updated", run.ticket.updatedAt);
  }
  const facts: ChangeFacts = {
    event: body.event,
    channel: "web",
    body: null,
    before: null,
    slaBreached: slaBreached(run.ticket, now),
    businessHours: await businessHoursProbe(scope.tx, calendarIds, now),
    hoursSince: (a: Anchor) => (anchors.has(a) ? (now.getTime() - anchors.get(a)!.getTime()) / 3_600_000 : null),
  };
  const matched = compileConditions(body.rule.conditions)(run.state, facts);
  if (!matched) return { ticketId: t.id, matched, changes: {}, effects: [], reply: null };
  const r = await dryRun(() => executeActions(run, { id: "test", actions: body.rule.actions }, run.state));
  return { ticketId: t.id, matched, changes: diffState(run.state, r.state), effects: r.effects, reply: null };
}

export const ZSavedRuleTest = ZRuleTest.omit({ rule: true });

/** "Test against ticket #n" for a saved rule, as it is stored (active or not). */
export async function testSavedRule(
  scope: Scope,
  kind: "trigger" | "automation",
  id: string,
  input: unknown,
): Promise<Preview & { matched: boolean }> {
  const rule = await getRule(scope, kind, id);
  const body = parseOr400(ZSavedRuleTest, input);
  return testRule(scope, kind, {
    ...body,
    rule: {
      name: rule.name,
      position: rule.position,
      active: rule.active,
      conditions: rule.conditions,
      actions: rule.actions,
    },
  });
}

/**
 * Actions that cannot run on this ticket now (a webhook switched off since the rule was saved, no
 * admin left to sign a note) are a 409 naming why: a dry run tells, it never answers 500.
 */
export async function actionsOr409<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // Only the executor's own refusals (plain Errors); a database error stays what it is.
    if (!(err instanceof Error) || err.constructor !== Error) throw err;
    throw new AppError("conflict", `the actions cannot run on this ticket: ${err.message}`);
  }
}
const dryRun = actionsOr409;
