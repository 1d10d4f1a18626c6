import type { Action, Conditions } from "./rule-schemas";

// The time rules every org starts with (docs/decisions/042-automation-api.md). They are ordinary
// rules: the org's admins may edit, disable or delete them, and then they do what the admin made
// of them (a deleted auto-close rule closes nothing). New orgs get them at creation
// (bootstrap-org.ts), the demo orgs in the seed, and orgs that existed before in drizzle/0019 —
// whose INSERT must stay equal to this (tests/integration/automation-defaults.test.ts checks it).

export type DefaultAutomation = {
  name: string;
  position: number;
  active: boolean;
  conditions: Conditions;
  actions: Action[];
};

/**
 * SPEC §5: solved tickets become closed after 4 days without activity. "Without activity" is the
 * `updated` anchor (tickets.updated_at, moved by every change and comment), which is what the
 * separate auto-close job this replaces counted from.
 */
export const AUTO_CLOSE_RULE: DefaultAutomation = {
  name: "Close solved tickets after 4 days",
  position: 0,
  active: true,
  conditions: {
    all: [
      { field: "hours_since", anchor: "updated", op: "gte", value: 96 },
      { field: "status", op: "is", value: "solved" },
    ],
    any: [],
  },
  actions: [{ type: "set_status", value: "closed" }],
};

export const DEFAULT_AUTOMATIONS: readonly DefaultAutomation[] = [AUTO_CLOSE_RULE];

/** Rows for the automations table: the defaults of one org. */
export function defaultAutomationRows(orgId: string) {
  return DEFAULT_AUTOMATIONS.map((r) => ({
    orgId,
    name: r.name,
    position: r.position,
    active: r.active,
    conditions: r.conditions,
    actions: r.actions,
  }));
}
