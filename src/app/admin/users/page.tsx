import type { Metadata } from "next";
import Link from "next/link";
import s from "@/components/admin/admin.module.css";
import { ListNotices } from "@/components/list-notices";
import { OrgSecurityForm } from "@/components/admin/org-security-form";
import { TokenPolicyForm } from "@/components/admin/token-policy-form";
import { InviteUserForm } from "@/components/admin/users-admin";
import type { AdminUserRow } from "@/components/admin/user-actions";
import { UsersFilterForm, UsersPager, UsersTable, type UsersFilters } from "@/components/admin/users-list";
import type { SearchParams } from "@/lib/list-params";
import { loadListPage, readParams } from "@/server/pages/list-page";
import { withPageContext } from "@/server/auth/page-context";
import type { PageUser } from "@/server/auth/page-session";
import { requireAdmin } from "../require-admin";
import { getOrgSecurity } from "@/server/auth/org-security";
import { isFeatureEnabled } from "@/server/flags/flags";
import { twoFactorStatus } from "@/server/auth/two-factor";
import { getVersionedUser } from "@/server/users/get-user";
import { listUsers, ZListUsers } from "@/server/users/list-users";

export const metadata: Metadata = { title: "Users" };

/** The org's sign-in security, whether invitations are on, and the page of users the URL asks for. */
function loadUsers(user: PageUser, params: Record<string, string>) {
  return withPageContext(user, async (scope) => {
    const security = await getOrgSecurity(scope);
    const own = await twoFactorStatus(scope);
    const invites = await isFeatureEnabled(scope.tx, scope.user.orgId, "signup_tokens");
    const loaded = await loadListPage(ZListUsers, { limit: "50", ...params }, (query) => listUsers(scope, query));
    if (!loaded.ok) {
      const error = loaded.issues ? "Those filters are not valid." : "That page link is no longer valid.";
      return { security, own, invites, list: null, notice: null, error };
    }
    const rows: (AdminUserRow & { version: number })[] = [];
    // One short primary-key read per listed user (≤ 50) for the account-security columns and the
    // version the row's changes are made on (If-Match, decision 043).
    for (const u of loaded.page.data) {
      const { user: detail, version } = await getVersionedUser(scope, u.id);
      rows.push({ ...detail, version });
    }
    const list = { rows, nextCursor: loaded.page.nextCursor };
    return { security, own, invites, list, notice: loaded.notice, error: null };
  });
}

type UsersData = Awaited<ReturnType<typeof loadUsers>>;

export default async function UsersPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const user = await requireAdmin("/admin/users");
  const params = readParams(await searchParams, ["q", "role", "cursor"] as const);
  const filters = { q: params.q ?? "", role: params.role ?? "" };
  const data = await loadUsers(user, params);
  // A stale cursor was dropped: this is the first page.
  const cursor = data.notice ? "" : (params.cursor ?? "");

  return (
    <>
      <div className={s.pageHead}>
        <h1>Users</h1>
        <p className="muted">
          Invite people, change their role, block them, sign them out everywhere or send a password reset.
        </p>
      </div>

      {data.invites ? (
        <section className="card" aria-labelledby="invite-title">
          <div className={s.section}>
            <h2 id="invite-title">Invite someone</h2>
            <InviteUserForm />
          </div>
        </section>
      ) : (
        <p className="notice" role="note">
          Sign-up links are switched off, so nobody can be invited right now. Turn them back on under{" "}
          <Link href="/admin/flags">Feature flags</Link>.
        </p>
      )}

      <section className="card" aria-labelledby="people-title">
        <div className={s.section}>
          <div className={s.sectionHead}>
            <h2 id="people-title">People</h2>
          </div>
          <UsersFilterForm filters={filters} />
          <People data={data} filters={filters} cursor={cursor} orgName={user.org.name} selfId={user.userId} />
        </div>
      </section>

      <section className="card" aria-labelledby="security-title">
        <div className={s.section}>
          <h2 id="security-title">Sign-in security</h2>
          <OrgSecurityForm
            require2fa={data.security.require2fa}
            staffWithoutTwoFactor={data.security.staffWithoutTwoFactor}
            ownTwoFactor={data.own.enabled}
          />
          <TokenPolicyForm
            tokenMaxDays={data.security.tokenMaxDays}
            allowNonExpiringTokens={data.security.allowNonExpiringTokens}
          />
        </div>
      </section>
    </>
  );
}

type PeopleProps = { data: UsersData; filters: UsersFilters; cursor: string; orgName: string; selfId: string };

/** Why the list is not shown, or the stale-link notice; then the people (or that there are none) and the pager. */
function People({ data, filters, cursor, orgName, selfId }: PeopleProps) {
  const rows = data.list?.rows ?? [];
  return (
    <>
      <ListNotices error={data.error} notice={data.notice} reset={{ href: "/admin/users", label: "Show everyone" }} />
      {data.list && rows.length === 0 ? (
        <p className="muted">{filters.q || filters.role ? "Nobody matches these filters." : "No users yet."}</p>
      ) : null}
      {rows.length > 0 ? <UsersTable rows={rows} orgName={orgName} selfId={selfId} /> : null}
      <UsersPager filters={filters} cursor={cursor} nextCursor={data.list?.nextCursor ?? null} />
    </>
  );
}
