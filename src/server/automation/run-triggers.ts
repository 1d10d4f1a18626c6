import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { Scope } from "../core/scope";
import type { Tx } from "../db/tenant";
import { tickets } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import { orgs } from "../db/schema/orgs";
import { calendars } from "../db/schema/sla";
import { isWorkingTime } from "../sla/calendar";
import { ticketColumns, type TicketRow } from "../tickets/ticket-view";
import { notFound } from "../core/errors";
import type { Channel, ChangeFacts, RuleEvent, TicketState } from "./evaluate";
import type { RunContext } from "./execute-actions";
import { loadTriggerSet } from "./rule-cache";
import { runRules, slaBreached, stateOf, type RunSummary } from "./run-rules";
import { assertId } from "./validate-rule";

/** One ticket write, as the triggers see it. */
export type TicketChange = {
  ticketId: string;
  event: RuleEvent;
  /** How the change arrived; default: api for a token, web otherwise. */
  channel?: Channel;
  /** The comment of the change (the first message of a new ticket). */
  body?: string | null;
  /** The ticket's fields before the write (omit on create). */
  before?: (Pick<TicketRow, "status" | "priority" | "assigneeId" | "tags"> & { groupId?: string | null }) | null;
};

/**
 * Runs the org's triggers on a ticket write, at the end of the write, in its transaction (SPEC
 * §12): ordered, each rule at most once per change, at most 10 rounds. A rule that fails is
 * skipped and recorded on the rule; the write goes on. An org without triggers pays one indexed read.
 */
export async function runTriggers(scope: Scope, change: TicketChange): Promise<RunSummary | null> {
  const { tx, user } = scope;
  const set = await loadTriggerSet(tx, user.orgId);
  if (set.rules.length === 0) return null;
  const run = await runContext(tx, change.ticketId, { orgId: user.orgId, actorId: user.userId, actorName: user.name, requestId: scope.requestId, runKey: randomUUID() });
  const now = new Date();
  const facts: ChangeFacts = {
    event: change.event,
    channel: change.channel ?? (user.via === "token" ? "api" : "web"),
    body: change.body ?? null,
    before: change.before ? { ...change.before, tags: [...change.before.tags].sort() } : null,
    slaBreached: slaBreached(run.ticket, now),
    businessHours: await businessHoursProbe(tx, set.calendarIds, now),
  };
  return runRules(run, "trigger", set.rules, stateOf(run.ticket, run.requester.email), facts);
}

/** Loads what a run on a ticket needs: the ticket (locked), its requester and the org's name. */
export async function runContext(
  tx: Tx,
  ticketId: string,
  who: Pick<RunContext, "orgId" | "actorId" | "actorName" | "requestId" | "runKey" | "dryRun">,
): Promise<RunContext & { state: TicketState }> {
  assertId(ticketId, "ticket");
  // One statement: the ticket (locked; a writer calling us already holds it), its requester, the org.
  const [row] = await tx
    .select({ ticket: ticketColumns, requester: { id: users.id, name: users.name, email: users.email }, orgName: orgs.name })
    .from(tickets)
    .innerJoin(users, and(eq(users.orgId, tickets.orgId), eq(users.id, tickets.requesterId)))
    .innerJoin(orgs, eq(orgs.id, tickets.orgId))
    .where(and(eq(tickets.orgId, who.orgId), eq(tickets.id, ticketId)))
    .limit(1)
    .for("update", { of: tickets });
  if (!row) throw notFound("ticket");
  const { ticket, requester } = row;
  return { ...who, tx, ticket, requester, orgName: row.orgName, state: stateOf(ticket, requester.email) };
}

/** "Is it business hours now" per calendar the rules name, read once per run (unknown calendar: never). */
export async function businessHoursProbe(tx: Tx, calendarIds: readonly string[], now: Date): Promise<(id: string) => boolean> {
  if (calendarIds.length === 0) return () => false;
  const rows = await tx.select().from(calendars);
  const open = new Map<string, boolean>();
  for (const c of rows) {
    if (calendarIds.includes(c.id)) open.set(c.id, isWorkingTime({ timezone: c.timezone, intervals: c.intervals, holidays: c.holidays }, now));
  }
  return (id) => open.get(id) ?? false;
}
