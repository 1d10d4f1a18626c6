import { useRouter } from "next/navigation";
import { useState } from "react";
import type { ApiFailure } from "../api-client";
import { USER_ACTIONS, type AdminUserRow, type ResetAnswer, type Role, type UserAction } from "./user-actions";

export type OnceLink = { url: string; expiresAt: string; purpose: string };

/**
 * One user row's state: the role picked in the row, the menu, the action being confirmed, and the
 * last outcome. When another admin changed this user meanwhile (412), nothing is applied, the row
 * reloads with the current state and says so, and the admin decides again on what they now see.
 */
export function useUserRow(user: AdminUserRow, version: number) {
  const router = useRouter();
  const [role, setRole] = useState<Role>(user.role);
  const [seenRole, setSeenRole] = useState<Role>(user.role);
  const [menuOpen, setMenuOpen] = useState(false);
  const [asking, setAsking] = useState<UserAction | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [link, setLink] = useState<OnceLink | null>(null);

  // The server's row changed (after a refresh): the picker follows it.
  if (user.role !== seenRole) {
    setSeenRole(user.role);
    setRole(user.role);
  }

  const who = user.name || user.email;
  const target = { user, version, role, who };

  function ask(a: UserAction) {
    setMenuOpen(false);
    setAsking(a);
  }

  function showReset(d: ResetAnswer) {
    const what = d.purpose === "invite" ? "invitation" : "password reset link";
    if (d.resetUrl) setLink({ url: d.resetUrl, expiresAt: d.expiresAt, purpose: what });
    setStatus(d.resetUrl ? `A new ${what} for ${who} is shown below.` : `A ${what} was emailed to ${user.email}.`);
  }

  async function run(a: UserAction) {
    setBusy(true);
    setFailure(null);
    setStatus("");
    const r = await USER_ACTIONS[a].request(target);
    setBusy(false);
    setAsking(null);
    if (!r.ok) {
      if (a === "role") setRole(user.role);
      if (r.error.status !== 412) return setFailure(r.error);
      // Changed by someone else since this page loaded: show the current state, change nothing.
      setStatus(
        `${who} was changed by someone else since this page loaded. Nothing was applied: check the row as it is now and try again.`,
      );
    } else if (a === "reset") showReset(r.data as ResetAnswer);
    else setStatus(USER_ACTIONS[a].done(target));
    router.refresh();
  }

  return {
    target,
    setRole,
    menuOpen,
    toggleMenu: () => setMenuOpen((o) => !o),
    asking,
    ask,
    confirmRole: () => setAsking("role"),
    cancel: () => setAsking(null),
    busy,
    status,
    failure,
    link,
    closeLink: () => setLink(null),
    run,
  };
}

export type UserRowState = ReturnType<typeof useUserRow>;
