"use client";

import { useId, type FormEvent } from "react";
import { api } from "../api-client";
import { ActionFeedback, useApiAction } from "../use-api-action";
import s from "./admin.module.css";

type Props = { tokenMaxDays: number; allowNonExpiringTokens: boolean };

/** The org's API-token rules (PUT /api/v1/org/security): maximum lifetime, and whether tokens may never expire. */
export function TokenPolicyForm({ tokenMaxDays, allowNonExpiringTokens }: Props) {
  const id = useId();
  const { run, busy, status, failure } = useApiAction();

  function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const body = {
      tokenMaxDays: Number(String(form.get("tokenMaxDays") ?? "")),
      allowNonExpiringTokens: form.get("allowNonExpiringTokens") === "on",
    };
    void run(
      () => api<Props>("PUT", "/api/v1/org/security", body),
      (d) =>
        `API tokens now live at most ${d.tokenMaxDays} days${d.allowNonExpiringTokens ? ", or without an expiry when their owner chooses" : ""}.`,
    );
  }

  const daysErr = failure?.issues.find((i) => i.path === "tokenMaxDays")?.message;
  return (
    <form onSubmit={save} noValidate aria-labelledby={`${id}-title`} className={s.section}>
      <h3 id={`${id}-title`}>API tokens</h3>
      <p className="muted">
        A token older than the maximum stops working, whatever expiry it was created with. Tokens without an expiry
        survive until revoked, so they are off unless you allow them.
      </p>
      <div className={s.formGrid}>
        <div className="field">
          <label htmlFor={`${id}-days`}>Maximum lifetime (days)</label>
          <input
            id={`${id}-days`}
            name="tokenMaxDays"
            type="number"
            min={1}
            max={366}
            step={1}
            defaultValue={tokenMaxDays}
            required
            aria-invalid={daysErr ? true : undefined}
          />
        </div>
        <div className="field">
          <label>
            <input name="allowNonExpiringTokens" type="checkbox" defaultChecked={allowNonExpiringTokens} /> Allow tokens
            that never expire
          </label>
        </div>
        <div className={s.formActions}>
          <button type="submit" className="button" disabled={busy} aria-busy={busy}>
            Save token rules
          </button>
        </div>
      </div>
      <ActionFeedback status={status} failure={failure} />
    </form>
  );
}
