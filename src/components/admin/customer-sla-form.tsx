"use client";

import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { api, describeFailure } from "../api-client";
import s from "./admin.module.css";

/** The org's "show SLA targets to customers" switch (PUT /api/v1/org/sla-settings). */
export function CustomerSlaForm({ showSlaToCustomers }: { showSlaToCustomers: boolean }) {
  const router = useRouter();
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<string | null>(null);

  async function save(next: boolean) {
    setBusy(true);
    setError(null);
    setStatus("");
    const r = await api<{ showSlaToCustomers: boolean }>("PUT", "/api/v1/org/sla-settings", { showSlaToCustomers: next });
    setBusy(false);
    if (!r.ok) {
      setError(describeFailure(r.error));
      return;
    }
    setStatus(r.data.showSlaToCustomers ? "Customers now see SLA targets on their requests." : "SLA targets are now for your team only.");
    router.refresh();
  }

  return (
    <div className={s.section}>
      <div className={s.flag}>
        <div>
          <h3 id={`${id}-label`}>Show SLA targets to customers</h3>
          <p className="muted" id={`${id}-desc`}>
            {showSlaToCustomers
              ? "Customers see the first-response and resolution targets and due times on their requests."
              : "Targets and due times are your team's internal commitments; customers do not see them."}
          </p>
        </div>
        <div className={s.flagControls}>
          <button
            type="button"
            role="switch"
            aria-checked={showSlaToCustomers}
            aria-labelledby={`${id}-label`}
            aria-describedby={`${id}-desc`}
            className={s.switch}
            disabled={busy}
            onClick={() => void save(!showSlaToCustomers)}
            data-testid="customer-sla-switch"
          >
            <span className={s.switchTrack} aria-hidden="true" />
            {showSlaToCustomers ? "Shown" : "Hidden"}
          </button>
        </div>
      </div>
      <p role="status" className={s.status}>
        {status}
      </p>
      <div role="alert" className={s.alert}>
        {error ? <p className="error">{error}</p> : null}
      </div>
    </div>
  );
}
