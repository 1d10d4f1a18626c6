"use client";

import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { api, describeFailure, type ApiFailure } from "../api-client";
import s from "./admin.module.css";

type Props = { tokenMaxDays: number; allowNonExpiringTokens: boolean };

/** The org's API-token rules (PUT /api/v1/org/security): maximum lifetime, and whether tokens may never expire. */
export function TokenPolicyForm({ tokenMaxDays, allowNonExpiringTokens }: Props) {
  const router = useRouter();
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [failure, setFailure] = useState<ApiFailure | null>(null);

  async function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const days = Number(String(form.get("tokenMaxDays") ?? ""));
    setFailure(null);
    setStatus("");
    setBusy(true);
    const r = await api<Props>("PUT", "/api/v1/org/security", { tokenMaxDays: days, allowNonExpiringTokens: form.get("allowNonExpiringTokens") === "on" });
    setBusy(false);
    if (!r.ok) {
      setFailure(r.error);
      return;
    }
    setStatus(`API tokens now live at most ${r.data.tokenMaxDays} days${r.data.allowNonExpiringTokens ? ", or without an expiry when their owner chooses" : ""}.`);
    router.refresh();
  }

  const daysErr = failure?.issues.find((i) => i.path === "tokenMaxDays")?.message;
  return (
    <form onSubmit={save} noValidate aria-labelledby={`${id}-title`} className={s.section}>
      <h3 id={`${id}-title`}>API tokens</h3>
      <p className="muted">
        A token older than the maximum stops working, whatever expiry it was created with. Tokens without an expiry survive until revoked, so they are off unless you allow them.
      </p>
      <div className={s.formGrid}>
        <div className="field">
          <label htmlFor={`${id}-days`}>Maximum lifetime (days)</label>
          <input id={`${id}-days`} name="tokenMaxDays" type="number" min={1} max={366} step={1} defaultValue={tokenMaxDays} required aria-invalid={daysErr ? true : undefined} />
        </div>
        <div className="field">
          <label>
            <input name="allowNonExpiringTokens" type="checkbox" defaultChecked={allowNonExpiringTokens} /> Allow tokens that never expire
          </label>
        </div>
        <div className={s.formActions}>
          <button type="submit" className="button" disabled={busy} aria-busy={busy}>
            Save token rules
          </button>
        </div>
      </div>
      <p role="status" className={s.status}>
        {status}
      </p>
      <div role="alert" className={s.alert}>
        {failure ? <p className="error">{describeFailure(failure)}</p> : null}
      </div>
    </form>
  );
}
