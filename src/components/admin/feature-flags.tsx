"use client";

import { useId } from "react";
import { api } from "../api-client";
import { ActionFeedback, useApiAction } from "../use-api-action";
import s from "./admin.module.css";

type Source = "env" | "org" | "global" | "default";
export type FlagData = { key: string; enabled: boolean; source: Source };

const FEATURE_TEXT: Record<string, { name: string; what: string }> = {
  attachments: { name: "Attachments", what: "Uploading and downloading files on tickets." },
  export: { name: "Export", what: "CSV and NDJSON ticket exports, full and incremental." },
  search: { name: "Search", what: "Full-text search over tickets and comments." },
  webhooks: { name: "Webhooks", what: "Adding webhooks and sending events to them." },
  signup_tokens: { name: "Sign-up links", what: "One-time invitation and account set-up links." },
  notifications_email: { name: "Email notifications", what: "SLA and ticket notifications by email." },
  email_inbound: {
    name: "Inbound email",
    what: "Mail to the support addresses opens and answers tickets (off: senders are asked to retry later; nothing is lost).",
  },
};

const SOURCE_TEXT: Record<Source, string> = {
  env: "Locked off by the operators (FEATURES_DISABLED)",
  org: "Set for this organization",
  global: "Set for every organization by the operators",
  default: "Default",
};

/** One switch per feature; the org's own setting can be cleared back to the global/default value. */
export function FeatureFlags({ flags }: { flags: FlagData[] }) {
  const id = useId();
  const { run, busy, busyKey, status, failure } = useApiAction();

  function put(key: string, enabled: boolean | null) {
    const name = FEATURE_TEXT[key]?.name ?? key;
    return run(
      () => api<{ data: FlagData[] }>("PUT", "/api/v1/feature-flags", { key, enabled }),
      (d) => {
        const now = d.data.find((f) => f.key === key);
        return enabled === null
          ? `${name} follows the ${now?.source === "global" ? "global setting" : "default"} again: ${now?.enabled ? "on" : "off"}.`
          : `${name} is ${enabled ? "on" : "off"} for this organization.`;
      },
      { key },
    );
  }

  return (
    <>
      <ul className={s.flags}>
        {flags.map((f) => {
          const text = FEATURE_TEXT[f.key] ?? { name: f.key, what: "" };
          const locked = f.source === "env";
          const labelId = `${id}-${f.key}-label`;
          const descId = `${id}-${f.key}-desc`;
          return (
            <li key={f.key} className={s.flag} data-testid={`flag-${f.key}`}>
              <div>
                <h3 id={labelId}>{text.name}</h3>
                <p className="muted" id={descId}>
                  {text.what}
                </p>
                <p className={s.lock}>
                  <span
                    className={`${s.badge} ${f.source === "org" ? s.badgeInfo : f.source === "env" ? s.badgeDanger : ""}`}
                    data-testid="flag-source"
                  >
                    {SOURCE_TEXT[f.source]}
                  </span>
                  {locked
                    ? " — switched off for the whole installation, usually during an incident. Ask your operators; it cannot be changed here."
                    : null}
                </p>
              </div>
              <div className={s.flagControls}>
                {f.source === "org" ? (
                  <button type="button" className="button subtle" onClick={() => void put(f.key, null)} disabled={busy}>
                    Use default<span className="visually-hidden"> for {text.name}</span>
                  </button>
                ) : null}
                <button
                  type="button"
                  role="switch"
                  aria-checked={f.enabled}
                  aria-labelledby={labelId}
                  aria-describedby={descId}
                  className={s.switch}
                  disabled={locked || busy}
                  aria-busy={busyKey === f.key}
                  onClick={() => void put(f.key, !f.enabled)}
                >
                  <span className={s.switchTrack} aria-hidden="true" />
                  {f.enabled ? "On" : "Off"}
                </button>
              </div>
            </li>
          );
        })}
      </ul>
      <ActionFeedback status={status} failure={failure} statusTestId="flags-status" />
    </>
  );
}
