"use client";

import { useRouter } from "next/navigation";
import { useId, useRef, useState, type FormEvent } from "react";
import type { components } from "@/lib/api-types";
import { api, type ApiFailure } from "../api-client";
import { LocalTime } from "../local-time";
import { ActionFeedback } from "../use-api-action";
import s from "./admin.module.css";
import { Field } from "../field";
import { ConfirmDialog } from "./confirm-dialog";
import { ShownOnce } from "./shown-once";
import { EnumOptions } from "@/components/enum-options";
import { ROLE_KEYS, ROLE_LABELS } from "@/lib/ticket-labels";

// The API's own types, generated from its OpenAPI document (src/lib/api-types.ts), not hand copies.
type Role = components["schemas"]["UserDetail"]["role"];
export type AdminUserRow = components["schemas"]["UserDetail"];

type Created = {
  id: string;
  email: string;
  name: string;
  invited: boolean;
  inviteUrl: string | null;
  inviteExpiresAt: string | null;
};

const issueFor = (e: ApiFailure | null, path: string) =>
  e?.issues.find((i) => i.path === path || i.path.endsWith(`.${path}`))?.message;

/** Invite by email: the link is emailed, or — with no mail server configured — shown here once to hand over. */
export function InviteUserForm() {
  const router = useRouter();
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [pending, setPending] = useState(false);
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const [status, setStatus] = useState("");

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const body = {
      email: String(form.get("email") ?? "").trim(),
      name: String(form.get("name") ?? "").trim(),
      role: String(form.get("role") ?? "agent"),
    };
    setPending(true);
    setFailure(null);
    setStatus("");
    setCreated(null);
    const r = await api<Created>("POST", "/api/v1/users", body);
    setPending(false);
    if (!r.ok) {
      setFailure(r.error);
      const bad = ["email", "name", "role"].find((p) => issueFor(r.error, p));
      if (bad) formRef.current?.querySelector<HTMLElement>(`[name="${bad}"]`)?.focus();
      return;
    }
    formRef.current?.reset();
    setCreated(r.data);
    setStatus(
      r.data.inviteUrl
        ? `${r.data.email} was added. Hand them the invitation link below.`
        : `Invitation emailed to ${r.data.email}.`,
    );
    router.refresh();
  }

  const emailErr = issueFor(failure, "email");
  const nameErr = issueFor(failure, "name");
  return (
    <>
      <form ref={formRef} onSubmit={submit} noValidate aria-describedby={`${id}-hint`}>
        <div className={s.formGrid}>
          <Field id={`${id}-email`} label="Email" error={emailErr && `Email ${emailErr}.`}>
            {(aria) => <input {...aria} name="email" type="email" required autoComplete="off" />}
          </Field>
          <Field id={`${id}-name`} label="Name" error={nameErr && `Name ${nameErr}.`}>
            {(aria) => <input {...aria} name="name" type="text" required autoComplete="off" maxLength={100} />}
          </Field>
          <div className="field">
            <label htmlFor={`${id}-role`}>Role</label>
            <select id={`${id}-role`} name="role" defaultValue="agent">
              <EnumOptions keys={ROLE_KEYS} labels={ROLE_LABELS} />
            </select>
          </div>
          <div className={s.formActions}>
            <button type="submit" className="button primary" disabled={pending} aria-busy={pending}>
              {pending ? "Inviting…" : "Send invitation"}
            </button>
          </div>
        </div>
        <p id={`${id}-hint`} className="hint" style={{ marginTop: "0.5rem" }}>
          They get a one-time link to choose their password; it works for 24 hours.
        </p>
      </form>
      <ActionFeedback status={status} failure={failure} />
      {created?.inviteUrl ? (
        <ShownOnce
          title="Invitation link — shown only once"
          label="Invitation link"
          value={created.inviteUrl}
          onDone={() => setCreated(null)}
          doneLabel="Done"
        >
          <p>
            No mail server is configured, so nothing was emailed. Send this link to {created.name} yourself, over a
            channel you trust.
            {created.inviteExpiresAt ? (
              <>
                {" "}
                It expires <LocalTime iso={created.inviteExpiresAt} />.
              </>
            ) : null}
          </p>
        </ShownOnce>
      ) : null}
    </>
  );
}

type Action = "block" | "unblock" | "revoke" | "reset" | "role" | "2fa";

const CONFIRM: Record<Action, { title: string; label: string; danger: boolean }> = {
  block: { title: "Block this user?", label: "Block", danger: true },
  unblock: { title: "Unblock this user?", label: "Unblock", danger: false },
  revoke: { title: "Sign this user out everywhere?", label: "Revoke sessions", danger: true },
  reset: { title: "Reset this user's password?", label: "Reset password", danger: true },
  role: { title: "Change this user's role?", label: "Change role", danger: false },
  "2fa": { title: "Turn off two-factor sign-in?", label: "Turn off two-factor", danger: true },
};

/**
 * One user: role change, block/unblock, revoke sessions, reset password, reset two-factor — each
 * confirmed first. Role and block changes name the version the page loaded (If-Match, decision
 * 043): when another admin changed this user meanwhile (412), nothing is applied, the row reloads
 * with the current state and says so, and the admin decides again on what they now see.
 */
export function UserRow({ user, version, self }: { user: AdminUserRow; version: number; self: boolean }) {
  const router = useRouter();
  const id = useId();
  const [role, setRole] = useState<Role>(user.role);
  const [seenRole, setSeenRole] = useState<Role>(user.role);
  const [menuOpen, setMenuOpen] = useState(false);
  const menuId = useId();
  const [asking, setAsking] = useState<Action | null>(null);
  const ask = (a: Action) => {
    setMenuOpen(false);
    setAsking(a);
  };
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [link, setLink] = useState<{ url: string; expiresAt: string; purpose: string } | null>(null);

  if (user.role !== seenRole) {
    setSeenRole(user.role);
    setRole(user.role);
  }

  const who = user.name || user.email;

  function explain(a: Action): string {
    switch (a) {
      case "block":
        return `${who} is signed out at once and cannot sign in or use API tokens until unblocked. Their tickets stay.`;
      case "unblock":
        return `${who} can sign in again with their existing password.`;
      case "revoke":
        return `Every session and API token of ${who} stops working on its next request. They can sign in again.`;
      case "reset":
        return user.invited
          ? `${who} has not accepted their invitation yet: a new invitation link replaces the old one.`
          : `${who} is signed out everywhere and their current password stops working. They choose a new one with a one-time link (valid 24 hours).`;
      case "role":
        return `${who} becomes ${ROLE_LABELS[role]}.${user.role === "admin" ? " They lose access to administration." : ""}${role === "customer" ? " Customers only see their own tickets." : ""}`;
      case "2fa":
        return `${who} signs in with their password alone until they set up an authenticator again. Use this when they lost their authenticator and recovery codes.`;
    }
  }

  async function run(a: Action) {
    setBusy(true);
    setFailure(null);
    setStatus("");
    let r;
    switch (a) {
      case "block":
      case "unblock":
        r = await api("PATCH", `/api/v1/users/${user.id}`, { blocked: a === "block" }, { ifMatch: `"${version}"` });
        break;
      case "role":
        r = await api("PATCH", `/api/v1/users/${user.id}`, { role }, { ifMatch: `"${version}"` });
        break;
      case "revoke":
        r = await api("POST", `/api/v1/users/${user.id}/revoke-sessions`);
        break;
      case "reset":
        r = await api<{ purpose: string; resetUrl: string | null; expiresAt: string }>(
          "POST",
          `/api/v1/users/${user.id}/reset-password`,
        );
        break;
      case "2fa":
        r = await api("DELETE", `/api/v1/users/${user.id}/2fa`);
        break;
    }
    setBusy(false);
    setAsking(null);
    if (!r.ok) {
      if (a === "role") setRole(user.role);
      if (r.error.status === 412) {
        // Changed by someone else since this page loaded: show the current state, change nothing.
        setStatus(
          `${who} was changed by someone else since this page loaded. Nothing was applied: check the row as it is now and try again.`,
        );
        router.refresh();
        return;
      }
      setFailure(r.error);
      return;
    }
    const done: Record<Action, string> = {
      block: `${who} is blocked.`,
      unblock: `${who} is unblocked.`,
      revoke: `${who} was signed out everywhere.`,
      reset: "",
      role: `${who} is now ${ROLE_LABELS[role]}.`,
      "2fa": `Two-factor sign-in is off for ${who}.`,
    };
    if (a === "reset") {
      const d = r.data as { purpose: string; resetUrl: string | null; expiresAt: string };
      const what = d.purpose === "invite" ? "invitation" : "password reset link";
      if (d.resetUrl) setLink({ url: d.resetUrl, expiresAt: d.expiresAt, purpose: what });
      setStatus(d.resetUrl ? `A new ${what} for ${who} is shown below.` : `A ${what} was emailed to ${user.email}.`);
    } else {
      setStatus(done[a]);
    }
    router.refresh();
  }

  const c = asking ? CONFIRM[asking] : null;
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
            onChange={(e) => setRole(e.target.value as Role)}
            disabled={busy}
          >
            <EnumOptions keys={ROLE_KEYS} labels={ROLE_LABELS} />
          </select>
          {role !== user.role ? (
            <>
              <button type="button" className="button subtle" onClick={() => setAsking("role")} disabled={busy}>
                Apply
              </button>
              <button type="button" className="button subtle" onClick={() => setRole(user.role)} disabled={busy}>
                Undo
              </button>
            </>
          ) : null}
        </div>
      </td>
      <td>
        <span className={s.cellLabel}>Status:</span>
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
      </td>
      <td className={s.nowrap}>
        <span className={s.cellLabel}>Last sign-in:</span>
        {user.lastSignInAt ? <LocalTime iso={user.lastSignInAt} /> : <span className="muted">Never</span>}
      </td>
      <td>
        {/* A row menu (UI review 5): the actions fold behind one button; destructive ones still ask first. */}
        <button
          type="button"
          className="button"
          aria-expanded={menuOpen}
          aria-controls={`${menuId}-actions`}
          onClick={() => setMenuOpen((o) => !o)}
          aria-label={`Actions for ${who}`}
        >
          Actions <span aria-hidden="true">▾</span>
        </button>
        <div
          id={`${menuId}-actions`}
          className={s.rowActions}
          aria-label={`Actions for ${who}`}
          role="group"
          hidden={!menuOpen}
        >
          {user.blocked ? (
            <button type="button" className="button" onClick={() => ask("unblock")} disabled={busy}>
              Unblock
            </button>
          ) : (
            <button
              type="button"
              className={`button ${s.dangerOutline}`}
              onClick={() => ask("block")}
              disabled={busy || self}
              title={self ? "You cannot block yourself" : undefined}
            >
              Block
            </button>
          )}
          <button type="button" className="button" onClick={() => ask("revoke")} disabled={busy}>
            Revoke sessions
          </button>
          <button type="button" className="button" onClick={() => ask("reset")} disabled={busy}>
            {user.invited ? "Resend invitation" : "Reset password"}
          </button>
          {user.twoFactorEnabled && !self ? (
            <button type="button" className="button" onClick={() => ask("2fa")} disabled={busy}>
              Turn off two-factor
            </button>
          ) : null}
        </div>
        <ActionFeedback status={status} failure={failure} />
        {link ? (
          <ShownOnce
            title={`New ${link.purpose} — shown only once`}
            label={`${link.purpose} for ${who}`}
            value={link.url}
            onDone={() => setLink(null)}
            doneLabel="Done"
          >
            <p>
              No mail server is configured. Send this link to {who} yourself; it expires{" "}
              <LocalTime iso={link.expiresAt} />.
            </p>
          </ShownOnce>
        ) : null}
        {c && asking ? (
          <ConfirmDialog
            open
            title={c.title}
            confirmLabel={c.label}
            danger={c.danger}
            busy={busy}
            onConfirm={() => void run(asking)}
            onCancel={() => setAsking(null)}
          >
            <p>{explain(asking)}</p>
          </ConfirmDialog>
        ) : null}
      </td>
    </tr>
  );
}
