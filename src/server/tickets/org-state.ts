import "server-only";
import { sql, type SQL } from "drizzle-orm";
import type { OrgSettings } from "../db/schema/orgs";
import type { calendars, slaPolicies } from "../db/schema/sla";
import type { TicketPriority } from "../db/schema/enums";
import type { RuleSource } from "../automation/evaluate";
import type { Tx } from "../db/tenant";
import { adoptTriggerSet, knownTriggerSet, type RuleSet, type RunExtras } from "../automation/rule-cache";
import { storedPolicyClock, type SlaClock } from "../sla/policy-clock";
import type { FieldDef } from "../fields/custom-values";
import { executePrepared } from "../db/prepared";

// What every ticket write reads of its org, cached per process (issue 16 item 2, decision 047):
// the settings and name, the SLA policies with their calendars, and the trigger set. A write asks
// for them in a statement it sends anyway (the org-state columns of `orgStateColumns`), which
// returns the versions always and the contents only when they differ from this process's copy:
// orgs.config_version (bumped by database triggers on orgs, sla_policies and calendars, drizzle/0022,
// and on ticket_fields, drizzle/0024: a write checks custom field values against the definitions)
// and automation_versions.version (bumped by every trigger change). Another process's change is so
// seen by the next write here, with no extra round trip and no LISTEN connection.

type Policy = typeof slaPolicies.$inferSelect;
type Calendar = typeof calendars.$inferSelect;
export type LoadedPolicy = { policy: Policy; clock: SlaClock };
export type OrgConfig = {
  version: number;
  name: string;
  settings: OrgSettings;
  policies: Map<TicketPriority, LoadedPolicy>;
  fields: FieldDef[];
};
export type OrgState = { config: OrgConfig; triggers: { set: RuleSet; extras: RunExtras } };

const MAX_ORGS = 5_000;
const g = globalThis as unknown as { __beaconOrgConfigs?: Map<string, OrgConfig> };
const configs = (g.__beaconOrgConfigs ??= new Map());

/** Row shape of the org-state columns. */
export type OrgStateRow = {
  cv: string;
  config: { name: string; settings: OrgSettings; policies: StoredPolicy[]; fields: Dated<FieldDef>[] } | null;
  tv: string | null;
  rules: RuleSource[] | null;
  requester: RunExtras["requester"];
};
type Dated<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };
type StoredPolicy = { policy: Dated<Policy>; calendar: Dated<Calendar> | null };

const POLICY_JSON =
  sql.raw(`json_build_object('orgId', p.org_id, 'id', p.id, 'priority', p.priority, 'firstResponseMinutes', p.first_response_minutes,
  'resolveMinutes', p.resolve_minutes, 'nextResponseMinutes', p.next_response_minutes, 'businessHours', p.business_hours, 'calendarId', p.calendar_id,
  'pauseOn', p.pause_on, 'version', p.version, 'createdAt', p.created_at, 'updatedAt', p.updated_at)`);
const FIELD_JSON =
  sql.raw(`json_build_object('orgId', f.org_id, 'id', f.id, 'key', f.key, 'label', f.label, 'type', f.type, 'options', f.options,
  'requiredOnCreate', f.required_on_create, 'requiredOnSolve', f.required_on_solve, 'customerVisible', f.customer_visible,
  'customerEditable', f.customer_editable, 'position', f.position, 'version', f.version, 'createdAt', f.created_at, 'updatedAt', f.updated_at)`);
const CALENDAR_JSON =
  sql.raw(`case when c.id is null then null else json_build_object('orgId', c.org_id, 'id', c.id, 'name', c.name, 'timezone', c.timezone,
  'intervals', c.intervals, 'holidays', c.holidays, 'createdAt', c.created_at, 'updatedAt', c.updated_at) end`);

/**
 * The org-state columns for a select over `orgs o` left-joined to `automation_versions v` (on
 * v.org_id = o.id), and the reader of their row. `requesterId` is the user whose id, name and email a
 * trigger run needs (and whose existence a create checks): a parameter, or a column of the
 * statement. The copies this process holds are captured here, so a concurrent refresh cannot leave
 * the reader with a version whose contents were not read.
 */
export function orgStateQuery(orgId: string, requesterId: SQL): { columns: SQL; read: (row: OrgStateRow) => OrgState } {
  const knownConfig = configs.get(orgId);
  const knownSet = knownTriggerSet(orgId);
  const columns = sql`o.config_version::text as cv,
    case when o.config_version = ${knownConfig?.version ?? -1} then null else json_build_object('name', o.name, 'settings', o.settings, 'policies',
      (select coalesce(json_agg(json_build_object('policy', ${POLICY_JSON}, 'calendar', ${CALENDAR_JSON})), '[]'::json)
       from sla_policies p left join calendars c on c.org_id = p.org_id and c.id = p.calendar_id where p.org_id = o.id),
      'fields', (select coalesce(json_agg(${FIELD_JSON} order by f.position, f.key), '[]'::json) from ticket_fields f where f.org_id = o.id)) end as config,
    v.version::text as tv,
    case when v.version is null or v.version = ${knownSet?.version ?? -1} then null else (
      select coalesce(json_agg(json_build_object('id', t.id, 'name', t.name, 'conditions', t.conditions, 'actions', t.actions)
                      order by t.position, t.created_at, t.id), '[]'::json)
      from triggers t where t.org_id = o.id and t.active) end as rules,
    (select json_build_object('id', u.id, 'name', u.name, 'email', u.email) from users u where u.org_id = o.id and u.id = ${requesterId}) as requester`;
  const read = (row: OrgStateRow): OrgState => {
    const version = Number(row.cv);
    let config = knownConfig;
    if (!config || config.version !== version || row.config) {
      if (!row.config)
        throw new Error("org state: the config was not read although this process has no copy of its version");
      const policies = new Map<TicketPriority, LoadedPolicy>();
      for (const s of row.config.policies) {
        const policy = dated(s.policy) as Policy;
        const calendar = s.calendar ? (dated(s.calendar) as Calendar) : null;
        policies.set(policy.priority, { policy, clock: storedPolicyClock(policy, calendar) });
      }
      const fields = row.config.fields.map((f) => dated(f) as FieldDef);
      config = { version, name: row.config.name, settings: row.config.settings, policies, fields };
      if (configs.size >= MAX_ORGS) configs.delete(configs.keys().next().value!);
      configs.set(orgId, config);
    }
    const tv = row.tv === null ? null : Number(row.tv);
    const set =
      tv !== null && knownSet && knownSet.version === tv && row.rules === null
        ? knownSet
        : adoptTriggerSet(orgId, tv, row.rules);
    return { config, triggers: { set, extras: { requester: row.requester, orgName: config.name } } };
  };
  return { columns, read };
}

/** The org's state on its own (one statement): for a create, which has no ticket to read it with. */
export async function readOrgState(tx: Tx, orgId: string, requesterId: string): Promise<OrgState> {
  const q = orgStateQuery(orgId, sql`${requesterId}::uuid`);
  const r = await executePrepared<OrgStateRow>(
    tx,
    sql`select ${q.columns} from orgs o left join automation_versions v on v.org_id = o.id where o.id = ${orgId}`,
  );
  return q.read(r.rows[0]!);
}

function dated<T extends { createdAt: string; updatedAt: string }>(
  o: T,
): Omit<T, "createdAt" | "updatedAt"> & { createdAt: Date; updatedAt: Date } {
  return { ...o, createdAt: new Date(o.createdAt), updatedAt: new Date(o.updatedAt) };
}

/** The org's warning lead time (settings.slaWarningMinutes, default 15) in seconds. */
export const leadSecondsOf = (c: OrgConfig): number => (c.settings.slaWarningMinutes ?? 15) * 60;
