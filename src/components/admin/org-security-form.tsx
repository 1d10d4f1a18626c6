"use client";

import Link from "next/link";
import { useId, useState } from "react";
import { api } from "../api-client";
import { ActionFeedback, useApiAction } from "../use-api-action";
import s from "./admin.module.css";
import { ConfirmDialog } from "./confirm-dialog";

type Props = { require2fa: boolean; staffWithoutTwoFactor: number; ownTwoFactor: boolean };

/** The org's "require two-factor sign-in for agents and admins" switch (PUT /api/v1/org/security). */
export function OrgSecurityForm({ require2fa, staffWithoutTwoFactor, ownTwoFactor }: Props) {
  const id = useId();
  const [asking, setAsking] = useState(false);
  const { run, busy, status, failure } = useApiAction();
  const blockedByOwn = !require2fa && !ownTwoFactor;

  async function save(next: boolean) {
    await run(
      () => api<{ require2fa: boolean }>("PUT", "/api/v1/org/security", { require2fa: next }),
      (d) =>
        d.require2fa
          ? "Two-factor sign-in is now required for agents and admins."
          : "Two-factor sign-in is no longer required.",
    );
    setAsking(false);
  }

  return (
    <div className={s.section}>
      <div className={s.flag}>
        <div>
          <h3 id={`${id}-label`}>Require two-factor sign-in for agents and admins</h3>
          <p className="muted" id={`${id}-desc`}>
            {require2fa
              ? staffWithoutTwoFactor > 0
                ? `${staffWithoutTwoFactor} agent${staffWithoutTwoFactor === 1 ? "" : "s"} or admin${staffWithoutTwoFactor === 1 ? "" : "s"} must still set it up; until then they can only reach the setup page.`
                : "Every agent and admin signs in with a code from their authenticator."
              : "Customers are never asked for a second factor."}
          </p>
          {blockedByOwn ? (
            <p className="hint">
              Set up two-factor sign-in on <Link href="/account/two-factor">your own account</Link> first, so you are
              not locked out by your own rule.
            </p>
          ) : null}
        </div>
        <div className={s.flagControls}>
          <button
            type="button"
            role="switch"
            aria-checked={require2fa}
            aria-labelledby={`${id}-label`}
            aria-describedby={`${id}-desc`}
            className={s.switch}
            disabled={busy || blockedByOwn}
            onClick={() => (require2fa ? void save(false) : setAsking(true))}
          >
            <span className={s.switchTrack} aria-hidden="true" />
            {require2fa ? "Required" : "Optional"}
          </button>
        </div>
      </div>
      <ActionFeedback status={status} failure={failure} />
      {asking ? (
        <ConfirmDialog
          open
          title="Require two-factor sign-in?"
          confirmLabel="Require it"
          busy={busy}
          onConfirm={() => void save(true)}
          onCancel={() => setAsking(false)}
        >
          <p>
            Agents and admins without an authenticator are sent to set one up at their next request and can do nothing
            else until they have.
            {staffWithoutTwoFactor > 0 ? ` That is ${staffWithoutTwoFactor} of your team right now.` : ""}
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
