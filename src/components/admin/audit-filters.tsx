import Form from "next/form";
import Link from "next/link";
import s from "./admin.module.css";

// The audit log's URL state (/admin/audit?action=…&cursor=…) and its filter form.

export const AUDIT_FILTERS = ["action", "entityType", "entityId", "actorId"] as const;
export type AuditFilters = Record<(typeof AUDIT_FILTERS)[number], string>;

/** A link to the audit log with these filters (and a page's cursor). */
export const auditHref = (f: Partial<AuditFilters>, cursor?: string) => {
  const p = new URLSearchParams();
  for (const k of AUDIT_FILTERS) if (f[k]) p.set(k, f[k]!);
  if (cursor) p.set("cursor", cursor);
  const q = p.toString();
  return q ? `/admin/audit?${q}` : "/admin/audit";
};

// Suggestions only: the filter takes any action name.
const KNOWN_ACTIONS = [
  "ticket.created",
  "ticket.updated",
  "ticket.auto_closed",
  "attachment.added",
  "export.started",
  "user.created",
  "user.updated",
  "user.blocked",
  "user.unblocked",
  "user.sessions_revoked",
  "user.password_reset",
  "user.password_changed",
  "user.invite_resent",
  "user.2fa_enabled",
  "user.2fa_disabled",
  "user.2fa_reset",
  "org.security_updated",
  "org.sla_settings_updated",
  "sla_policy.created",
  "sla_policy.updated",
  "sla_policy.deleted",
  "webhook.created",
  "webhook.updated",
  "webhook.deleted",
  "feature_flag.set",
  "job.replayed",
  "job.dropped",
  "user.signin_unlocked",
  "org.setup_link_reissued",
];
const ENTITY_TYPES = ["ticket", "user", "webhook", "sla_policy", "feature_flag", "org", "job"];

type Person = { id: string; name: string; email: string };

/** The filter form; a value the suggestions do not list (from a link) is kept as an extra option. */
export function AuditFilterForm({ filters: f, people }: { filters: AuditFilters; people: Person[] }) {
  const filtered = AUDIT_FILTERS.some((k) => f[k]);
  return (
    <Form action="/admin/audit" className={s.filters} role="search" aria-label="Filter the audit log">
      <div className="field">
        <label htmlFor="audit-action">Action</label>
        <input
          id="audit-action"
          name="action"
          type="text"
          list="audit-actions"
          defaultValue={f.action}
          autoComplete="off"
          spellCheck={false}
          placeholder="e.g. user.blocked"
        />
        <datalist id="audit-actions">
          {KNOWN_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      </div>
      <div className="field">
        <label htmlFor="audit-entity-type">Entity type</label>
        <select id="audit-entity-type" name="entityType" defaultValue={f.entityType}>
          <option value="">Any</option>
          {ENTITY_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
          {f.entityType && !ENTITY_TYPES.includes(f.entityType) ? (
            <option value={f.entityType}>{f.entityType}</option>
          ) : null}
        </select>
      </div>
      <div className="field">
        <label htmlFor="audit-entity-id">Entity id</label>
        <input
          id="audit-entity-id"
          name="entityId"
          type="text"
          defaultValue={f.entityId}
          autoComplete="off"
          spellCheck={false}
        />
      </div>
      <div className="field">
        <label htmlFor="audit-actor">Actor</label>
        <select id="audit-actor" name="actorId" defaultValue={f.actorId}>
          <option value="">Anyone</option>
          {people.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({p.email})
            </option>
          ))}
          {f.actorId && !people.some((p) => p.id === f.actorId) ? <option value={f.actorId}>{f.actorId}</option> : null}
        </select>
      </div>
      <div className={s.formActions}>
        <button type="submit" className="button">
          Filter
        </button>
        {filtered ? (
          <Link href="/admin/audit" className="button subtle">
            Clear
          </Link>
        ) : null}
      </div>
    </Form>
  );
}
