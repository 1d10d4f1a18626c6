"use client";

import { useRouter } from "next/navigation";
import { useId, useRef, useState, type FormEvent } from "react";
import { api, type ApiFailure } from "../api-client";
import { LocalTime } from "../local-time";
import { ActionFeedback } from "../use-api-action";
import s from "../admin/admin.module.css";
import { ConfirmDialog } from "../admin/confirm-dialog";
import { ShownOnce } from "../admin/shown-once";

export type TokenData = {
  id: string;
  prefix: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
};
/** The org's token rules (PUT /api/v1/org/security): the longest lifetime, and whether "never" is allowed. */
export type TokenPolicyData = { maxDays: number; allowNonExpiring: boolean };
type Created = { id: string; token: string; name: string; expiresAt: string | null };

/** Lifetimes in days; the server caps every token at 366 days, so "1 year" is the longest. */
const PRESETS = [
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "366", label: "1 year" },
];
const ON_A_DATE = { value: "date", label: "On a date…" };
const NEVER = { value: "never", label: "Never" };

/** The choices the org's policy allows: presets within the maximum (the maximum itself when shorter), a date, "never" if allowed. */
function expiryChoices(policy: TokenPolicyData) {
  const presets = PRESETS.filter((o) => Number(o.value) <= policy.maxDays);
  if (!presets.some((o) => Number(o.value) === policy.maxDays)) {
    presets.push({
      value: String(policy.maxDays),
      label: `${policy.maxDays} ${policy.maxDays === 1 ? "day" : "days"} (the maximum)`,
    });
  }
  return [...presets, ON_A_DATE, ...(policy.allowNonExpiring ? [NEVER] : [])];
}
const DAY = 86_400_000;

/** Create (name + optional expiry; the token is shown once), list with last use, revoke. */
export function ApiTokens({ tokens, policy }: { tokens: TokenData[]; policy: TokenPolicyData }) {
  const choices = expiryChoices(policy);
  const defaultExpiry = choices.some((o) => o.value === "90") ? "90" : choices[0]!.value;
  const router = useRouter();
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [expiry, setExpiry] = useState(defaultExpiry);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const [status, setStatus] = useState("");
  const [revoking, setRevoking] = useState<TokenData | null>(null);

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const name = String(form.get("name") ?? "").trim();
    setFailure(null);
    setStatus("");
    if (!name) {
      setFailure({
        status: 400,
        code: "validation_failed",
        message: "give the token a name, e.g. the script that will use it",
        issues: [{ path: "name", message: "is required" }],
      });
      formRef.current?.querySelector<HTMLInputElement>('[name="name"]')?.focus();
      return;
    }
    let expiresAt: string | null = null;
    if (expiry === "date") {
      const day = String(form.get("expiresOn") ?? "");
      if (!day) {
        setFailure({
          status: 400,
          code: "validation_failed",
          message: "choose the expiry date",
          issues: [{ path: "expiresAt", message: "is required" }],
        });
        formRef.current?.querySelector<HTMLInputElement>('[name="expiresOn"]')?.focus();
        return;
      }
      // The end of the chosen day, in the browser's zone.
      expiresAt = new Date(`${day}T23:59:59`).toISOString();
    } else if (expiry !== "never") {
      expiresAt = new Date(Date.now() + Number(expiry) * DAY - 60_000).toISOString();
    }
    setBusy(true);
    const r = await api<Created>("POST", "/api/v1/me/tokens", { name, expiresAt });
    setBusy(false);
    if (!r.ok) {
      setFailure(r.error);
      return;
    }
    formRef.current?.reset();
    setExpiry(defaultExpiry);
    setCreated(r.data);
    setStatus(`Token "${r.data.name}" created.`);
    router.refresh();
  }

  async function revoke() {
    if (!revoking) return;
    const t = revoking;
    setBusy(true);
    setFailure(null);
    const r = await api("DELETE", `/api/v1/me/tokens/${t.id}`);
    setBusy(false);
    setRevoking(null);
    if (!r.ok) {
      setFailure(r.error);
      return;
    }
    if (created?.id === t.id) setCreated(null);
    setStatus(`Token "${t.name}" revoked. Anything still using it now gets 401.`);
    router.refresh();
  }

  const nameErr = failure?.issues.find((i) => i.path === "name")?.message;
  const dateErr = failure?.issues.find((i) => i.path === "expiresAt")?.message;
  const minDate = new Date(Date.now() + DAY).toISOString().slice(0, 10);
  const maxDate = new Date(Date.now() + policy.maxDays * DAY - DAY).toISOString().slice(0, 10);
  return (
    <>
      <form ref={formRef} onSubmit={create} noValidate className={s.formGrid} aria-label="Create an API token">
        <div className="field">
          <label htmlFor={`${id}-name`}>Token name</label>
          <input
            id={`${id}-name`}
            name="name"
            type="text"
            maxLength={100}
            autoComplete="off"
            placeholder="e.g. Nightly report"
            aria-invalid={nameErr ? true : undefined}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-expiry`}>Expires</label>
          <select id={`${id}-expiry`} name="expiry" value={expiry} onChange={(e) => setExpiry(e.target.value)}>
            {choices.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
        {expiry === "date" ? (
          <div className="field">
            <label htmlFor={`${id}-date`}>Expiry date</label>
            <input
              id={`${id}-date`}
              name="expiresOn"
              type="date"
              min={minDate}
              max={maxDate}
              aria-invalid={dateErr ? true : undefined}
            />
          </div>
        ) : null}
        <div className={s.formActions}>
          <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
            Create token
          </button>
        </div>
      </form>
      {expiry === "never" ? (
        <p className="hint">
          A token that never expires works until you revoke it. Prefer an expiry for anything long-lived.
        </p>
      ) : null}
      <ActionFeedback status={status} failure={failure} />
      {created ? (
        <ShownOnce
          title={`Your new token "${created.name}" — shown only once`}
          label="API token"
          value={created.token}
          onDone={() => setCreated(null)}
        >
          <p>Copy it now and keep it like a password. Beacon stores only a hash of it and cannot show it again.</p>
        </ShownOnce>
      ) : null}

      {tokens.length === 0 ? (
        <p className="muted">You have no active tokens.</p>
      ) : (
        <div className={s.tableWrap}>
          <table className={`${s.table} ${s.stack}`} data-testid="tokens-table">
            <caption className="visually-hidden">Your active API tokens</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Token id</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id} data-testid="token-row">
                  <td>
                    <strong>{t.name}</strong>
                  </td>
                  <td>
                    <span className={s.cellLabel}>Token id:</span>
                    <code title={`Tokens created since ids were added start with ${t.prefix}`}>{t.id}</code>
                  </td>
                  <td className={s.nowrap}>
                    <span className={s.cellLabel}>Created:</span>
                    <LocalTime iso={t.createdAt} />
                  </td>
                  <td className={s.nowrap}>
                    <span className={s.cellLabel}>Last used:</span>
                    {t.lastUsedAt ? <LocalTime iso={t.lastUsedAt} /> : <span className="muted">Never</span>}
                  </td>
                  <td className={s.nowrap}>
                    <span className={s.cellLabel}>Expires:</span>
                    {t.expiresAt ? <LocalTime iso={t.expiresAt} /> : <span className="muted">Never</span>}
                  </td>
                  <td>
                    <button
                      type="button"
                      className={`button subtle ${s.dangerOutline}`}
                      onClick={() => setRevoking(t)}
                      disabled={busy}
                    >
                      Revoke<span className="visually-hidden"> {t.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {revoking ? (
        <ConfirmDialog
          open
          title={`Revoke "${revoking.name}"?`}
          confirmLabel="Revoke token"
          danger
          busy={busy}
          onConfirm={() => void revoke()}
          onCancel={() => setRevoking(null)}
        >
          <p>
            Scripts and integrations using this token stop working at once. This cannot be undone; create a new token if
            you need one.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
