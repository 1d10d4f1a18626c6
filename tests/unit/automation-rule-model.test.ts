import { describe, expect, it } from "vitest";
import {
  ACTION_TYPES,
  CONDITION_FIELDS,
  MACRO_ACTION_TYPES,
  actionFields,
  actionToRow,
  conditionToRow,
  defaultValue,
  describeChange,
  fieldsFor,
  humanize,
  newAction,
  newCondition,
  opsFor,
  placeIssues,
  rowToAction,
  rowToCondition,
  type CondRow,
} from "../../src/components/automation/rule-model";
import { MACRO_ACTIONS, ZAction, ZCondition, ZTriggerInput } from "../../src/server/automation/rule-schemas";

// The rule editor's model (decision 045) against the server's contract: every field, operator and
// action the editor offers is one the API accepts, and what it loads it writes back unchanged.

const UUID = "11111111-1111-4111-8111-111111111111";

/** A value the contract accepts for a row's field (what a person would enter). */
function filled(row: CondRow): CondRow {
  const kind = CONDITION_FIELDS[row.field]!.value;
  const value =
    kind === "text"
      ? row.field === "requester"
        ? UUID
        : row.field === "requester_domain"
          ? "example.com"
          : "refund"
      : kind === "agent"
        ? UUID
        : defaultValue(row.field);
  return { ...row, value, calendarId: UUID };
}

describe("rule editor model", () => {
  it("offers exactly the contract's condition fields, and every field × operator it offers parses", () => {
    type Obj = { shape: { field: { value?: string; options?: string[] } } };
    const objects = ZCondition.options.flatMap((o) =>
      "shape" in o ? [o as unknown as Obj] : (o as unknown as { options: Obj[] }).options,
    );
    const contract = new Set(objects.flatMap((o) => o.shape.field.options ?? [o.shape.field.value!]));
    expect(new Set(Object.keys(CONDITION_FIELDS))).toEqual(contract);
    for (const kind of ["trigger", "automation"] as const) {
      for (const { value: field } of fieldsFor(kind)) {
        for (const op of opsFor(kind, field)) {
          const row = filled({ ...newCondition(kind), field, op, anchor: "created" });
          const parsed = ZCondition.safeParse(rowToCondition(row));
          expect(parsed.success, `${kind} ${field} ${op}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
        }
      }
    }
  });

  it("keeps write-only operators and event fields out of time rules, hours out of triggers", () => {
    expect(fieldsFor("automation").map((f) => f.value)).not.toContain("event");
    expect(fieldsFor("automation").map((f) => f.value)).not.toContain("body");
    expect(fieldsFor("trigger").map((f) => f.value)).not.toContain("hours_since");
    expect(opsFor("automation", "status")).toEqual(["is", "is_not"]);
    expect(opsFor("automation", "tags")).toEqual(["includes", "excludes"]);
    expect(newCondition("automation")).toMatchObject({ field: "hours_since", op: "gte" });
  });

  it("offers exactly the contract's actions (macros: the field actions), and each one it builds parses", () => {
    expect(new Set(Object.keys(ACTION_TYPES))).toEqual(new Set(ZAction.options.map((o) => o.shape.type.value)));
    expect(MACRO_ACTION_TYPES).toEqual([...MACRO_ACTIONS]);
    const fill: Record<string, string> = {
      groupId: UUID,
      webhookId: UUID,
      subject: "Hello",
      title: "Heads up",
      body: "Hi {{requester.first_name}}",
    };
    for (const type of Object.keys(ACTION_TYPES)) {
      const row = {
        ...newAction(type),
        ...Object.fromEntries(
          actionFields(type)
            .filter((k) => fill[k])
            .map((k) => [k, fill[k]]),
        ),
      };
      if (type === "add_tags" || type === "remove_tags") row.value = "vip, refund";
      const parsed = ZAction.safeParse(rowToAction(row));
      expect(parsed.success, `${type}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
  });

  it("writes back what it loaded (a saved rule opened and saved unchanged)", () => {
    const rule = ZTriggerInput.parse({
      name: "Refunds",
      conditions: {
        all: [
          { field: "subject", op: "contains", value: "refund" },
          { field: "assignee", op: "is", value: null },
          { field: "sla_breached", op: "is", value: false },
        ],
        any: [
          { field: "status", op: "changed" },
          { field: "business_hours", op: "is", value: true, calendarId: UUID },
        ],
      },
      actions: [
        { type: "set_priority", value: "high" },
        { type: "assign_group", groupId: UUID, strategy: "least_open" },
        { type: "add_tags", value: ["vip", "refund"] },
        { type: "set_assignee", value: null },
        { type: "notify", target: "all_agents", title: "New refund", body: "#{{ticket.number}}" },
      ],
    });
    const back = {
      all: rule.conditions.all.map((c) => rowToCondition(conditionToRow(c))),
      any: rule.conditions.any.map((c) => rowToCondition(conditionToRow(c))),
      actions: rule.actions.map((a) => rowToAction(actionToRow(a))),
    };
    expect(back).toEqual({ all: rule.conditions.all, any: rule.conditions.any, actions: rule.actions });
  });

  it("an empty hours value is sent as a bad number, never as 0", () => {
    const c = rowToCondition({ ...newCondition("automation"), value: "" });
    expect(Number.isNaN(c.value)).toBe(true);
  });

  it("places each API issue on the deepest control the form has, the rest in the summary", () => {
    const known = new Set([
      "name",
      "conditions.all",
      "conditions.all.0",
      "conditions.all.0.value",
      "actions.0",
      "actions.0.value",
    ]);
    const { at, rest } = placeIssues(
      [
        { path: "conditions.all.0.value", message: "Too small: expected string to have >=1 characters" },
        { path: "actions.0.value.1", message: "a tag has no spaces or commas" },
        { path: "conditions.all.1", message: "Invalid input" },
        { path: "position", message: "too big" },
      ],
      known,
    );
    expect(at.get("conditions.all.0.value")).toEqual(["is required"]);
    expect(at.get("actions.0.value")).toEqual(["1: a tag has no spaces or commas"]);
    expect(at.get("conditions.all")).toEqual(["1: is not valid: check every value of this row"]);
    expect(rest).toEqual([{ path: "position", message: "too big" }]);
  });

  it("says what a preview changes in words", () => {
    const nameOf = (id: string | null) => (id === UUID ? "Ada" : "nobody");
    expect(describeChange("priority", { from: "normal", to: "high" }, nameOf)).toBe("Priority: Normal → High");
    expect(describeChange("assigneeId", { from: null, to: UUID }, nameOf)).toBe("Assignee: nobody → Ada");
    expect(describeChange("tags", { from: [], to: ["vip"] }, nameOf)).toBe("Tags: none → vip");
    expect(humanize("Too big: expected string to have <=200 characters")).toBe("is too long (at most 200 characters)");
  });
});
