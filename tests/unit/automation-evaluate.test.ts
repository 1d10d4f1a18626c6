import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyFieldAction,
  compileRules,
  MAX_ROUNDS,
  planRun,
  type ChangeFacts,
  type CompiledRule,
  type RuleSource,
  type TicketState,
} from "../../src/server/automation/evaluate";
import { ZConditions, ZTriggerInput, type Action, type Condition } from "../../src/server/automation/rule-schemas";
import { renderTemplate, unknownPlaceholders } from "../../src/server/markdown/placeholders";
import { TICKET_PRIORITIES, TICKET_STATUSES } from "../../src/server/db/schema/enums";

// The evaluator against a deliberately naive reference: conditions interpreted field by field
// on every call (no compilation), the same "each rule once, at most ten rounds" contract.

const USERS = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"];
const TAGS = ["vip", "refund", "bug"];
const WORDS = ["refund", "printer", "fire", "invoice"];
const CAL = "33333333-3333-4333-8333-333333333333";

const status = fc.constantFrom(...TICKET_STATUSES);
const priority = fc.constantFrom(...TICKET_PRIORITIES);
const assignee = fc.constantFrom(null, ...USERS);
const tag = fc.constantFrom(...TAGS);

const condition: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({
    field: fc.constant("status" as const),
    op: fc.constantFrom("is" as const, "is_not" as const, "changed_to" as const, "changed_from" as const),
    value: status,
  }),
  fc.record({ field: fc.constant("status" as const), op: fc.constant("changed" as const) }),
  fc.record({
    field: fc.constant("priority" as const),
    op: fc.constantFrom("is" as const, "is_not" as const, "changed_to" as const),
    value: priority,
  }),
  fc.record({
    field: fc.constant("assignee" as const),
    op: fc.constantFrom("is" as const, "is_not" as const, "changed_to" as const),
    value: assignee,
  }),
  fc.record({
    field: fc.constant("tags" as const),
    op: fc.constantFrom("includes" as const, "excludes" as const, "added" as const, "removed" as const),
    value: tag,
  }),
  fc.record({
    field: fc.constantFrom("subject" as const, "body" as const),
    op: fc.constantFrom("contains" as const, "not_contains" as const),
    value: fc.constantFrom(...WORDS),
  }),
  fc.record({
    field: fc.constant("requester_domain" as const),
    op: fc.constantFrom("is" as const, "is_not" as const),
    value: fc.constantFrom("example.com", "acme.test"),
  }),
  fc.record({
    field: fc.constant("channel" as const),
    op: fc.constantFrom("is" as const, "is_not" as const),
    value: fc.constantFrom("web" as const, "email" as const, "api" as const),
  }),
  fc.record({
    field: fc.constant("event" as const),
    op: fc.constantFrom("is" as const, "is_not" as const),
    value: fc.constantFrom("created" as const, "updated" as const, "customer_comment" as const),
  }),
  fc.record({ field: fc.constant("sla_breached" as const), op: fc.constant("is" as const), value: fc.boolean() }),
  fc.record({
    field: fc.constant("business_hours" as const),
    op: fc.constant("is" as const),
    value: fc.boolean(),
    calendarId: fc.constant(CAL),
  }),
);

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ type: fc.constant("set_status" as const), value: status }),
  fc.record({ type: fc.constant("set_priority" as const), value: priority }),
  fc.record({ type: fc.constant("set_assignee" as const), value: assignee }),
  fc.record({ type: fc.constant("add_tags" as const), value: fc.uniqueArray(tag, { minLength: 1, maxLength: 2 }) }),
  fc.record({ type: fc.constant("remove_tags" as const), value: fc.uniqueArray(tag, { minLength: 1, maxLength: 2 }) }),
);

const rules: fc.Arbitrary<RuleSource[]> = fc
  .array(
    fc.record({
      all: fc.array(condition, { maxLength: 3 }),
      any: fc.array(condition, { maxLength: 2 }),
      actions: fc.array(action, { minLength: 1, maxLength: 3 }),
    }),
    { maxLength: 12 },
  )
  .map((rs) =>
    rs.map((r, i) => ({ id: `r${i}`, name: `rule ${i}`, conditions: { all: r.all, any: r.any }, actions: r.actions })),
  );

const ticket: fc.Arbitrary<TicketState> = fc.record({
  status,
  priority,
  assigneeId: assignee,
  groupId: fc.constant(null),
  requesterId: fc.constant(USERS[0]!),
  requesterDomain: fc.constantFrom("example.com", "acme.test"),
  subject: fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 3 }).map((w) => w.join(" ")),
  tags: fc.uniqueArray(tag, { maxLength: 3 }).map((t) => t.sort()),
});

const facts = (
  before: Pick<TicketState, "status" | "priority" | "assigneeId" | "tags"> | null,
): fc.Arbitrary<ChangeFacts> =>
  fc
    .record({
      event: fc.constantFrom("created" as const, "updated" as const, "customer_comment" as const),
      channel: fc.constantFrom("web" as const, "email" as const, "api" as const),
      body: fc.option(fc.constantFrom(...WORDS, "PRINTER fire"), { nil: null }),
      slaBreached: fc.boolean(),
      open: fc.boolean(),
    })
    .map((f) => ({
      event: f.event,
      channel: f.channel,
      body: f.body,
      before,
      slaBreached: f.slaBreached,
      businessHours: () => f.open,
    }));

// ---- the reference -------------------------------------------------------------------------

function refCondition(c: Condition, s: TicketState, f: ChangeFacts): boolean {
  const before = f.before as Record<string, unknown> | null;
  const now = s as unknown as Record<string, unknown>;
  const key = c.field === "assignee" ? "assigneeId" : c.field;
  if ("op" in c && (c.op === "changed" || c.op === "changed_to" || c.op === "changed_from")) {
    const was = before ? before[key] : undefined;
    const changed = before === null || was !== now[key];
    if (c.op === "changed") return changed;
    if (c.op === "changed_to") return changed && now[key] === c.value;
    return changed && before !== null && was === c.value;
  }
  switch (c.field) {
    case "status":
    case "priority":
    case "assignee":
      return c.op === "is" ? now[key] === c.value : now[key] !== c.value;
    case "tags": {
      const had = f.before ? f.before.tags.includes(c.value) : false;
      const has = s.tags.includes(c.value);
      return { includes: has, excludes: !has, added: has && !had, removed: !has && had }[c.op];
    }
    case "subject":
    case "body": {
      const text = (c.field === "subject" ? s.subject : (f.body ?? "")).toLowerCase();
      return c.op === "contains" ? text.includes(c.value.toLowerCase()) : !text.includes(c.value.toLowerCase());
    }
    case "requester_domain":
      return (s.requesterDomain === c.value) === (c.op === "is");
    case "channel":
      return (f.channel === c.value) === (c.op === "is");
    case "event":
      return (f.event === c.value) === (c.op === "is");
    case "sla_breached":
      return f.slaBreached === c.value;
    case "business_hours":
      return f.businessHours(c.calendarId) === c.value;
    default:
      return false;
  }
}

function refRun(rs: RuleSource[], initial: TicketState, f: ChangeFacts): { state: TicketState; fired: string[] } {
  let state = initial;
  const fired: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let any = false;
    for (const r of rs) {
      if (fired.includes(r.id)) continue;
      const all = r.conditions.all.every((c) => refCondition(c, state, f));
      const some = r.conditions.any.length === 0 || r.conditions.any.some((c) => refCondition(c, state, f));
      if (!(all && some)) continue;
      for (const a of r.actions) state = applyFieldAction(state, a);
      fired.push(r.id);
      any = true;
    }
    if (!any) break;
  }
  return { state, fired };
}

const apply = async (rule: CompiledRule, s: TicketState) => rule.actions.reduce(applyFieldAction, s);

describe("trigger evaluation (property)", () => {
  it("matches the reference, fires each rule at most once, and ends within ten rounds", async () => {
    await fc.assert(
      fc.asyncProperty(rules, ticket, fc.boolean(), async (rs, t, isCreate) => {
        const before = isCreate
          ? null
          : { status: t.status, priority: t.priority, assigneeId: t.assigneeId, tags: t.tags };
        await fc.assert(
          fc.asyncProperty(facts(before), async (f) => {
            const got = await planRun(compileRules(rs), t, f, apply);
            const want = refRun(rs, t, f);
            expect(got.fired).toEqual(want.fired);
            expect(got.state).toEqual(want.state);
            expect(new Set(got.fired).size).toBe(got.fired.length);
            expect(got.rounds).toBeLessThanOrEqual(MAX_ROUNDS);
            expect(got.failed).toEqual([]);
            // Ended early only at a fixpoint: no rule left unfired matches the final state.
            if (got.rounds < MAX_ROUNDS) {
              const left = compileRules(rs).filter((r) => !got.fired.includes(r.id));
              expect(left.filter((r) => r.test(got.state, f)).map((r) => r.id)).toEqual([]);
            }
          }),
          { numRuns: 5 },
        );
      }),
      { numRuns: 300 },
    );
  });

  it("over a ticket's history (a change after each run), every run matches the reference and fires each rule at most once", async () => {
    const edit = fc.record({
      status: fc.option(status, { nil: undefined }),
      priority: fc.option(priority, { nil: undefined }),
      addTag: fc.option(tag, { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(
        rules,
        ticket,
        fc.array(fc.tuple(edit, facts(null)), { minLength: 1, maxLength: 6 }),
        async (rs, t, history) => {
          const compiled = compileRules(rs);
          let got = t;
          let want = t;
          for (const [e, f] of history) {
            // A person's write, then the triggers, as each ticket write does.
            const before = { status: got.status, priority: got.priority, assigneeId: got.assigneeId, tags: got.tags };
            const written = (s: TicketState): TicketState => ({
              ...s,
              status: e.status ?? s.status,
              priority: e.priority ?? s.priority,
              tags: e.addTag ? [...new Set([...s.tags, e.addTag])].sort() : s.tags,
            });
            const change = { ...f, before };
            const r = await planRun(compiled, written(got), change, apply);
            const ref = refRun(rs, written(want), change);
            expect(r.fired).toEqual(ref.fired);
            expect(new Set(r.fired).size).toBe(r.fired.length);
            expect(r.rounds).toBeLessThanOrEqual(MAX_ROUNDS);
            got = r.state;
            want = ref.state;
            expect(got).toEqual(want);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rules that undo each other run once each, not forever", async () => {
    const rs = compileRules([
      {
        id: "a",
        name: "open → pending",
        conditions: { all: [{ field: "status", op: "is", value: "open" }], any: [] },
        actions: [{ type: "set_status", value: "pending" }],
      },
      {
        id: "b",
        name: "pending → open",
        conditions: { all: [{ field: "status", op: "is", value: "pending" }], any: [] },
        actions: [{ type: "set_status", value: "open" }],
      },
    ]);
    const t: TicketState = {
      status: "open",
      priority: "normal",
      assigneeId: null,
      groupId: null,
      requesterId: USERS[0]!,
      requesterDomain: "example.com",
      subject: "x",
      tags: [],
    };
    const r = await planRun(
      rs,
      t,
      { event: "updated", channel: "web", body: null, before: null, slaBreached: false, businessHours: () => false },
      apply,
    );
    expect(r.fired).toEqual(["a", "b"]);
    expect(r.state.status).toBe("open");
  });

  it("a rule that throws is reported failed and skipped; the others still run", async () => {
    const [ok] = compileRules([
      { id: "ok", name: "ok", conditions: { all: [], any: [] }, actions: [{ type: "add_tags", value: ["seen"] }] },
    ]);
    const bad: CompiledRule = {
      id: "bad",
      name: "bad",
      actions: [],
      test: () => {
        throw new Error("boom");
      },
    };
    const t: TicketState = {
      status: "new",
      priority: "low",
      assigneeId: null,
      groupId: null,
      requesterId: USERS[0]!,
      requesterDomain: "",
      subject: "",
      tags: [],
    };
    const r = await planRun(
      [bad, ok!],
      t,
      { event: "created", channel: "web", body: null, before: null, slaBreached: false, businessHours: () => false },
      apply,
    );
    expect(r.fired).toEqual(["ok"]);
    expect(r.failed).toEqual([{ id: "bad", error: "boom" }]);
    expect(r.state.tags).toEqual(["seen"]);
  });
});

describe("rule schemas", () => {
  it("name the path of a bad condition or action", () => {
    const r = ZTriggerInput.safeParse({
      name: "x",
      conditions: {
        all: [
          { field: "status", op: "is", value: "open" },
          { field: "priority", op: "is", value: "sky-high" },
        ],
      },
      actions: [{ type: "set_status", value: "open" }, { type: "explode" }],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    expect(paths).toContain("conditions.all.1");
    expect(paths.some((p) => p.startsWith("actions.1"))).toBe(true);
  });

  it("accept a rule with every kind of condition", () => {
    expect(
      ZConditions.safeParse({
        all: [
          { field: "channel", op: "is", value: "email" },
          { field: "tags", op: "added", value: "vip" },
        ],
        any: [],
      }).success,
    ).toBe(true);
    expect(
      ZConditions.safeParse({ all: [{ field: "requester_domain", op: "is", value: "Example.COM" }] }).data?.all[0],
    ).toMatchObject({ value: "example.com" });
  });
});

describe("placeholders", () => {
  it("finds unknown names and renders known ones", () => {
    expect(
      unknownPlaceholders("Hi {{requester.first_name}}, {{ ticket.number }} {{requester.shoe_size}} {{nope}} {{nope}}"),
    ).toEqual(["requester.shoe_size", "nope"]);
    expect(
      renderTemplate("Hi {{requester.first_name}}, #{{ ticket.number }} {{assignee.name}}.", {
        "requester.first_name": "Ada",
        "ticket.number": "42",
      }),
    ).toBe("Hi Ada, #42 .");
  });
});
