import Form from "next/form";
import Link from "next/link";
import { EnumOptions } from "@/components/enum-options";
import { ROLES } from "@/server/db/schema/enums";
import s from "./admin.module.css";
import type { AdminUserRow } from "./user-actions";
import { UserRow } from "./user-row";

// Admin → Users' list: its filter form, table and pager; the URL (/admin/users?q=…&role=…&cursor=…) holds the state.

export type UsersFilters = { q: string; role: string };

const ROLE_NAMES = { admin: "Admins", agent: "Agents", customer: "Customers" } as const;

/** The list with these filters, on the page after `cursor` (or the first). */
export const usersHref = ({ q, role }: UsersFilters, cursor?: string) =>
  `/admin/users?${new URLSearchParams({ ...(q ? { q } : {}), ...(role ? { role } : {}), ...(cursor ? { cursor } : {}) }).toString()}`;

export function UsersFilterForm({ filters }: { filters: UsersFilters }) {
  return (
    <Form action="/admin/users" className={s.filters} role="search" aria-label="Filter users">
      <div className="field">
        <label htmlFor="users-q">Name or email</label>
        <input id="users-q" name="q" type="search" defaultValue={filters.q} autoComplete="off" />
      </div>
      <div className="field">
        <label htmlFor="users-role">Role</label>
        <select id="users-role" name="role" defaultValue={filters.role}>
          <option value="">Everyone</option>
          <EnumOptions keys={ROLES} labels={ROLE_NAMES} />
        </select>
      </div>
      <div className={s.formActions}>
        <button type="submit" className="button">
          Filter
        </button>
        {filters.q || filters.role ? (
          <Link href="/admin/users" className="button subtle">
            Clear
          </Link>
        ) : null}
      </div>
    </Form>
  );
}

type Props = { rows: (AdminUserRow & { version: number })[]; orgName: string; selfId: string };

export function UsersTable({ rows, orgName, selfId }: Props) {
  return (
    <div className={s.tableWrap}>
      <table className={`${s.table} ${s.stack}`} data-testid="users-table">
        <caption className="visually-hidden">Users of {orgName}</caption>
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
          {rows.map((u) => (
            <UserRow key={u.id} user={u} version={u.version} self={u.id === selfId} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function UsersPager(props: { filters: UsersFilters; cursor: string; nextCursor: string | null }) {
  const { filters, cursor, nextCursor } = props;
  if (!cursor && !nextCursor) return null;
  return (
    <nav className={s.pager} aria-label="Pages of users">
      {cursor ? (
        <Link className="button subtle" href={usersHref(filters)}>
          First page
        </Link>
      ) : null}
      {nextCursor ? (
        <Link className="button subtle" href={usersHref(filters, nextCursor)}>
          Next page
        </Link>
      ) : null}
    </nav>
  );
}
