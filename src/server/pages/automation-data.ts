import "server-only";
import { allPages } from "../core/list-page";
import type { Scope } from "../core/scope";
import { listGroups } from "../automation/manage-groups";
import { listPolicies } from "../sla-policies/manage-policies";
import { listWebhooks } from "../webhooks/manage-webhooks";
import { listUsers, ZListUsers } from "../users/list-users";

type Named = { id: string; name: string };

/** Active agents and admins, by name: the assignee picker, group members, rule values. */
export async function assignableStaff(scope: Scope): Promise<Named[]> {
  const out: Named[] = [];
  for (const role of ["agent", "admin"] as const) {
    const page = await listUsers(scope, ZListUsers.parse({ limit: "100", role }));
    out.push(...page.data.filter((u) => !u.blocked).map((u) => ({ id: u.id, name: u.name })));
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * What the rule and macro editors offer in their selects (admins only: webhooks and SLA calendars
 * are admin reads): agents, groups, webhooks (by URL) and the calendars of the org's SLA policies.
 */
export async function automationRefs(
  scope: Scope,
): Promise<{ agents: Named[]; groups: Named[]; webhooks: Named[]; calendars: Named[] }> {
  const agents = await assignableStaff(scope);
  const groups = (await listGroups(scope)).data.map((g) => ({ id: g.id, name: g.name }));
  const webhooks = (await allPages((page) => listWebhooks(scope, page))).map((w) => ({ id: w.id, name: w.url }));
  const calendars = new Map<string, Named>();
  for (const p of (await listPolicies(scope)).data)
    if (p.calendar)
      calendars.set(p.calendar.id, { id: p.calendar.id, name: `${p.calendar.name} (${p.calendar.timezone})` });
  return { agents, groups, webhooks, calendars: [...calendars.values()] };
}
