import type { TicketPriority, TicketStatus } from "../db/schema/enums";
import type { Action, Condition, Conditions, CHANNELS, EVENTS, ANCHORS } from "./rule-schemas";

// Pure rule evaluation (no I/O): compile a rule set once, then test it against a ticket's state
// and the facts of one change. The runner (run-triggers.ts) and the time-rule scan supply the
// facts and execute what fires; property tests compare this with a naive reference evaluator.

export type Channel = (typeof CHANNELS)[number];
export type RuleEvent = (typeof EVENTS)[number];
export type Anchor = (typeof ANCHORS)[number];

/** The ticket fields rules read and field actions write. */
export type TicketState = {
  status: TicketStatus;
  priority: TicketPriority;
  assigneeId: string | null;
  /** The ticket's group (team), or null. */
  groupId: string | null;
  requesterId: string;
  requesterDomain: string;
  subject: string;
  tags: string[];
};

/** What the change was, beyond the ticket's current fields. */
export type ChangeFacts = {
  event: RuleEvent;
  channel: Channel;
  /** The comment of this change (the first message on create), if any. */
  body: string | null;
  /** The fields as they were before the change began (null on create: everything is new). */
  before: (Pick<TicketState, "status" | "priority" | "assigneeId" | "tags"> & { groupId?: string | null }) | null;
  slaBreached: boolean;
  businessHours: (calendarId: string) => boolean;
  /** Time rules: hours since the anchor, or null when the ticket has none. */
  hoursSince?: (anchor: Anchor) => number | null;
};

export type Test = (s: TicketState, f: ChangeFacts) => boolean;
export type RuleSource = { id: string; name: string; conditions: Conditions; actions: Action[] };
export type CompiledRule = { id: string; name: string; test: Test; actions: Action[] };

type Tracked = "status" | "priority" | "assigneeId" | "groupId";

function changeTest(field: Tracked, op: "changed" | "changed_to" | "changed_from", value?: unknown): Test {
  return (s, f) => {
    const from = f.before ? (f.before[field] ?? null) : undefined;
    const to = s[field];
    if (f.before && from === to) return false;
    if (op === "changed") return true;
    return op === "changed_to" ? to === value : f.before !== null && from === value;
  };
}

const has = (tags: readonly string[], tag: string) => tags.includes(tag);

export function compileCondition(c: Condition): Test {
  switch (c.field) {
    case "status":
    case "priority":
    case "assignee":
    case "group": {
      const key: Tracked = c.field === "assignee" ? "assigneeId" : c.field === "group" ? "groupId" : c.field;
      if (c.op === "is") return (s) => s[key] === c.value;
      if (c.op === "is_not") return (s) => s[key] !== c.value;
      return changeTest(key, c.op, "value" in c ? c.value : undefined);
    }
    case "requester":
      return c.op === "is" ? (s) => s.requesterId === c.value : (s) => s.requesterId !== c.value;
    case "requester_domain": {
      const v = c.value.toLowerCase();
      return c.op === "is" ? (s) => s.requesterDomain === v : (s) => s.requesterDomain !== v;
    }
    case "tags": {
      const v = c.value;
      switch (c.op) {
        case "includes":
          return (s) => has(s.tags, v);
        case "excludes":
          return (s) => !has(s.tags, v);
        case "added":
          return (s, f) => has(s.tags, v) && !(f.before && has(f.before.tags, v));
        case "removed":
          return (s, f) => !has(s.tags, v) && !!f.before && has(f.before.tags, v);
      }
      break;
    }
    case "subject":
    case "body": {
      const needle = c.value.toLowerCase();
      const hit =
        c.field === "subject"
          ? (s: TicketState) => s.subject.toLowerCase().includes(needle)
          : (_s: TicketState, f: ChangeFacts) => (f.body ?? "").toLowerCase().includes(needle);
      return c.op === "contains" ? hit : (s, f) => !hit(s, f);
    }
    case "channel":
      return c.op === "is" ? (_s, f) => f.channel === c.value : (_s, f) => f.channel !== c.value;
    case "event":
      return c.op === "is" ? (_s, f) => f.event === c.value : (_s, f) => f.event !== c.value;
    case "business_hours":
      return (_s, f) => f.businessHours(c.calendarId) === c.value;
    case "sla_breached":
      return (_s, f) => f.slaBreached === c.value;
    case "hours_since":
      return (_s, f) => {
        const h = f.hoursSince?.(c.anchor) ?? null;
        if (h === null) return false;
        return c.op === "gte" ? h >= c.value : h < c.value;
      };
  }
  throw new Error(`unknown condition ${JSON.stringify(c)}`);
}

export function compileConditions(c: Conditions): Test {
  const all = c.all.map(compileCondition);
  const any = c.any.map(compileCondition);
  return (s, f) => {
    for (const t of all) if (!t(s, f)) return false;
    if (any.length === 0) return true;
    for (const t of any) if (t(s, f)) return true;
    return false;
  };
}

export function compileRules(rules: readonly RuleSource[]): CompiledRule[] {
  return rules.map((r) => ({ id: r.id, name: r.name, test: compileConditions(r.conditions), actions: r.actions }));
}

const sortedUnique = (tags: Iterable<string>) => [...new Set(tags)].sort();

/** A field action's effect on the state (other actions leave it as it is). */
export function applyFieldAction(s: TicketState, a: Action): TicketState {
  switch (a.type) {
    case "set_status":
      return { ...s, status: a.value };
    case "set_priority":
      return { ...s, priority: a.value };
    case "set_assignee":
      return { ...s, assigneeId: a.value };
    case "add_tags":
      return { ...s, tags: sortedUnique([...s.tags, ...a.value]) };
    case "remove_tags":
      return { ...s, tags: s.tags.filter((t) => !a.value.includes(t)) };
    default:
      return s;
  }
}

export const MAX_ROUNDS = 10;

export type Execute = (rule: CompiledRule, state: TicketState) => Promise<TicketState>;
export type PlanResult = {
  state: TicketState;
  fired: string[];
  failed: { id: string; error: string }[];
  rounds: number;
};

/**
 * Runs a rule set to a fixpoint: in each round every rule not yet fired is tested, in order,
 * against the state as earlier rules left it; a match executes at once. A round that fires nothing
 * ends the run, and so does the tenth round. A rule fires at most once per change, so a run can
 * never loop whatever the rules do. A rule whose test or execution throws is marked failed, keeps
 * the state it found, and is not tried again in this change.
 */
export async function planRun(
  rules: readonly CompiledRule[],
  initial: TicketState,
  facts: ChangeFacts,
  execute: Execute,
): Promise<PlanResult> {
  let state = initial;
  const fired: string[] = [];
  const done = new Set<string>();
  const failed: { id: string; error: string }[] = [];
  let rounds = 0;
  while (rounds < MAX_ROUNDS) {
    rounds++;
    let firedThisRound = 0;
    for (const rule of rules) {
      if (done.has(rule.id)) continue;
      try {
        if (!rule.test(state, facts)) continue;
        state = await execute(rule, state);
        fired.push(rule.id);
        firedThisRound++;
      } catch (err) {
        failed.push({ id: rule.id, error: err instanceof Error ? err.message : String(err) });
      }
      done.add(rule.id);
    }
    if (firedThisRound === 0) break;
  }
  return { state, fired, failed, rounds };
}

/** The fields a run changed, as {from, to} (what the audit event and the history show). */
export function diffState(a: TicketState, b: TicketState): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const k of ["status", "priority", "assigneeId", "groupId"] as const)
    if (a[k] !== b[k]) out[k] = { from: a[k], to: b[k] };
  if (sortedUnique(a.tags).join(",") !== sortedUnique(b.tags).join(",")) out.tags = { from: a.tags, to: b.tags };
  return out;
}
