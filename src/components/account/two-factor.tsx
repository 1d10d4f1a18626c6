"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api, describeFailure, type ApiFailure } from "../api-client";
import s from "../admin/admin.module.css";

type Status = { enabled: boolean; pending: boolean; required: boolean; recoveryCodesRemaining: number };
type Setup = { secret: string; otpauthUrl: string };

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP": easier to type into an authenticator by hand. */
const grouped = (secret: string) => secret.replace(/(.{4})/g, "$1 ").trim();

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [copied, setCopied] = useState("");
  useEffect(() => {
    ref.current?.focus();
  }, []);
  const text = codes.join("\n");
  const download = () => {
    const url = URL.createObjectURL(new Blob([`Beacon recovery codes\n\n${text}\n`], { type: "text/plain" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "beacon-recovery-codes.txt";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return (
    <div
      ref={ref}
      className={s.once}
      role="region"
      aria-labelledby="rc-title"
      tabIndex={-1}
      data-testid="recovery-codes"
    >
      <h3 id="rc-title">Recovery codes — shown only once</h3>
      <p>
        Each code signs you in once if you lose your authenticator. Store them somewhere safe, such as your password
        manager. Beacon cannot show them again.
      </p>
      <ul className={s.codes} aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <div className={s.formActions}>
        <button
          type="button"
          className="button"
          onClick={() =>
            void navigator.clipboard.writeText(text).then(
              () => setCopied("Recovery codes copied to the clipboard."),
              () => setCopied("Copying is blocked here: download them instead."),
            )
          }
        >
          Copy
        </button>
        <button type="button" className="button" onClick={download}>
          Download as text
        </button>
        <button type="button" className="button primary" onClick={onDone}>
          I have saved them
        </button>
      </div>
      <p role="status" className={s.status}>
        {copied}
      </p>
    </div>
  );
}

function CodeField({ id, label, error, name = "code" }: { id: string; label: string; error?: string; name?: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        type="text"
        inputMode="numeric"
        autoComplete="one-time-code"
        spellCheck={false}
        maxLength={64}
        required
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-err` : undefined}
      />
      {error ? (
        <p id={`${id}-err`} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

type Where = "start" | "confirm" | "regen" | "off";
type Failure = { where: Where; error: ApiFailure };

const issue = (f: Failure | null, where: Where, path: string) => {
  const m = f?.where === where ? f.error.issues.find((i) => i.path === path)?.message : undefined;
  return m ? `${path === "code" ? "The code" : "The password"} ${m}.` : undefined;
};

/** Set up (secret + otpauth URL → confirm with a code → recovery codes once), or turn off / renew codes. */
export function TwoFactorSettings({ status, required }: { status: Status; required: boolean }) {
  const router = useRouter();
  const id = useId();
  const [setup, setSetup] = useState<Setup | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [note, setNote] = useState("");
  const setupRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (setup) setupRef.current?.focus();
  }, [setup]);

  // A refused code or password: focus the field, which now reads out its error.
  useEffect(() => {
    if (failure?.error.issues.length) document.querySelector<HTMLElement>('main [aria-invalid="true"]')?.focus();
  }, [failure]);

  async function start() {
    setBusy(true);
    setFailure(null);
    setNote("");
    const r = await api<Setup>("POST", "/api/v1/me/2fa/setup");
    setBusy(false);
    if (!r.ok) return setFailure({ where: "start", error: r.error });
    setSetup(r.data);
  }

  async function confirm(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const code = String(new FormData(e.currentTarget).get("code") ?? "").trim();
    setBusy(true);
    setFailure(null);
    const r = await api<{ enabled: true; recoveryCodes: string[] }>("POST", "/api/v1/me/2fa/confirm", { code });
    setBusy(false);
    if (!r.ok) return setFailure({ where: "confirm", error: r.error });
    setSetup(null);
    setCodes(r.data.recoveryCodes);
    setNote("Two-factor sign-in is on.");
    router.refresh();
  }

  async function disable(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setFailure(null);
    const r = await api("DELETE", "/api/v1/me/2fa", {
      password: String(form.get("password") ?? ""),
      code: String(form.get("code") ?? "").trim(),
    });
    setBusy(false);
    if (!r.ok) return setFailure({ where: "off", error: r.error });
    setNote("Two-factor sign-in is off. Your recovery codes no longer work.");
    router.refresh();
  }

  async function regenerate(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    const code = String(new FormData(formEl).get("code") ?? "").trim();
    setBusy(true);
    setFailure(null);
    const r = await api<{ recoveryCodes: string[] }>("POST", "/api/v1/me/2fa/recovery-codes", { code });
    setBusy(false);
    if (!r.ok) return setFailure({ where: "regen", error: r.error });
    formEl.reset();
    setCodes(r.data.recoveryCodes);
    setNote("New recovery codes made; the old ones stopped working.");
    router.refresh();
  }

  // Field problems show at their field; anything else (conflict, rate limit, network) here.
  const errorBox = (...where: Where[]) => (
    <div role="alert" className={s.alert}>
      {failure && where.includes(failure.where) && !failure.error.issues.length ? (
        <p className="error">{describeFailure(failure.error)}</p>
      ) : null}
    </div>
  );

  return (
    <>
      <p role="status" className={s.status}>
        {note}
      </p>
      {codes ? <RecoveryCodes codes={codes} onDone={() => setCodes(null)} /> : null}
      {codes && required ? (
        <p>
          <Link href="/" className="button primary">
            Continue to Beacon
          </Link>
        </p>
      ) : null}

      {!status.enabled ? (
        <section className="card" aria-labelledby="setup-title">
          <div className={s.section}>
            <div className={s.sectionHead}>
              <h2 id="setup-title">Set up an authenticator</h2>
              <span className={`${s.badge} ${s.badgeWarn}`}>Off</span>
            </div>
            {!setup ? (
              <>
                <p>
                  Beacon gives you a secret key for your authenticator app; then you enter the code it shows to confirm.
                </p>
                {status.pending ? (
                  <p className="hint">
                    You started a setup earlier without confirming it. Starting again replaces that key.
                  </p>
                ) : null}
                <div className={s.formActions}>
                  <button
                    type="button"
                    className="button primary"
                    onClick={() => void start()}
                    disabled={busy}
                    aria-busy={busy}
                  >
                    {busy ? "Starting…" : "Start setup"}
                  </button>
                </div>
              </>
            ) : (
              <div ref={setupRef} tabIndex={-1} className={s.section} aria-labelledby="setup-steps">
                <h3 id="setup-steps" className="visually-hidden">
                  Setup steps
                </h3>
                <ol className={s.section} style={{ paddingLeft: "1.25rem", margin: 0 }}>
                  <li>
                    <p>
                      <strong>Add Beacon to your authenticator.</strong> On this device,{" "}
                      <a href={setup.otpauthUrl}>open the authenticator link</a>; otherwise choose &ldquo;enter a setup
                      key&rdquo; in the app and type this key (time-based, 6 digits, 30 seconds):
                    </p>
                    <div className={s.secretRow}>
                      <code className={s.secret} aria-label="Setup key" data-testid="totp-secret">
                        {grouped(setup.secret)}
                      </code>
                    </div>
                    <details className="disclosure" style={{ marginTop: "0.5rem" }}>
                      <summary>Show the full otpauth:// URL</summary>
                      <code className={s.secret} style={{ display: "block" }} data-testid="otpauth-url">
                        {setup.otpauthUrl}
                      </code>
                    </details>
                  </li>
                  <li>
                    <p>
                      <strong>Enter the code your authenticator shows.</strong>
                    </p>
                    <form onSubmit={confirm} className={s.inlineFields} noValidate>
                      <CodeField id={`${id}-confirm`} label="6-digit code" error={issue(failure, "confirm", "code")} />
                      <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
                        Turn on
                      </button>
                    </form>
                  </li>
                </ol>
              </div>
            )}
            {errorBox("start", "confirm")}
          </div>
        </section>
      ) : (
        <>
          <section className="card" aria-labelledby="on-title">
            <div className={s.section}>
              <div className={s.sectionHead}>
                <h2 id="on-title">Two-factor sign-in is on</h2>
                <span className={`${s.badge} ${s.badgeOk}`}>On</span>
              </div>
              <p>
                {status.recoveryCodesRemaining} recovery code{status.recoveryCodesRemaining === 1 ? "" : "s"} left.
                {status.recoveryCodesRemaining <= 3 ? " Make new ones before you run out." : ""}
              </p>
              <form onSubmit={regenerate} className={s.inlineFields} noValidate aria-label="Make new recovery codes">
                <CodeField
                  id={`${id}-regen`}
                  label="Code from your authenticator"
                  error={issue(failure, "regen", "code")}
                />
                <button type="submit" className="button" disabled={busy} aria-busy={busy}>
                  Make new recovery codes
                </button>
              </form>
              {errorBox("regen")}
            </div>
          </section>
          <section className="card" aria-labelledby="off-title">
            <div className={s.section}>
              <h2 id="off-title">Turn off two-factor sign-in</h2>
              {required ? (
                <p className="notice" role="note">
                  Your organization requires two-factor sign-in: if you turn it off you must set it up again before you
                  can continue.
                </p>
              ) : null}
              <form onSubmit={disable} className={s.section} noValidate aria-label="Turn off two-factor sign-in">
                <div className={s.formGrid}>
                  <div className="field">
                    <label htmlFor={`${id}-pw`}>Your password</label>
                    <input
                      id={`${id}-pw`}
                      name="password"
                      type="password"
                      autoComplete="current-password"
                      required
                      aria-invalid={issue(failure, "off", "password") ? true : undefined}
                    />
                    {issue(failure, "off", "password") ? (
                      <p className="field-error">{issue(failure, "off", "password")}</p>
                    ) : null}
                  </div>
                  <CodeField
                    id={`${id}-off-code`}
                    label="Authenticator or recovery code"
                    error={issue(failure, "off", "code")}
                  />
                </div>
                {errorBox("off")}
                <div className={s.formActions}>
                  <button type="submit" className={`button ${s.danger}`} disabled={busy} aria-busy={busy}>
                    Turn off
                  </button>
                </div>
              </form>
            </div>
          </section>
        </>
      )}
    </>
  );
}
