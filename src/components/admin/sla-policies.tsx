"use client";

import { useId } from "react";
import { LocalTime } from "../local-time";
import s from "./admin.module.css";
import { ConfirmDialog } from "./confirm-dialog";
import { PolicyForm } from "./policy-form";
import { humanMinutes, type PolicyData, type Priority } from "./sla-policy-draft";
import { usePolicyEditor, type PolicyEditor } from "./use-policy-editor";

// Admin → SLA: one card per priority (the state is usePolicyEditor, the editor PolicyForm, the
// draft's rules sla-policy-draft.ts).

/** One card per priority: its targets, clock (calendar or business hours), pauses — or a button to create it. */
export function PolicyCard({
  priority,
  policy,
  defaultTimezone,
}: {
  priority: Priority;
  policy: PolicyData | null;
  defaultTimezone: string | null;
}) {
  const id = useId();
  const ed = usePolicyEditor(priority, policy, defaultTimezone);
  const { editing, error } = ed;
  const titleId = `${id}-title`;
  return (
    <section className="card" aria-labelledby={titleId} data-testid={`policy-${priority}`}>
      <div className={s.section}>
        <PolicyHead priority={priority} policy={policy} ed={ed} titleId={titleId} />
        {!editing && policy ? <PolicySummary policy={policy} /> : null}
        {!editing && !policy ? (
          <p className="muted">Tickets of this priority get no SLA targets until a policy exists.</p>
        ) : null}
        {editing ? <PolicyForm ed={ed} exists={policy !== null} /> : null}
        {!editing && error ? (
          <div role="alert">
            <p className="error">{error}</p>
          </div>
        ) : null}
        <p role="status" className={s.status}>
          {ed.status}
        </p>
      </div>
      {ed.deleting ? <ConfirmRemove ed={ed} /> : null}
    </section>
  );
}

function PolicyHead(props: { priority: Priority; policy: PolicyData | null; ed: PolicyEditor; titleId: string }) {
  const { priority, policy, ed, titleId } = props;
  return (
    <div className={s.sectionHead}>
      <div className={s.policyHead}>
        <h2 id={titleId}>
          <span className={`chip priority-${priority}`}>{ed.label}</span> priority
        </h2>
        {policy ? (
          <span className={`${s.badge} ${policy.businessHours ? s.badgeInfo : ""}`}>
            {policy.businessHours ? "Business hours" : "Around the clock"}
          </span>
        ) : (
          <span className={`${s.badge} ${s.badgeWarn}`}>No policy</span>
        )}
      </div>
      {!ed.editing ? (
        <button type="button" className="button" onClick={ed.start} aria-describedby={titleId}>
          {policy ? "Edit" : "Create policy"}
        </button>
      ) : null}
    </div>
  );
}

function ConfirmRemove({ ed }: { ed: PolicyEditor }) {
  const lower = ed.label.toLowerCase();
  return (
    <ConfirmDialog
      open
      title={`Remove the ${lower} priority policy?`}
      confirmLabel="Remove policy"
      danger
      busy={ed.busy}
      onConfirm={() => void ed.remove()}
      onCancel={ed.cancelRemove}
    >
      <p>Open {lower} tickets lose their unmet SLA targets, and new ones get none until you create a policy again.</p>
    </ConfirmDialog>
  );
}

function PolicySummary({ policy }: { policy: PolicyData }) {
  const cal = policy.calendar;
  return (
    <>
      <dl className={s.verifyResult}>
        <div>
          <dt>First response</dt>
          <dd>{humanMinutes(policy.firstResponseMinutes)}</dd>
        </div>
        <div>
          <dt>Resolution</dt>
          <dd>{humanMinutes(policy.resolveMinutes)}</dd>
        </div>
        <div>
          <dt>Next response</dt>
          <dd>{policy.nextResponseMinutes === null ? "—" : humanMinutes(policy.nextResponseMinutes)}</dd>
        </div>
        <div>
          <dt>Pauses on</dt>
          <dd>
            {policy.pauseOn.length ? policy.pauseOn.map((p) => (p === "on_hold" ? "on hold" : p)).join(", ") : "never"}
          </dd>
        </div>
        {policy.businessHours && cal ? (
          <div>
            <dt>Calendar</dt>
            <dd>
              {cal.name} ({cal.timezone}, {cal.intervals.length} interval
              {cal.intervals.length === 1 ? "" : "s"}
              {cal.holidays.length ? `, ${cal.holidays.length} holiday${cal.holidays.length === 1 ? "" : "s"}` : ""})
            </dd>
          </div>
        ) : null}
      </dl>
      <p className="hint">
        Last changed <LocalTime iso={policy.updatedAt} />.
      </p>
    </>
  );
}
