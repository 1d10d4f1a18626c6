import { z } from "zod";
import { TICKET_PRIORITIES, TICKET_STATUSES } from "../db/schema/enums";

// The contract of a rule body (SPEC §12). Conditions test one ticket field each and sit in an
// `all` group (every one must hold) and an `any` group (at least one, when it has any). Actions are
// the same for triggers, time rules and macros, so one executor applies them all.

const zStatus = z.enum(TICKET_STATUSES);
const zPriority = z.enum(TICKET_PRIORITIES);
const zText = z.string().trim().min(1).max(200);
const zTag = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[^\s,]+$/, { message: "a tag has no spaces or commas" });
const zTemplate = z.string().min(1).max(10_000);

export const CHANNELS = ["web", "email", "api"] as const;
/** What happened: a ticket opened, changed, or commented on (by whom, and how). */
export const EVENTS = ["created", "updated", "customer_comment", "staff_comment", "internal_note"] as const;
/** Anchors a time rule counts hours from (kept in ticket_anchors, or tickets.updated_at). */
export const ANCHORS = ["created", "updated", "status_changed", "customer_replied", "sla_due"] as const;

const enumCondition = <F extends string, V extends z.ZodType>(field: F, value: V) =>
  z.discriminatedUnion("op", [
    z.strictObject({ field: z.literal(field), op: z.enum(["is", "is_not"]), value }),
    z.strictObject({ field: z.literal(field), op: z.literal("changed") }),
    z.strictObject({ field: z.literal(field), op: z.enum(["changed_to", "changed_from"]), value }),
  ]);

export const ZCondition = z.union([
  enumCondition("status", zStatus),
  enumCondition("priority", zPriority),
  // null = unassigned
  enumCondition("assignee", z.uuid().nullable()),
  // null = no group
  enumCondition("group", z.uuid().nullable()),
  z.strictObject({ field: z.literal("requester"), op: z.enum(["is", "is_not"]), value: z.uuid() }),
  z.strictObject({
    field: z.literal("requester_domain"),
    op: z.enum(["is", "is_not"]),
    value: z
      .string()
      .trim()
      .toLowerCase()
      .min(1)
      .max(253)
      .regex(/^[a-z0-9.-]+$/, { message: "must be a domain such as example.com" }),
  }),
  z.strictObject({ field: z.literal("tags"), op: z.enum(["includes", "excludes", "added", "removed"]), value: zTag }),
  z.strictObject({ field: z.enum(["subject", "body"]), op: z.enum(["contains", "not_contains"]), value: zText }),
  z.strictObject({ field: z.literal("channel"), op: z.enum(["is", "is_not"]), value: z.enum(CHANNELS) }),
  z.strictObject({ field: z.literal("event"), op: z.enum(["is", "is_not"]), value: z.enum(EVENTS) }),
  z.strictObject({ field: z.literal("business_hours"), op: z.literal("is"), value: z.boolean(), calendarId: z.uuid() }),
  z.strictObject({ field: z.literal("sla_breached"), op: z.literal("is"), value: z.boolean() }),
  // Time rules only (refused in triggers): hours since an anchor.
  z.strictObject({
    field: z.literal("hours_since"),
    anchor: z.enum(ANCHORS),
    op: z.enum(["gte", "lt"]),
    value: z
      .number()
      .int()
      .min(0)
      .max(24 * 366),
  }),
]);
export type Condition = z.infer<typeof ZCondition>;

export const ZConditions = z.strictObject({
  all: z.array(ZCondition).max(50).default([]),
  any: z.array(ZCondition).max(50).default([]),
});
export type Conditions = z.infer<typeof ZConditions>;

export const ZAction = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("set_status"), value: zStatus }),
  z.strictObject({ type: z.literal("set_priority"), value: zPriority }),
  z.strictObject({ type: z.literal("set_assignee"), value: z.uuid().nullable() }),
  z.strictObject({
    type: z.literal("assign_group"),
    groupId: z.uuid(),
    strategy: z.enum(["round_robin", "least_open"]),
  }),
  z.strictObject({ type: z.literal("add_tags"), value: z.array(zTag).min(1).max(20) }),
  z.strictObject({ type: z.literal("remove_tags"), value: z.array(zTag).min(1).max(20) }),
  z.strictObject({ type: z.literal("add_note"), body: zTemplate }),
  z.strictObject({ type: z.literal("email_requester"), subject: zText, body: zTemplate }),
  z.strictObject({ type: z.literal("email_group"), groupId: z.uuid(), subject: zText, body: zTemplate }),
  z.strictObject({
    type: z.literal("notify"),
    target: z.enum(["assignee", "all_agents"]),
    title: zText,
    body: zTemplate,
  }),
  z.strictObject({ type: z.literal("webhook"), webhookId: z.uuid() }),
]);
export type Action = z.infer<typeof ZAction>;

const zName = z.string().trim().min(1).max(100);

export const ZTriggerInput = z.strictObject({
  name: zName,
  position: z.number().int().min(0).max(100_000).optional(),
  active: z.boolean().optional().default(true),
  conditions: ZConditions,
  actions: z.array(ZAction).min(1).max(20),
});
export type TriggerInput = z.infer<typeof ZTriggerInput>;

export const ZAutomationInput = ZTriggerInput;
export type AutomationInput = TriggerInput;

/** Macros apply field actions and fill the reply; they do not send mail or call out. */
export const MACRO_ACTIONS = [
  "set_status",
  "set_priority",
  "set_assignee",
  "assign_group",
  "add_tags",
  "remove_tags",
  "add_note",
] as const;

export const ZMacroInput = z.strictObject({
  name: zName,
  shared: z.boolean().optional().default(true),
  reply: z
    .string()
    .max(64 * 1024)
    .nullable()
    .optional(),
  actions: z.array(ZAction).max(20).default([]),
});
export type MacroInput = z.infer<typeof ZMacroInput>;

const atLeastOne = (o: Record<string, unknown>) => Object.values(o).some((v) => v !== undefined);
const NOTHING = { message: "send at least one field to change" };

/** A partial rule change (the API's PATCH): what is sent replaces that field; `{active: false}` disables. */
export const ZRulePatch = z
  .strictObject({
    name: zName.optional(),
    position: z.number().int().min(0).max(100_000).optional(),
    active: z.boolean().optional(),
    conditions: ZConditions.optional(),
    actions: z.array(ZAction).min(1).max(20).optional(),
  })
  .refine(atLeastOne, NOTHING);
export type RulePatch = z.infer<typeof ZRulePatch>;

/** A new order of rules: every rule of the kind, each once, first to last. */
export const ZRuleOrder = z.strictObject({ ids: z.array(z.uuid()).min(1).max(1000) });

/** A partial macro change; whether it is shared is fixed when it is created. */
export const ZMacroPatch = z
  .strictObject({
    name: zName.optional(),
    reply: z
      .string()
      .max(64 * 1024)
      .nullable()
      .optional(),
    actions: z.array(ZAction).max(20).optional(),
  })
  .refine(atLeastOne, NOTHING);
export type MacroPatch = z.infer<typeof ZMacroPatch>;
