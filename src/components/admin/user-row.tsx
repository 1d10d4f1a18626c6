"use client";

import { useId } from "react";
import { LocalTime } from "../local-time";
import { ActionFeedback } from "../use-api-action";
import { EnumOptions } from "@/components/enum-options";
import { ROLE_KEYS, ROLE_LABELS } from "@/lib/ticket-labels";
import s from "./admin.module.css";
import { ConfirmDialog } from "./confirm-dialog";
import { ShownOnce } from "./shown-once";
import { USER_ACTIONS, type AdminUserRow, type Role } from "./user-actions";
import { useUserRow, type UserRowState } from "./use-user-row";

type Props = { user: AdminUserRow; version: number; self: boolean };

/**
 * One user: role change, block/unblock, revoke sessions, reset password, reset two-factor — each
 * confirmed first (the actions are the table in user-actions.ts, the state is useUserRow).
 */
export function UserRow({ user, version, self }: Props) {
  const row = useUserRow(user, version);
  return (
    <tr data-testid={`user-${user.email}`}>
      <td>
        <div className={s.who}>
          <strong>
            {user.name}
            {self ? " (you)" : ""}
          </strong>
          <span>{user.email}</span>
        </div>
      </td>
      <td>
        <RoleCell row={row} user={user} />
      </td>
      <td>
        <span className={s.cellLabel}>Status:</span>
        <StatusBadges user={user} />
      </td>
      <td className={s.nowrap}>
        <span className={s.cellLabel}>Last sign-in:</span>
        {user.lastSignInAt ? <LocalTime iso={user.lastSignInAt} /> : <span className="muted">Never</span>}
      </td>
      <td>
        <ActionsMenu row={row} user={user} self={self} />
        <ActionFeedback status={row.status} failure={row.failure} />
        <OnceLinkPanel row={row} />
        <ConfirmAction row={row} />
      </td>
    </tr>
  );
}

function RoleCell({ row, user }: { row: UserRowState; user: AdminUserRow }) {
  const id = useId();
  const { role, who } = row.target;
  return (
    <div className={s.roleCell}>
      <span className={s.cellLabel} aria-hidden="true">
        Role:
      </span>
      <label htmlFor={`${id}-role`} className="visually-hidden">
        Role of {who}
      </label>
      <select
        id={`${id}-role`}
        className={s.small}
        value={role}
        onChange={(e) => row.setRole(e.target.value as Role)}
        disabled={row.busy}
      >
        <EnumOptions keys={ROLE_KEYS} labels={ROLE_LABELS} />
      </select>
      {role !== user.role ? (
        <>
          <button type="button" className="button subtle" onClick={row.confirmRole} disabled={row.busy}>
            Apply
          </button>
          <button type="button" className="button subtle" onClick={() => row.setRole(user.role)} disabled={row.busy}>
            Undo
          </button>
        </>
      ) : null}
    </div>
  );
}

function StatusBadges({ user }: { user: AdminUserRow }) {
  return (
    <span className={s.badges}>
      {user.blocked ? (
        <span className={`${s.badge} ${s.badgeDanger}`}>Blocked</span>
      ) : (
        <span className={`${s.badge} ${s.badgeOk}`}>Active</span>
      )}
      {user.invited ? <span className={`${s.badge} ${s.badgeInfo}`}>Invited</span> : null}
      {user.mustChangePassword ? <span className={`${s.badge} ${s.badgeWarn}`}>Must change password</span> : null}
      {user.twoFactorEnabled ? <span className={`${s.badge} ${s.badgeOk}`}>Two-factor on</span> : null}
    </span>
  );
}

/** A row menu (UI review 5): the actions fold behind one button; destructive ones still ask first. */
function ActionsMenu({ row, user, self }: { row: UserRowState; user: AdminUserRow; self: boolean }) {
  const menuId = useId();
  const { who } = row.target;
  return (
    <>
      <button
        type="button"
        className="button"
        aria-expanded={row.menuOpen}
        aria-controls={`${menuId}-actions`}
        onClick={row.toggleMenu}
        aria-label={`Actions for ${who}`}
      >
        Actions <span aria-hidden="true">▾</span>
      </button>
      <div
        id={`${menuId}-actions`}
        className={s.rowActions}
        aria-label={`Actions for ${who}`}
        role="group"
        hidden={!row.menuOpen}
      >
        {user.blocked ? (
          <button type="button" className="button" onClick={() => row.ask("unblock")} disabled={row.busy}>
            Unblock
          </button>
        ) : (
          <button
            type="button"
            className={`button ${s.dangerOutline}`}
            onClick={() => row.ask("block")}
            disabled={row.busy || self}
            title={self ? "You cannot block yourself" : undefined}
          >
            Block
          </button>
        )}
        <button type="button" className="button" onClick={() => row.ask("revoke")} disabled={row.busy}>
          Revoke sessions
        </button>
        <button type="button" className="button" onClick={() => row.ask("reset")} disabled={row.busy}>
          {user.invited ? "Resend invitation" : "Reset password"}
        </button>
        {user.twoFactorEnabled && !self ? (
          <button type="button" className="button" onClick={() => row.ask("2fa")} disabled={row.busy}>
            Turn off two-factor
          </button>
        ) : null}
      </div>
    </>
  );
}

function OnceLinkPanel({ row }: { row: UserRowState }) {
  const { link, target } = row;
  if (!link) return null;
  return (
    <ShownOnce
      title={`New ${link.purpose} — shown only once`}
      label={`${link.purpose} for ${target.who}`}
      value={link.url}
      onDone={row.closeLink}
      doneLabel="Done"
    >
      <p>
        No mail server is configured. Send this link to {target.who} yourself; it expires{" "}
        <LocalTime iso={link.expiresAt} />.
      </p>
    </ShownOnce>
  );
}

function ConfirmAction({ row }: { row: UserRowState }) {
  const asking = row.asking;
  if (!asking) return null;
  const c = USER_ACTIONS[asking];
  return (
    <ConfirmDialog
      open
      title={c.title}
      confirmLabel={c.label}
      danger={c.danger}
      busy={row.busy}
      onConfirm={() => void row.run(asking)}
      onCancel={row.cancel}
    >
      <p>{c.explain(row.target)}</p>
    </ConfirmDialog>
  );
}
