import type { Metadata } from "next";
import Link from "next/link";
import s from "@/components/admin/admin.module.css";
import { ListNotices } from "@/components/list-notices";
import { AUDIT_FILTERS, AuditFilterForm, auditHref, type AuditFilters } from "@/components/admin/audit-filters";
import { AuditTable } from "@/components/admin/audit-table";
import { AuditVerify } from "@/components/admin/audit-verify";
import type { SearchParams } from "@/lib/list-params";
import { listAudit, ZListAudit } from "@/server/audit/list-audit";
import type { PageUser } from "@/server/auth/page-session";
import { withPageContext } from "@/server/auth/page-context";
import { loadListPage, readParams } from "@/server/pages/list-page";
import { listUsers, ZListUsers } from "@/server/users/list-users";
import { requireAdmin } from "../require-admin";

export const metadata: Metadata = { title: "Audit log" };

/** The people named in the log (the first 100 by email) and the page of events the URL asks for. */
function loadAudit(user: PageUser, params: Record<string, string>) {
  return withPageContext(user, async (scope) => {
    const people = (await listUsers(scope, ZListUsers.parse({ limit: "100" }))).data;
    const loaded = await loadListPage(ZListAudit, { limit: "50", ...params }, (query) => listAudit(scope, query));
    if (loaded.ok) return { people, page: loaded.page, notice: loaded.notice, error: null };
    const error = loaded.issues
      ? "Those filters are not valid: use names such as ticket.updated and user."
      : "That page link is no longer valid.";
    return { people, page: null, notice: null, error };
  });
}

type AuditData = Awaited<ReturnType<typeof loadAudit>>;

export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const user = await requireAdmin("/admin/audit");
  const params = readParams(await searchParams, [...AUDIT_FILTERS, "cursor"] as const);
  const filters = Object.fromEntries(AUDIT_FILTERS.map((k) => [k, params[k] ?? ""])) as AuditFilters;
  const data = await loadAudit(user, params);
  // A stale cursor was dropped: this is the first page.
  const cursor = data.notice ? "" : (params.cursor ?? "");

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
          <AuditFilterForm filters={filters} people={data.people} />
          <AuditEvents data={data} filters={filters} cursor={cursor} />
        </div>
      </section>
    </>
  );
}

/** Why the log is not shown, or the stale-link notice; then the events (or that there are none) and the pager. */
function AuditEvents({ data, filters, cursor }: { data: AuditData; filters: AuditFilters; cursor: string }) {
  const filtered = AUDIT_FILTERS.some((k) => filters[k]);
  const events = data.page?.data ?? [];
  const names = new Map(data.people.map((p) => [p.id, p.name]));
  return (
    <>
      <ListNotices error={data.error} notice={data.notice} reset={{ href: "/admin/audit", label: "Start over" }} />
      {data.page && events.length === 0 ? (
        <p className="muted">{filtered ? "No events match these filters." : "No events yet."}</p>
      ) : null}
      {events.length > 0 ? <AuditTable events={events} filters={filters} names={names} filtered={filtered} /> : null}
      <AuditPager filters={filters} cursor={cursor} nextCursor={data.page?.nextCursor ?? null} />
    </>
  );
}

function AuditPager({
  filters,
  cursor,
  nextCursor,
}: {
  filters: AuditFilters;
  cursor: string;
  nextCursor: string | null;
}) {
  if (!cursor && !nextCursor) return null;
  return (
    <nav className={s.pager} aria-label="Pages of the audit log">
      {cursor ? (
        <Link className="button subtle" href={auditHref(filters)}>
          Newest
        </Link>
      ) : null}
      {nextCursor ? (
        <Link className="button subtle" href={auditHref(filters, nextCursor)}>
          Older events
        </Link>
      ) : null}
    </nav>
  );
}
