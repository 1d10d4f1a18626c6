import "server-only";
import { and, inArray, isNull } from "drizzle-orm";
import type { ZodType } from "zod";
import type { Tx } from "../db/tenant";
import { AppError, notFound } from "../core/errors";
import { users } from "../db/schema/users";
import { groups } from "../db/schema/automation";
import { webhooks } from "../db/schema/notifications";
import { calendars } from "../db/schema/sla";
import { unknownPlaceholders } from "../markdown/placeholders";
import type { Action, Condition, Conditions } from "./rule-schemas";

export type Issue = { in: "body"; path: string; message: string };

export function invalid(issues: Issue[]): AppError {
  return new AppError("validation_failed", issues.map((i) => `${i.path}: ${i.message}`).join("; "), { issues });
}

/** zod parse whose failure is a 400 naming each path (what the route wrapper answers for bodies). */
export function parseOr400<T>(schema: ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw invalid(r.error.issues.map((i) => ({ in: "body", path: i.path.join("."), message: i.message })));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id that is not a UUID names no row: 404, as an unknown one would (never a database error). */
export function assertId(id: string, what: string): void {
  if (!UUID.test(id)) throw notFound(what);
}

/** Conditions that only make sense for one kind of rule. */
const EVENT_ONLY = new Set<Condition["field"]>(["event", "channel", "body"]);

/** Kind rules, placeholders and references: every problem, each with its path. */
export async function checkRule(
  tx: Tx,
  kind: "trigger" | "automation" | "macro",
  body: { conditions?: Conditions; actions: readonly Action[]; reply?: string | null },
  allowedActions?: readonly string[],
): Promise<void> {
  const issues: Issue[] = [];
  const refs = {
    staff: new Map<string, string>(),
    users: new Map<string, string>(),
    groups: new Map<string, string>(),
    webhooks: new Map<string, string>(),
    calendars: new Map<string, string>(),
  };
  const ref = (m: Map<string, string>, id: string | null, path: string) => {
    if (id && !m.has(id)) m.set(id, path);
  };
  for (const group of ["all", "any"] as const) {
    for (const [i, c] of (body.conditions?.[group] ?? []).entries()) {
      const path = `conditions.${group}.${i}`;
      if (kind === "trigger" && c.field === "hours_since")
        issues.push({ in: "body", path, message: "hours_since is for time rules (automations), not triggers" });
      if (kind === "automation" && EVENT_ONLY.has(c.field))
        issues.push({ in: "body", path, message: `${c.field} describes a ticket write; time rules have none` });
      if (c.field === "assignee" && "value" in c) ref(refs.staff, c.value, `${path}.value`);
      if (c.field === "group" && "value" in c) ref(refs.groups, c.value, `${path}.value`);
      if (c.field === "requester") ref(refs.users, c.value, `${path}.value`);
      if (c.field === "business_hours") ref(refs.calendars, c.calendarId, `${path}.calendarId`);
    }
  }
  if (kind === "automation" && !body.conditions?.all.some((c) => c.field === "hours_since" && c.op === "gte")) {
    issues.push({
      in: "body",
      path: "conditions.all",
      message: "a time rule needs an hours_since condition with op gte in all (when its time comes)",
    });
  }
  for (const [i, a] of body.actions.entries()) {
    const path = `actions.${i}`;
    if (allowedActions && !allowedActions.includes(a.type))
      issues.push({ in: "body", path: `${path}.type`, message: `${a.type} is not available here` });
    if (a.type === "set_assignee") ref(refs.staff, a.value, `${path}.value`);
    if (a.type === "assign_group" || a.type === "email_group") ref(refs.groups, a.groupId, `${path}.groupId`);
    if (a.type === "webhook") ref(refs.webhooks, a.webhookId, `${path}.webhookId`);
    for (const field of ["body", "subject", "title"] as const) {
      const text = (a as Record<string, unknown>)[field];
      if (typeof text === "string")
        for (const name of unknownPlaceholders(text))
          issues.push({ in: "body", path: `${path}.${field}`, message: `unknown placeholder {{${name}}}` });
    }
  }
  if (body.reply)
    for (const name of unknownPlaceholders(body.reply))
      issues.push({ in: "body", path: "reply", message: `unknown placeholder {{${name}}}` });

  // References must be rows of this org (RLS scopes every read): another org's group, user,
  // webhook or calendar is as unknown as a made-up id.
  const missing = async (m: Map<string, string>, found: () => Promise<{ id: string }[]>, what: string) => {
    if (m.size === 0) return;
    const have = new Set((await found()).map((r) => r.id));
    for (const [id, path] of m)
      if (!have.has(id)) issues.push({ in: "body", path, message: `${what} ${id} is not in this organization` });
  };
  const ids = (m: Map<string, string>) => [...m.keys()];
  await missing(
    refs.users,
    () =>
      tx
        .select({ id: users.id })
        .from(users)
        .where(and(inArray(users.id, ids(refs.users)), isNull(users.blockedAt))),
    "user",
  );
  await missing(
    refs.staff,
    () =>
      tx
        .select({ id: users.id })
        .from(users)
        .where(
          and(inArray(users.id, ids(refs.staff)), isNull(users.blockedAt), inArray(users.role, ["agent", "admin"])),
        ),
    "agent",
  );
  await missing(
    refs.groups,
    () =>
      tx
        .select({ id: groups.id })
        .from(groups)
        .where(inArray(groups.id, ids(refs.groups))),
    "group",
  );
  await missing(
    refs.webhooks,
    () =>
      tx
        .select({ id: webhooks.id })
        .from(webhooks)
        .where(inArray(webhooks.id, ids(refs.webhooks))),
    "webhook",
  );
  await missing(
    refs.calendars,
    () =>
      tx
        .select({ id: calendars.id })
        .from(calendars)
        .where(inArray(calendars.id, ids(refs.calendars))),
    "calendar",
  );
  if (issues.length) throw invalid(issues);
}
