import type { Metadata } from "next";
import Form from "next/form";
import Link from "next/link";
import s from "@/components/admin/admin.module.css";
import { OrgSecurityForm } from "@/components/admin/org-security-form";
import { TokenPolicyForm } from "@/components/admin/token-policy-form";
import { InviteUserForm } from "@/components/admin/users-admin";
import type { AdminUserRow } from "@/components/admin/user-actions";
import { UserRow } from "@/components/admin/user-row";
import type { SearchParams } from "@/lib/list-params";
import { loadListPage, readParams } from "@/server/pages/list-page";
import { withPageContext } from "@/server/auth/page-context";
import { requireAdmin } from "../require-admin";
import { getOrgSecurity } from "@/server/auth/org-security";
import { isFeatureEnabled } from "@/server/flags/flags";
import { twoFactorStatus } from "@/server/auth/two-factor";
import { ROLES } from "@/server/db/schema/enums";
import { getVersionedUser } from "@/server/users/get-user";
import { listUsers, ZListUsers } from "@/server/users/list-users";
import { EnumOptions } from "@/components/enum-options";

export const metadata: Metadata = { title: "Users" };

const ROLE_NAMES = { admin: "Admins", agent: "Agents", customer: "Customers" } as const;

export default async function UsersPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const user = await requireAdmin("/admin/users");
  const params = readParams(await searchParams, ["q", "role", "cursor"] as const);
  const q = params.q ?? "";
  const role = params.role ?? "";

  const data = await withPageContext(user, async (scope) => {
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
  // A stale cursor was dropped: this is the first page.
  const cursor = data.notice ? "" : (params.cursor ?? "");

  const filtered = Boolean(q || role);
  const next = data.list?.nextCursor
    ? `/admin/users?${new URLSearchParams({ ...(q ? { q } : {}), ...(role ? { role } : {}), cursor: data.list.nextCursor }).toString()}`
    : null;

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
          <Form action="/admin/users" className={s.filters} role="search" aria-label="Filter users">
            <div className="field">
              <label htmlFor="users-q">Name or email</label>
              <input id="users-q" name="q" type="search" defaultValue={q} autoComplete="off" />
            </div>
            <div className="field">
              <label htmlFor="users-role">Role</label>
              <select id="users-role" name="role" defaultValue={role}>
                <option value="">Everyone</option>
                <EnumOptions keys={ROLES} labels={ROLE_NAMES} />
              </select>
            </div>
            <div className={s.formActions}>
              <button type="submit" className="button">
                Filter
              </button>
              {filtered ? (
                <Link href="/admin/users" className="button subtle">
                  Clear
                </Link>
              ) : null}
            </div>
          </Form>

          {data.error ? (
            <p className="error" role="alert">
              {data.error} <Link href="/admin/users">Show everyone</Link>
            </p>
          ) : null}
          {data.notice ? (
            <p className="notice" role="alert">
              {data.notice}
            </p>
          ) : null}

          {data.list && data.list.rows.length === 0 ? (
            <p className="muted">{filtered ? "Nobody matches these filters." : "No users yet."}</p>
          ) : null}

          {data.list && data.list.rows.length > 0 ? (
            <div className={s.tableWrap}>
              <table className={`${s.table} ${s.stack}`} data-testid="users-table">
                <caption className="visually-hidden">Users of {user.org.name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Person</th>
                    <th scope="col">Role</th>
                    <th scope="col">Status</th>
                    <th scope="col">Last sign-in</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {data.list.rows.map((u) => (
                    <UserRow key={u.id} user={u} version={u.version} self={u.id === user.userId} />
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}

          {cursor || next ? (
            <nav className={s.pager} aria-label="Pages of users">
              {cursor ? (
                <Link
                  className="button subtle"
                  href={`/admin/users?${new URLSearchParams({ ...(q ? { q } : {}), ...(role ? { role } : {}) }).toString()}`}
                >
                  First page
                </Link>
              ) : null}
              {next ? (
                <Link className="button subtle" href={next}>
                  Next page
                </Link>
              ) : null}
            </nav>
          ) : null}
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
