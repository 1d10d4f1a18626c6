import type { Metadata } from "next";
import Form from "next/form";
import Link from "next/link";
import s from "@/components/admin/admin.module.css";
import { AuditVerify } from "@/components/admin/audit-verify";
import { LocalTime } from "@/components/local-time";
import { first, type SearchParams } from "@/lib/list-params";
import { isUuid } from "@/lib/ticket-labels";
import { listAudit, ZListAudit } from "@/server/audit/list-audit";
import { withPageContext } from "@/server/auth/page-context";
import { requireAdmin } from "../require-admin";
import { AppError } from "@/server/core/errors";
import { listUsers, ZListUsers } from "@/server/users/list-users";

export const metadata: Metadata = { title: "Audit log" };

const FILTERS = ["action", "entityType", "entityId", "actorId"] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

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

const href = (f: Partial<Filters>, cursor?: string) => {
  const p = new URLSearchParams();
  for (const k of FILTERS) if (f[k]) p.set(k, f[k]!);
  if (cursor) p.set("cursor", cursor);
  const q = p.toString();
  return q ? `/admin/audit?${q}` : "/admin/audit";
};

export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const user = await requireAdmin("/admin/audit");
  const sp = await searchParams;
  const f = Object.fromEntries(FILTERS.map((k) => [k, (first(sp[k]) ?? "").trim()])) as Filters;
  const cursor = first(sp.cursor) ?? "";
  const raw: Record<string, string> = { limit: "50" };
  for (const k of FILTERS) if (f[k]) raw[k] = f[k];
  if (cursor) raw.cursor = cursor;
  const parsed = ZListAudit.safeParse(raw);

  const query = parsed.success ? parsed.data : null;
  const data = await withPageContext(user, async (scope) => {
    // Names for the actor column and filter (the first 100 people by email).
    const people = await listUsers(scope, ZListUsers.parse({ limit: "100" }));
    if (!query)
      return {
        people: people.data,
        page: null,
        error: parsed.success ? null : "Those filters are not valid: use names such as ticket.updated and user.",
      };
    try {
      return { people: people.data, page: await listAudit(scope, query), error: null };
    } catch (err) {
      if (err instanceof AppError && (err.code === "validation_failed" || err.code === "invalid_cursor"))
        return { people: people.data, page: null, error: "That page link is no longer valid." };
      throw err;
    }
  });

  const names = new Map(data.people.map((p) => [p.id, p.name]));
  const filtered = FILTERS.some((k) => f[k]);

  return (
    <>
      <div className={s.pageHead}>
        <h1>Audit log</h1>
        <p className="muted">
          Every change in your organization, newest first. Each entry carries the hash of the one before it, so an
          edited or deleted entry breaks the chain — verify it at any time.
        </p>
      </div>

      <section className="card" aria-labelledby="verify-title">
        <div className={s.section}>
          <h2 id="verify-title">Chain integrity</h2>
          <AuditVerify />
        </div>
      </section>

      <section className="card" aria-labelledby="events-title">
        <div className={s.section}>
          <h2 id="events-title">Events</h2>
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
                {data.people.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name} ({p.email})
                  </option>
                ))}
                {f.actorId && !names.has(f.actorId) ? <option value={f.actorId}>{f.actorId}</option> : null}
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

          {data.error ? (
            <p className="error" role="alert">
              {data.error} <Link href="/admin/audit">Start over</Link>
            </p>
          ) : null}
          {data.page && data.page.data.length === 0 ? (
            <p className="muted">{filtered ? "No events match these filters." : "No events yet."}</p>
          ) : null}
          {data.page && data.page.data.length > 0 ? (
            <div className={s.tableWrap}>
              <table className={`${s.table} ${s.stack}`} data-testid="audit-table">
                <caption className="visually-hidden">Audit events, newest first{filtered ? ", filtered" : ""}</caption>
                <thead>
                  <tr>
                    <th scope="col" className={s.num}>
                      #
                    </th>
                    <th scope="col">When</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Action</th>
                    <th scope="col">Entity</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {data.page.data.map((e) => (
                    <tr key={e.seq}>
                      <td className={s.num}>
                        <span className={s.cellLabel}>#</span>
                        {e.seq}
                      </td>
                      <td className={s.nowrap}>
                        <LocalTime iso={e.at} />
                      </td>
                      <td>
                        <span className={s.cellLabel}>By:</span>
                        {e.actorId ? (
                          <Link href={href({ ...f, actorId: e.actorId })}>{names.get(e.actorId) ?? "Someone"}</Link>
                        ) : (
                          <span className="muted">System</span>
                        )}
                      </td>
                      <td>
                        <Link className={s.mono} href={href({ ...f, action: e.action })}>
                          {e.action}
                        </Link>
                      </td>
                      <td>
                        <span className={s.cellLabel}>Entity:</span>
                        {e.entityId ? (
                          <Link
                            className={s.mono}
                            href={href({ ...f, entityType: e.entityType, entityId: e.entityId })}
                          >
                            {e.entityType} {isUuid(e.entityId) ? `${e.entityId.slice(0, 8)}…` : e.entityId}
                          </Link>
                        ) : (
                          <span className={s.mono}>{e.entityType}</span>
                        )}
                        {e.entityType === "ticket" && e.entityId ? (
                          <>
                            {" "}
                            · <Link href={`/tickets/${e.entityId}`}>open ticket</Link>
                          </>
                        ) : null}
                      </td>
                      <td>
                        {Object.keys(e.data).length ? (
                          <details className={s.data}>
                            <summary>
                              Data<span className="visually-hidden"> of event {e.seq}</span>
                            </summary>
                            <pre>{JSON.stringify(e.data, null, 2)}</pre>
                          </details>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {cursor || data.page?.nextCursor ? (
            <nav className={s.pager} aria-label="Pages of the audit log">
              {cursor ? (
                <Link className="button subtle" href={href(f)}>
                  Newest
                </Link>
              ) : null}
              {data.page?.nextCursor ? (
                <Link className="button subtle" href={href(f, data.page.nextCursor)}>
                  Older events
                </Link>
              ) : null}
            </nav>
          ) : null}
        </div>
      </section>
    </>
  );
}
