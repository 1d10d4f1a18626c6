"use client";

import { useId } from "react";
import { api } from "../api-client";
import { ActionFeedback, useApiAction } from "../use-api-action";
import s from "./admin.module.css";

/** The org's "show SLA targets to customers" switch (PUT /api/v1/org/sla-settings). */
export function CustomerSlaForm({ showSlaToCustomers }: { showSlaToCustomers: boolean }) {
  const id = useId();
  const { run, busy, status, failure } = useApiAction();

  function save(next: boolean) {
    return run(
      () => api<{ showSlaToCustomers: boolean }>("PUT", "/api/v1/org/sla-settings", { showSlaToCustomers: next }),
      (d) =>
        d.showSlaToCustomers
          ? "Customers now see SLA targets on their requests."
          : "SLA targets are now for your team only.",
    );
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
      <ActionFeedback status={status} failure={failure} />
    </div>
  );
}
