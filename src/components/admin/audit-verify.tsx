"use client";

import { useState } from "react";
import { api, describeFailure } from "../api-client";
import s from "./admin.module.css";

type Result = { valid: boolean; checked: number; firstBrokenSeq: number | null };

/** "Verify chain": recomputes every hash of the org's audit chain on the server and shows {valid, checked, firstBrokenSeq}. */
export function AuditVerify() {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState<string>("");

  async function verify() {
    setBusy(true);
    setError(null);
    const r = await api<Result>("GET", "/api/v1/audit/verify");
    setBusy(false);
    if (!r.ok) {
      setResult(null);
      setError(describeFailure(r.error));
      return;
    }
    setResult(r.data);
    setAt(new Date().toLocaleTimeString());
  }

  return (
    <div className={s.section}>
      <div className={s.verify}>
        <button type="button" className="button primary" onClick={() => void verify()} disabled={busy} aria-busy={busy}>
          {busy ? "Verifying…" : "Verify chain"}
        </button>
        <span className="hint">Checks every entry&apos;s hash against the one before it.</span>
      </div>
      <div role="status" aria-live="polite" data-testid="verify-result">
        {busy ? <p className="muted">Verifying the chain…</p> : null}
        {!busy && result ? (
          <div className={result.valid ? "notice" : "error"}>
            <p style={{ margin: "0 0 0.375rem" }}>
              <strong>
                {result.valid
                  ? "The chain is intact."
                  : `The chain is broken at entry #${result.firstBrokenSeq ?? "?"}.`}
              </strong>{" "}
              {result.valid
                ? "No entry was changed or removed."
                : "That entry, or one before it, was changed or removed after it was written."}
            </p>
            <dl className={s.verifyResult}>
              <div>
                <dt>valid</dt>
                <dd data-testid="verify-valid">{String(result.valid)}</dd>
              </div>
              <div>
                <dt>checked</dt>
                <dd data-testid="verify-checked">{result.checked}</dd>
              </div>
              <div>
                <dt>firstBrokenSeq</dt>
                <dd data-testid="verify-first-broken">{result.firstBrokenSeq ?? "null"}</dd>
              </div>
              {at ? (
                <div>
                  <dt>at</dt>
                  <dd>{at}</dd>
                </div>
              ) : null}
            </dl>
          </div>
        ) : null}
      </div>
      <div role="alert" className={s.alert}>
        {error ? <p className="error">{error}</p> : null}
      </div>
    </div>
  );
}
