"use client";

import { useEffect, useRef } from "react";
import { describeFailure } from "../api-client";
import { Field } from "../field";
import s from "../admin/admin.module.css";
import { issue, type Setup, type TwoFactor, type TwoFactorStatus, type Where } from "./two-factor-state";

// The cards of the two-factor page: set up (when off), make new recovery codes and turn off (when on).

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP": easier to type into an authenticator by hand. */
const grouped = (secret: string) => secret.replace(/(.{4})/g, "$1 ").trim();

function CodeField({ id, label, error }: { id: string; label: string; error?: string }) {
  return (
    <Field id={id} label={label} error={error}>
      {(aria) => (
        <input
          {...aria}
          name="code"
          type="text"
          inputMode="numeric"
          autoComplete="one-time-code"
          spellCheck={false}
          maxLength={64}
          required
        />
      )}
    </Field>
  );
}

/** Field problems show at their field; anything else (conflict, rate limit, network) here. */
function ErrorBox({ tf, where }: { tf: TwoFactor; where: Where[] }) {
  const f = tf.failure;
  return (
    <div role="alert" className={s.alert}>
      {f && where.includes(f.where) && !f.error.issues.length ? (
        <p className="error">{describeFailure(f.error)}</p>
      ) : null}
    </div>
  );
}

export function SetupCard({ tf, status, id }: { tf: TwoFactor; status: TwoFactorStatus; id: string }) {
  return (
    <section className="card" aria-labelledby="setup-title">
      <div className={s.section}>
        <div className={s.sectionHead}>
          <h2 id="setup-title">Set up an authenticator</h2>
          <span className={`${s.badge} ${s.badgeWarn}`}>Off</span>
        </div>
        {!tf.setup ? (
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
                onClick={() => void tf.start()}
                disabled={tf.busy}
                aria-busy={tf.busy}
              >
                {tf.busy ? "Starting…" : "Start setup"}
              </button>
            </div>
          </>
        ) : (
          <SetupSteps tf={tf} setup={tf.setup} id={id} />
        )}
        <ErrorBox tf={tf} where={["start", "confirm"]} />
      </div>
    </section>
  );
}

function SetupSteps({ tf, setup, id }: { tf: TwoFactor; setup: Setup; id: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [setup]);
  return (
    <div ref={ref} tabIndex={-1} className={s.section} aria-labelledby="setup-steps">
      <h3 id="setup-steps" className="visually-hidden">
        Setup steps
      </h3>
      <ol className={s.section} style={{ paddingLeft: "1.25rem", margin: 0 }}>
        <li>
          <p>
            <strong>Add Beacon to your authenticator.</strong> On this device,{" "}
            <a href={setup.otpauthUrl}>open the authenticator link</a>; otherwise choose &ldquo;enter a setup key&rdquo;
            in the app and type this key (time-based, 6 digits, 30 seconds):
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
          <form onSubmit={(e) => void tf.confirm(e)} className={s.inlineFields} noValidate>
            <CodeField id={`${id}-confirm`} label="6-digit code" error={issue(tf.failure, "confirm", "code")} />
            <button type="submit" className="button primary" disabled={tf.busy} aria-busy={tf.busy}>
              Turn on
            </button>
          </form>
        </li>
      </ol>
    </div>
  );
}

export function RecoveryCodesCard({ tf, remaining, id }: { tf: TwoFactor; remaining: number; id: string }) {
  return (
    <section className="card" aria-labelledby="on-title">
      <div className={s.section}>
        <div className={s.sectionHead}>
          <h2 id="on-title">Two-factor sign-in is on</h2>
          <span className={`${s.badge} ${s.badgeOk}`}>On</span>
        </div>
        <p>
          {remaining} recovery code{remaining === 1 ? "" : "s"} left.
          {remaining <= 3 ? " Make new ones before you run out." : ""}
        </p>
        <form
          onSubmit={(e) => void tf.regenerate(e)}
          className={s.inlineFields}
          noValidate
          aria-label="Make new recovery codes"
        >
          <CodeField
            id={`${id}-regen`}
            label="Code from your authenticator"
            error={issue(tf.failure, "regen", "code")}
          />
          <button type="submit" className="button" disabled={tf.busy} aria-busy={tf.busy}>
            Make new recovery codes
          </button>
        </form>
        <ErrorBox tf={tf} where={["regen"]} />
      </div>
    </section>
  );
}

export function TurnOffCard({ tf, required, id }: { tf: TwoFactor; required: boolean; id: string }) {
  return (
    <section className="card" aria-labelledby="off-title">
      <div className={s.section}>
        <h2 id="off-title">Turn off two-factor sign-in</h2>
        {required ? (
          <p className="notice" role="note">
            Your organization requires two-factor sign-in: if you turn it off you must set it up again before you can
            continue.
          </p>
        ) : null}
        <form
          onSubmit={(e) => void tf.disable(e)}
          className={s.section}
          noValidate
          aria-label="Turn off two-factor sign-in"
        >
          <div className={s.formGrid}>
            <Field id={`${id}-pw`} label="Your password" error={issue(tf.failure, "off", "password")}>
              {(aria) => <input {...aria} name="password" type="password" autoComplete="current-password" required />}
            </Field>
            <CodeField
              id={`${id}-off-code`}
              label="Authenticator or recovery code"
              error={issue(tf.failure, "off", "code")}
            />
          </div>
          <ErrorBox tf={tf} where={["off"]} />
          <div className={s.formActions}>
            <button type="submit" className={`button ${s.danger}`} disabled={tf.busy} aria-busy={tf.busy}>
              Turn off
            </button>
          </div>
        </form>
      </div>
    </section>
  );
}
