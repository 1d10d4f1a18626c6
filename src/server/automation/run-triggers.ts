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
import { ticketColumns, type TicketRow } from "../ticket-model/ticket-view";
import { notFound } from "../core/errors";
import type { Channel, ChangeFacts, RuleEvent, TicketState } from "./evaluate";
import type { RunContext } from "./execute-actions";
import { loadTriggerSetWith, type RuleSet, type RunExtras } from "./rule-cache";
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
  /**
   * The ticket's row as the write left it, when the caller has it and holds its lock (it wrote the
   * row in this transaction): the run then does not read and lock it again.
   */
  ticket?: TicketRow;
  /** The org's trigger set and the run's extras, when the write already read them (its org-state statement, decision 047). */
  preloaded?: { set: RuleSet; extras: RunExtras };
};

/**
 * Runs the org's triggers on a ticket write, at the end of the write, in its transaction (SPEC
 * §12): ordered, each rule at most once per change, at most 10 rounds. A rule that fails is
 * skipped and recorded on the rule; the write goes on. An org without triggers pays one indexed read;
 * one with triggers, when the caller passes the row it wrote, that same read (rules, requester and
 * org name in one statement) and nothing more before the evaluation.
 */
export async function runTriggers(scope: Scope, change: TicketChange): Promise<RunSummary | null> {
  const { tx, user } = scope;
  const given = change.ticket && change.ticket.id === change.ticketId ? change.ticket : null;
  const { set, extras } = change.preloaded ?? (await loadTriggerSetWith(tx, user.orgId, given?.requesterId ?? null));
  if (set.rules.length === 0) return null;
  const who = {
    orgId: user.orgId,
    actorId: user.userId,
    actorName: user.name,
    requestId: scope.requestId,
    runKey: randomUUID(),
  };
  const run =
    given && extras.requester && extras.orgName !== null
      ? {
          ...who,
          tx,
          ticket: given,
          requester: extras.requester,
          orgName: extras.orgName,
          state: stateOf(given, extras.requester.email),
        }
      : await runContext(tx, change.ticketId, who);
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
    .select({
      ticket: ticketColumns,
      requester: { id: users.id, name: users.name, email: users.email },
      orgName: orgs.name,
    })
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
export async function businessHoursProbe(
  tx: Tx,
  calendarIds: readonly string[],
  now: Date,
): Promise<(id: string) => boolean> {
  if (calendarIds.length === 0) return () => false;
  const rows = await tx.select().from(calendars);
  const open = new Map<string, boolean>();
  for (const c of rows) {
    if (calendarIds.includes(c.id))
      open.set(c.id, isWorkingTime({ timezone: c.timezone, intervals: c.intervals, holidays: c.holidays }, now));
  }
  return (id) => open.get(id) ?? false;
}
