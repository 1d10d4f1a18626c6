// The rule editor's model (issue 13 item 5, decision 045): which fields, operators and values
// the rule contract (src/server/automation/rule-schemas.ts, SPEC §12) allows, as plain data the
// browser can import (the server schema pulls in the database enums), and the conversions between
// the editor's rows (every value a string, as form controls hold them) and the API's JSON.

import { PRIORITY_LABELS, STATUS_LABELS, priorityLabel, statusLabel } from "@/lib/ticket-labels";
import type { components } from "@/lib/api-types";

export type RuleKind = "trigger" | "automation";
export type Option = { value: string; label: string };
export type Named = { id: string; name: string };
/** What the selects offer: agents (assignees, group members), groups, webhooks, SLA calendars. */
export type RuleRefs = { agents: Named[]; groups: Named[]; webhooks: Named[]; calendars: Named[] };

export type ApiCondition = Record<string, unknown> & { field: string; op: string };
export type ApiAction = Record<string, unknown> & { type: string };
export type ApiConditions = { all: ApiCondition[]; any: ApiCondition[] };
export type RuleData = {
  id: string;
  name: string;
  position: number;
  active: boolean;
  conditions: ApiConditions;
  actions: ApiAction[];
  lastError: string | null;
  lastErrorAt: string | null;
  firedCount: number;
  createdAt: string;
  updatedAt: string;
};

const opts = (labels: Record<string, string>): Option[] =>
  Object.entries(labels).map(([value, label]) => ({ value, label }));

export const STATUS_OPTIONS = opts(STATUS_LABELS);
export const PRIORITY_OPTIONS = opts(PRIORITY_LABELS);
export const CHANNEL_OPTIONS = opts({ web: "Web", email: "Email", api: "API" });
export const EVENT_OPTIONS = opts({
  created: "Ticket created",
  updated: "Ticket updated",
  customer_comment: "Customer commented",
  staff_comment: "Agent replied",
  internal_note: "Internal note added",
});
export const ANCHOR_OPTIONS = opts({
  created: "Created",
  updated: "Last update",
  status_changed: "Status change",
  customer_replied: "Last customer reply",
  sla_due: "SLA due",
});
export const BOOLEAN_OPTIONS = opts({ true: "Yes", false: "No" });
export const STRATEGY_OPTIONS = opts({ round_robin: "Round-robin", least_open: "Fewest open tickets" });
export const NOTIFY_TARGETS = opts({ assignee: "The assignee", all_agents: "All agents" });

const OP_LABELS: Record<string, string> = {
  is: "is",
  is_not: "is not",
  changed: "changed",
  changed_to: "changed to",
  changed_from: "changed from",
  includes: "includes",
  excludes: "does not include",
  added: "was added",
  removed: "was removed",
  contains: "contains",
  not_contains: "does not contain",
  gte: "at least (hours)",
  lt: "less than (hours)",
};
export const opLabel = (op: string) => OP_LABELS[op] ?? op;

/** How a condition's value is entered. */
export type ValueKind =
  | "status"
  | "priority"
  | "agent"
  | "group"
  | "text"
  | "channel"
  | "event"
  | "boolean"
  | "hours"
  | "none";
type FieldSpec = { label: string; ops: string[]; value: ValueKind; only?: RuleKind; placeholder?: string };

const CHANGE_OPS = ["is", "is_not", "changed", "changed_to", "changed_from"];
/** Every condition field of the contract, with the operators it takes and how its value is entered. */
export const CONDITION_FIELDS: Record<string, FieldSpec> = {
  status: { label: "Status", ops: CHANGE_OPS, value: "status" },
  priority: { label: "Priority", ops: CHANGE_OPS, value: "priority" },
  assignee: { label: "Assignee", ops: CHANGE_OPS, value: "agent" },
  group: { label: "Group", ops: CHANGE_OPS, value: "group" },
  subject: { label: "Subject", ops: ["contains", "not_contains"], value: "text", placeholder: "refund" },
  body: { label: "Message text", ops: ["contains", "not_contains"], value: "text", only: "trigger" },
  tags: { label: "Tags", ops: ["includes", "excludes", "added", "removed"], value: "text", placeholder: "vip" },
  requester_domain: {
    label: "Requester's email domain",
    ops: ["is", "is_not"],
    value: "text",
    placeholder: "example.com",
  },
  requester: { label: "Requester (user ID)", ops: ["is", "is_not"], value: "text" },
  channel: { label: "Channel", ops: ["is", "is_not"], value: "channel", only: "trigger" },
  event: { label: "Event", ops: ["is", "is_not"], value: "event", only: "trigger" },
  business_hours: { label: "Business hours now", ops: ["is"], value: "boolean" },
  sla_breached: { label: "SLA breached", ops: ["is"], value: "boolean" },
  hours_since: { label: "Hours since", ops: ["gte", "lt"], value: "hours", only: "automation" },
};
/** Triggers: "changed" operators describe a write; time rules have none. */
const WRITE_OPS = new Set(["changed", "changed_to", "changed_from", "added", "removed"]);

export function fieldsFor(kind: RuleKind): Option[] {
  return Object.entries(CONDITION_FIELDS)
    .filter(([, f]) => !f.only || f.only === kind)
    .map(([value, f]) => ({ value, label: f.label }));
}
export function opsFor(kind: RuleKind, field: string): string[] {
  const ops = CONDITION_FIELDS[field]?.ops ?? ["is"];
  return kind === "automation" ? ops.filter((o) => !WRITE_OPS.has(o)) : ops;
}
export const opNeedsValue = (op: string) => op !== "changed";

/** An editor row: every control's value as a string, plus a stable key for React. */
export type CondRow = { key: string; field: string; op: string; value: string; anchor: string; calendarId: string };
export type ActRow = {
  key: string;
  type: string;
  value: string;
  groupId: string;
  strategy: string;
  subject: string;
  body: string;
  title: string;
  target: string;
  webhookId: string;
};

let seq = 0;
const nextKey = () => `r${++seq}`;

export function newCondition(kind: RuleKind): CondRow {
  return kind === "automation"
    ? { key: nextKey(), field: "hours_since", op: "gte", value: "24", anchor: "updated", calendarId: "" }
    : { key: nextKey(), field: "subject", op: "contains", value: "", anchor: "updated", calendarId: "" };
}

export function defaultValue(field: string): string {
  switch (CONDITION_FIELDS[field]?.value) {
    case "status":
      return "open";
    case "priority":
      return "high";
    case "channel":
      return "web";
    case "event":
      return "created";
    case "boolean":
      return "true";
    case "hours":
      return "24";
    default:
      return "";
  }
}

export function conditionToRow(c: ApiCondition): CondRow {
  const v = c.value;
  return {
    key: nextKey(),
    field: c.field,
    op: c.op,
    value: v === null || v === undefined ? "" : String(v),
    anchor: typeof c.anchor === "string" ? c.anchor : "updated",
    calendarId: typeof c.calendarId === "string" ? c.calendarId : "",
  };
}

/** The API's condition for a row: the value typed as the contract wants it (null = unassigned). */
export function rowToCondition(r: CondRow): ApiCondition {
  const kind = CONDITION_FIELDS[r.field]?.value;
  if (!opNeedsValue(r.op)) return { field: r.field, op: r.op };
  let value: unknown = r.value;
  if (kind === "agent" || kind === "group") value = r.value || null;
  else if (kind === "boolean") value = r.value === "true";
  else if (kind === "hours") value = r.value.trim() === "" ? Number.NaN : Number(r.value);
  const out: ApiCondition = { field: r.field, op: r.op, value };
  if (r.field === "hours_since") out.anchor = r.anchor;
  if (r.field === "business_hours") out.calendarId = r.calendarId;
  return out;
}

/** Every action of the contract; macros offer only the ones that change the ticket (MACRO_ACTIONS). */
export const ACTION_TYPES: Record<string, string> = {
  set_status: "Set status",
  set_priority: "Set priority",
  set_assignee: "Set assignee",
  assign_group: "Assign within a group",
  add_tags: "Add tags",
  remove_tags: "Remove tags",
  add_note: "Add an internal note",
  email_requester: "Email the requester",
  email_group: "Email a group",
  notify: "Notify agents",
  webhook: "Call a webhook",
};
export const MACRO_ACTION_TYPES = [
  "set_status",
  "set_priority",
  "set_assignee",
  "assign_group",
  "add_tags",
  "remove_tags",
  "add_note",
];

export function newAction(type = "set_priority"): ActRow {
  return {
    key: nextKey(),
    type,
    value: type === "set_status" ? "open" : type === "set_priority" ? "high" : "",
    groupId: "",
    strategy: "round_robin",
    subject: "",
    body: "",
    title: "",
    target: "assignee",
    webhookId: "",
  };
}

export function actionToRow(a: ApiAction): ActRow {
  const row = newAction(a.type);
  const s = (k: string) => (typeof a[k] === "string" ? (a[k] as string) : "");
  const value = Array.isArray(a.value)
    ? (a.value as unknown[]).map(String).join(", ")
    : a.value === null || a.value === undefined
      ? ""
      : String(a.value);
  return {
    ...row,
    value,
    groupId: s("groupId"),
    strategy: s("strategy") || "round_robin",
    subject: s("subject"),
    body: s("body"),
    title: s("title"),
    target: s("target") || "assignee",
    webhookId: s("webhookId"),
  };
}

const tagList = (v: string) =>
  v
    .split(/[,\s]+/)
    .map((t) => t.trim())
    .filter(Boolean);

export function rowToAction(r: ActRow): ApiAction {
  switch (r.type) {
    case "set_status":
    case "set_priority":
      return { type: r.type, value: r.value };
    case "set_assignee":
      return { type: r.type, value: r.value || null };
    case "assign_group":
      return { type: r.type, groupId: r.groupId, strategy: r.strategy };
    case "add_tags":
    case "remove_tags":
      return { type: r.type, value: tagList(r.value) };
    case "add_note":
      return { type: r.type, body: r.body };
    case "email_requester":
      return { type: r.type, subject: r.subject, body: r.body };
    case "email_group":
      return { type: r.type, groupId: r.groupId, subject: r.subject, body: r.body };
    case "notify":
      return { type: r.type, target: r.target, title: r.title, body: r.body };
    case "webhook":
      return { type: r.type, webhookId: r.webhookId };
    default:
      return { type: r.type };
  }
}

/** Which of an action's controls the editor shows (in this order), as the contract's keys. */
export function actionFields(type: string): string[] {
  switch (type) {
    case "set_status":
    case "set_priority":
    case "set_assignee":
    case "add_tags":
    case "remove_tags":
      return ["value"];
    case "assign_group":
      return ["groupId", "strategy"];
    case "add_note":
      return ["body"];
    case "email_requester":
      return ["subject", "body"];
    case "email_group":
      return ["groupId", "subject", "body"];
    case "notify":
      return ["target", "title", "body"];
    case "webhook":
      return ["webhookId"];
    default:
      return [];
  }
}

/** zod's wording, for people: "Too small: expected string to have >=1 characters" → "is required". */
export function humanize(message: string): string {
  if (/^Too small: expected string to have >=1 characters?$/.test(message)) return "is required";
  if (/^Too small: expected array to have >=1 items?$/.test(message)) return "needs at least one";
  if (/^Invalid input$/.test(message)) return "is not valid: check every value of this row";
  const big = /^Too big: expected (?:string|array) to have <=(\d+) (characters|items)$/.exec(message);
  if (big) return `is too long (at most ${big[1]} ${big[2]})`;
  return message;
}

/**
 * Where each API issue is shown: the longest path the form has a control (or row) for that the
 * issue's path starts with; whatever matches none is listed above the save button.
 */
export function placeIssues(
  issues: { path: string; message: string }[],
  known: Set<string>,
): { at: Map<string, string[]>; rest: { path: string; message: string }[] } {
  const at = new Map<string, string[]>();
  const rest: { path: string; message: string }[] = [];
  for (const i of issues) {
    const parts = i.path.split(".");
    let found: string | null = null;
    for (let n = parts.length; n > 0 && !found; n--) {
      const p = parts.slice(0, n).join(".");
      if (known.has(p)) found = p;
    }
    const message = humanize(i.message);
    if (found)
      at.set(found, [
        ...(at.get(found) ?? []),
        found === i.path ? message : `${i.path.slice(found.length + 1)}: ${message}`,
      ]);
    else rest.push(i);
  }
  return { at, rest };
}

/** A field change of a preview, for people: "Priority: Normal → High". */
export function describeChange(
  field: string,
  c: { from: unknown; to: unknown },
  nameOf: (id: string | null) => string,
): string {
  const show = (v: unknown) => {
    if (field === "status") return statusLabel(String(v));
    if (field === "priority") return priorityLabel(String(v));
    if (field === "assigneeId") return nameOf(typeof v === "string" ? v : null);
    if (field === "tags") return Array.isArray(v) && v.length ? v.map(String).join(", ") : "none";
    return v === null || v === undefined ? "none" : String(v);
  };
  const label =
    field === "assigneeId"
      ? "Assignee"
      : field === "groupId"
        ? "Group"
        : field.charAt(0).toUpperCase() + field.slice(1);
  return `${label}: ${show(c.from)} → ${show(c.to)}`;
}

/** What actions do (or would do) to a ticket, as the dry-run and macro preview endpoints answer (generated contract types). */
export type Effect = components["schemas"]["RuleEffect"];
export type PreviewData = components["schemas"]["MacroPreview"];

export function describeEffect(e: Effect, refs: Pick<RuleRefs, "groups" | "webhooks" | "agents">): string {
  const name = (list: Named[], id: string | null) =>
    id ? (list.find((x) => x.id === id)?.name ?? "an unknown one") : "nobody";
  switch (e.type) {
    case "note":
      return `Adds an internal note: “${e.body}”`;
    case "email":
      return `Emails ${e.to.join(", ") || "nobody"}: “${e.subject}”`;
    case "notify":
      return `Notifies ${e.to.length} ${e.to.length === 1 ? "agent" : "agents"}: “${e.title}”`;
    case "webhook":
      return `Calls the webhook ${name(refs.webhooks, e.webhookId)}`;
    case "assign":
      return `Assigns within ${name(refs.groups, e.groupId)} (${e.strategy === "least_open" ? "fewest open tickets" : "round-robin"}): ${e.assigneeId ? name(refs.agents, e.assigneeId) : "no available member"}`;
  }
}
