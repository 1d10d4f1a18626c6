import "server-only";
import { z } from "zod";
import { zUuidParam } from "../../http/route";
import {
  createGroup,
  deleteGroup,
  getGroup,
  listGroups,
  patchGroup,
  setAway,
  ZGroupInput,
  ZGroupPatch,
} from "../../automation/manage-groups";
import {
  applyMacro,
  createMacro,
  deleteMacro,
  getMacro,
  listMacros,
  patchMacro,
  previewMacro,
  validateMacro,
} from "../../automation/manage-macros";
import {
  createRule,
  deleteRule,
  getRule,
  listRules,
  patchRule,
  reorderRules,
  validateRule,
  type RuleKind,
} from "../../automation/manage-rules";
import { testRule, testSavedRule, ZRuleTest, ZSavedRuleTest } from "../../automation/preview";
import {
  ZAction,
  ZConditions,
  ZMacroInput,
  ZMacroPatch,
  ZRuleOrder,
  ZRulePatch,
  ZTriggerInput,
} from "../../automation/rule-schemas";
import { defineOperation } from "../operation";

// The automation endpoints (issue 13 item 5, SPEC §12, docs/decisions/042-automation-api.md):
// triggers and time rules (admin), agent groups (agents read them and mark themselves away),
// macros (agents read the shared ones and manage their own; admins manage the shared ones) and
// applying a macro to a ticket. The domain (src/server/automation/) checks, audits and scopes.

export const ZRule = z.object({
  id: z.uuid(),
  name: z.string(),
  position: z.number().int(),
  active: z.boolean(),
  conditions: ZConditions,
  actions: z.array(ZAction),
  lastError: z.string().nullable(),
  lastErrorAt: z.iso.datetime().nullable(),
  firedCount: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
const ZRules = z.object({ data: z.array(ZRule) });

export const ZEffect = z.union([
  z.object({ type: z.literal("note"), body: z.string() }),
  z.object({ type: z.literal("email"), to: z.array(z.string()), subject: z.string(), body: z.string() }),
  z.object({ type: z.literal("notify"), to: z.array(z.string()), title: z.string(), body: z.string() }),
  z.object({ type: z.literal("webhook"), webhookId: z.uuid() }),
  z.object({ type: z.literal("assign"), groupId: z.uuid(), strategy: z.string(), assigneeId: z.uuid().nullable() }),
]);
/** What actions do (or would do) to a ticket: field changes as {from, to}, side effects, the rendered reply. */
export const ZPreview = z.object({
  ticketId: z.uuid(),
  changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })),
  effects: z.array(ZEffect),
  reply: z.string().nullable(),
});
export const ZRuleTestResult = ZPreview.extend({ matched: z.boolean() });
const ZValid = z.object({ valid: z.literal(true) });

export const ZGroup = z.object({
  id: z.uuid(),
  name: z.string(),
  members: z.array(z.object({ userId: z.uuid(), away: z.boolean() })),
  createdAt: z.iso.datetime(),
});
export const ZMacro = z.object({
  id: z.uuid(),
  name: z.string(),
  shared: z.boolean(),
  ownerId: z.uuid().nullable(),
  reply: z.string().nullable(),
  actions: z.array(ZAction),
  updatedAt: z.iso.datetime(),
});

function ruleOperations(kind: RuleKind) {
  const base = kind === "trigger" ? "/api/v1/triggers" : "/api/v1/automations";
  const Kind = kind === "trigger" ? "Trigger" : "Automation";
  const what = kind === "trigger" ? "trigger (event rule)" : "automation (time rule)";
  const tag = "automation";
  return [
    defineOperation({
      method: "GET",
      path: base,
      operationId: `list${Kind}s`,
      summary: `The org's ${what}s in the order they run (position, then creation)`,
      tag,
      can: "org.admin",
      status: 200,
      response: ZRules,
      handler: (scope) => listRules(scope, kind),
    }),
    defineOperation({
      method: "POST",
      path: base,
      operationId: `create${Kind}`,
      idempotent: true,
      summary: `Create a ${what}; without a position it goes last (400 naming every bad path: shape, placeholders, references to rows not of this org)`,
      tag,
      can: "org.admin",
      body: ZTriggerInput,
      status: 201,
      response: ZRule,
      handler: (scope, { body }) => createRule(scope, kind, body),
    }),
    defineOperation({
      method: "PUT",
      path: `${base}/order`,
      operationId: `reorder${Kind}s`,
      summary: `Set the order ${what}s run in: ids lists every one exactly once, first to last (positions become 0, 1, 2…)`,
      tag,
      can: "org.admin",
      body: ZRuleOrder,
      status: 200,
      response: ZRules,
      handler: (scope, { body }) => reorderRules(scope, kind, body),
    }),
    defineOperation({
      method: "POST",
      path: `${base}/validate`,
      operationId: `validate${Kind}`,
      summary: `Check a draft ${what} without saving it: 200 {valid: true}, or the 400 saving would answer (details.issues[].path per problem)`,
      tag,
      can: "org.admin",
      body: ZTriggerInput,
      status: 200,
      response: ZValid,
      handler: (scope, { body }) => validateRule(scope, kind, body),
    }),
    defineOperation({
      method: "POST",
      path: `${base}/test`,
      operationId: `test${Kind}`,
      summary: `Dry run of a draft ${what} against ticket #ticketNumber: whether it matches and what it would change; nothing is written`,
      description:
        kind === "trigger"
          ? "`event` is the write to imagine (default `updated`). 404 when the org has no such ticket; 409 when an action cannot run on it."
          : "Hours are counted from the ticket's stored anchors, now. 404 when the org has no such ticket; 409 when an action cannot run on it.",
      tag,
      can: "org.admin",
      body: ZRuleTest,
      status: 200,
      response: ZRuleTestResult,
      errors: ["not_found"],
      handler: (scope, { body }) => testRule(scope, kind, body),
    }),
    defineOperation({
      method: "GET",
      path: `${base}/{id}`,
      operationId: `get${Kind}`,
      summary: `One ${what}, with its last error and how often it fired`,
      tag,
      can: "org.admin",
      params: zUuidParam,
      status: 200,
      response: ZRule,
      handler: (scope, { params }) => getRule(scope, kind, params.id),
    }),
    defineOperation({
      method: "PATCH",
      path: `${base}/{id}`,
      operationId: `update${Kind}`,
      summary: `Change a ${what}: the fields sent replace its own (\`{active: false}\` disables it); clears its last error`,
      tag,
      can: "org.admin",
      params: zUuidParam,
      body: ZRulePatch,
      status: 200,
      response: ZRule,
      handler: (scope, { params, body }) => patchRule(scope, kind, params.id, body),
    }),
    defineOperation({
      method: "DELETE",
      path: `${base}/{id}`,
      operationId: `delete${Kind}`,
      summary: `Delete a ${what}`,
      tag,
      can: "org.admin",
      params: zUuidParam,
      status: 204,
      response: null,
      handler: (scope, { params }) => deleteRule(scope, kind, params.id),
    }),
    defineOperation({
      method: "POST",
      path: `${base}/{id}/test`,
      operationId: `testSaved${Kind}`,
      summary: `Dry run of a saved ${what} (active or not) against ticket #ticketNumber; nothing is written`,
      tag,
      can: "org.admin",
      params: zUuidParam,
      body: ZSavedRuleTest,
      status: 200,
      response: ZRuleTestResult,
      handler: (scope, { params, body }) => testSavedRule(scope, kind, params.id, body),
    }),
  ];
}

const GROUP_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/groups",
    operationId: "listGroups",
    summary: "The org's agent groups (teams) with their members and who is away",
    tag: "automation",
    can: "staff",
    status: 200,
    response: z.object({ data: z.array(ZGroup) }),
    handler: (scope) => listGroups(scope),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/groups",
    operationId: "createGroup",
    idempotent: true,
    summary:
      "Create a group; memberIds must be active agents or admins of this org (400 naming each other one; 409 when the name is taken)",
    tag: "automation",
    can: "org.admin",
    body: ZGroupInput,
    status: 201,
    response: ZGroup,
    handler: (scope, { body }) => createGroup(scope, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/groups/{id}",
    operationId: "getGroup",
    summary: "One group with its members",
    tag: "automation",
    can: "staff",
    params: zUuidParam,
    status: 200,
    response: ZGroup,
    handler: (scope, { params }) => getGroup(scope, params.id),
  }),
  defineOperation({
    method: "PATCH",
    path: "/api/v1/groups/{id}",
    operationId: "updateGroup",
    summary: "Rename a group and/or set its members (memberIds: the whole list; members kept keep their away flag)",
    tag: "automation",
    can: "org.admin",
    params: zUuidParam,
    body: ZGroupPatch,
    status: 200,
    response: ZGroup,
    handler: (scope, { params, body }) => patchGroup(scope, params.id, body),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/groups/{id}",
    operationId: "deleteGroup",
    summary: "Delete a group (rules that name it fail, are skipped and show the error, until edited)",
    tag: "automation",
    can: "org.admin",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => deleteGroup(scope, params.id),
  }),
  defineOperation({
    method: "PATCH",
    path: "/api/v1/groups/{id}/members/{userId}",
    operationId: "setGroupMemberAway",
    summary: "Mark a member away (assignment rules skip them) or back: agents their own flag, admins anyone's",
    tag: "automation",
    can: "staff",
    params: z.object({ id: z.uuid({ message: "must be a UUID" }), userId: z.uuid({ message: "must be a UUID" }) }),
    body: z.strictObject({ away: z.boolean() }),
    status: 200,
    response: ZGroup,
    handler: (scope, { params, body }) => setAway(scope, params.id, params.userId, body.away),
  }),
];

const zTicketMacro = z.object({
  id: z.uuid({ message: "must be a UUID" }),
  macroId: z.uuid({ message: "must be a UUID" }),
});

const MACRO_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/macros",
    operationId: "listMacros",
    summary: "The macros the caller may use: the shared ones and their own personal ones, by name",
    tag: "automation",
    can: "staff",
    status: 200,
    response: z.object({ data: z.array(ZMacro) }),
    handler: (scope) => listMacros(scope),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/macros",
    operationId: "createMacro",
    idempotent: true,
    summary:
      "Create a macro: shared (admins; the default) or personal (shared: false, any agent); placeholders and references are checked (400 naming each)",
    tag: "automation",
    can: "staff",
    body: ZMacroInput,
    status: 201,
    response: ZMacro,
    handler: (scope, { body }) => createMacro(scope, body),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/macros/validate",
    operationId: "validateMacro",
    summary: "Check a draft macro without saving it: 200 {valid: true}, or the 400 saving would answer",
    tag: "automation",
    can: "staff",
    body: ZMacroInput,
    status: 200,
    response: ZValid,
    handler: (scope, { body }) => validateMacro(scope, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/macros/{id}",
    operationId: "getMacro",
    summary: "One macro (a shared one or the caller's own; another agent's personal macro is a 404)",
    tag: "automation",
    can: "staff",
    params: zUuidParam,
    status: 200,
    response: ZMacro,
    handler: (scope, { params }) => getMacro(scope, params.id),
  }),
  defineOperation({
    method: "PATCH",
    path: "/api/v1/macros/{id}",
    operationId: "updateMacro",
    summary: "Change a macro: the fields sent replace its own (shared ones: admins only; personal ones: their owner)",
    tag: "automation",
    can: "staff",
    params: zUuidParam,
    body: ZMacroPatch,
    status: 200,
    response: ZMacro,
    handler: (scope, { params, body }) => patchMacro(scope, params.id, body),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/macros/{id}",
    operationId: "deleteMacro",
    summary: "Delete a macro (shared ones: admins only; personal ones: their owner)",
    tag: "automation",
    can: "staff",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => deleteMacro(scope, params.id),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/tickets/{id}/macros/{macroId}/preview",
    operationId: "previewMacro",
    summary:
      "What applying a macro to the ticket would change, and its reply rendered for this ticket; nothing is written",
    tag: "automation",
    can: "staff",
    params: zTicketMacro,
    status: 200,
    response: ZPreview,
    handler: (scope, { params }) => previewMacro(scope, params.macroId, params.id),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/tickets/{id}/macros/{macroId}/apply",
    operationId: "applyMacro",
    idempotent: true,
    summary:
      "Apply a macro's field actions to the ticket (audited as ticket.macro_applied) and get its rendered reply for the composer (not sent)",
    description:
      "409 on a closed ticket, or when an action cannot run on it (then nothing changes). The reply is returned, not posted: the agent sends it as a comment.",
    tag: "automation",
    can: "staff",
    params: zTicketMacro,
    status: 200,
    response: ZPreview,
    handler: (scope, { params }) => applyMacro(scope, params.macroId, params.id),
  }),
];

export const AUTOMATION_OPERATIONS = [
  ...ruleOperations("trigger"),
  ...ruleOperations("automation"),
  ...GROUP_OPERATIONS,
  ...MACRO_OPERATIONS,
];
