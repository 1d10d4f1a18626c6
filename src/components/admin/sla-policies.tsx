"use client";

import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import type { components } from "@/lib/api-types";
import { api, describeFailure, type ApiFailure } from "../api-client";
import { LocalTime } from "../local-time";
import s from "./admin.module.css";
import { CalendarEditor, defaultCalendar, toInputTime, type CalendarDraft } from "./calendar-editor";
import { ConfirmDialog } from "./confirm-dialog";
import { EditConflict, changedFields, type ConflictField } from "../edit-conflict";
import { useEtag } from "../use-etag";

/** A policy as a person reads it, field by field: what an edit conflict lists (decision 043). */
function shownPolicy(p: PolicyData): Record<string, string> {
  const mins = (n: number | null) => (n === null ? "none" : `${n} min`);
  return {
    "First response": mins(p.firstResponseMinutes),
    Resolution: mins(p.resolveMinutes),
    "Next response": mins(p.nextResponseMinutes),
    "Business hours": p.businessHours ? "yes" : "no",
    Calendar: p.calendar
      ? `${p.calendar.name} (${p.calendar.timezone}): ${p.calendar.intervals.map((i) => `${i.day} ${i.start}–${i.end}`).join(", ")}`
      : "none",
    Holidays: p.calendar?.holidays.join(", ") || "none",
    "Paused while": p.pauseOn.join(", ") || "never",
  };
}

// The API's own types, generated from its OpenAPI document (src/lib/api-types.ts), not hand copies.
export type Priority = components["schemas"]["TicketPriority"];
export type PolicyData = components["schemas"]["SlaPolicy"];

const PRIORITY_LABELS: Record<Priority, string> = { urgent: "Urgent", high: "High", normal: "Normal", low: "Low" };
const PAUSABLE = [
  { value: "pending", label: "Pending (waiting for the customer)" },
  { value: "on_hold", label: "On hold (waiting for a third party)" },
];
const MAX_MINUTES = 366 * 24 * 60;

type Duration = { h: string; m: string };
type Draft = {
  first: Duration;
  resolve: Duration;
  nextOn: boolean;
  next: Duration;
  businessHours: boolean;
  calendar: CalendarDraft | null;
  pauseOn: string[];
};

const split = (minutes: number): Duration => ({ h: String(Math.floor(minutes / 60)), m: String(minutes % 60) });
const join = (d: Duration): number => (Number(d.h) || 0) * 60 + (Number(d.m) || 0);

function draftOf(p: PolicyData | null): Draft {
  if (!p)
    return {
      first: split(480),
      resolve: split(2880),
      nextOn: false,
      next: split(240),
      businessHours: false,
      calendar: null,
      pauseOn: ["pending"],
    };
  return {
    first: split(p.firstResponseMinutes),
    resolve: split(p.resolveMinutes),
    nextOn: p.nextResponseMinutes !== null,
    next: split(p.nextResponseMinutes ?? 240),
    businessHours: p.businessHours,
    calendar: p.calendar
      ? {
          name: p.calendar.name,
          timezone: p.calendar.timezone,
          intervals: p.calendar.intervals.map((i, key) => ({
            key,
            day: i.day,
            start: toInputTime(i.start),
            end: toInputTime(i.end),
          })),
          holidays: [...p.calendar.holidays].sort(),
        }
      : null,
    pauseOn: p.pauseOn,
  };
}

/** "1 h 30 min", "2 d 4 h", for the card's summary line. */
export function humanMinutes(total: number): string {
  const d = Math.floor(total / 1440);
  const h = Math.floor((total % 1440) / 60);
  const m = total % 60;
  return [d ? `${d} d` : "", h ? `${h} h` : "", m ? `${m} min` : ""].filter(Boolean).join(" ") || "0 min";
}

type Problems = {
  fields: Record<string, string>;
  intervals: Record<number, string>;
  timezone?: string;
  holidays?: string;
};
const noProblems: Problems = { fields: {}, intervals: {} };

const SHOWN_FIELDS = ["firstResponseMinutes", "resolveMinutes", "nextResponseMinutes"];
const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

function problemsFrom(e: ApiFailure, draft: Draft): Problems {
  const out: Problems = { fields: {}, intervals: {} };
  // The API names intervals by their index in what was sent; people know them by day and time.
  const named = (msg: string) =>
    msg.replace(/intervals\[(\d+)\]/g, (whole, n: string) => {
      const i = draft.calendar?.intervals[Number(n)];
      return i ? `${DAY_NAMES[i.day]} ${i.start}–${i.end}` : whole;
    });
  for (const i of e.issues) {
    const m = /^calendar\.intervals\[(\d+)\]/.exec(i.path) ?? /^calendar\.intervals\.(\d+)/.exec(i.path);
    if (m) {
      const key = draft.calendar?.intervals[Number(m[1])]?.key;
      const msg = named(i.message);
      if (key !== undefined) out.intervals[key] = `${msg.charAt(0).toUpperCase()}${msg.slice(1)}.`;
    } else if (i.path.startsWith("calendar.timezone")) out.timezone = i.message;
    else if (i.path.startsWith("calendar.holidays")) out.holidays = i.message;
    else out.fields[i.path.split(".")[0] ?? i.path] = i.message;
  }
  return out;
}

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
  const router = useRouter();
  const id = useId();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<Draft>(() => draftOf(policy));
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [problems, setProblems] = useState<Problems>(noProblems);
  const [deleting, setDeleting] = useState(false);
  // Saves name the version on screen (If-Match); when another admin saved first: what changed, and a choice.
  const etag = useEtag(policy ? `/api/v1/sla-policies/${policy.id}` : null, policy?.updatedAt);
  const [conflict, setConflict] = useState<{
    body: Record<string, unknown>;
    fields: ConflictField[];
    etag: string;
  } | null>(null);

  const formRef = useRef<HTMLFormElement>(null);
  const label = PRIORITY_LABELS[priority];
  const titleId = `${id}-title`;

  // Opening the editor replaces the Edit button: take focus into the form rather than lose it.
  useEffect(() => {
    if (editing) formRef.current?.querySelector<HTMLInputElement>("input")?.focus();
  }, [editing]);

  function start() {
    setDraft(draftOf(policy));
    setProblems(noProblems);
    setError(null);
    setStatus("");
    setEditing(true);
  }

  function setBusinessHours(on: boolean) {
    const tz = defaultTimezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
    setDraft((d) => ({ ...d, businessHours: on, calendar: on && !d.calendar ? defaultCalendar(tz) : d.calendar }));
  }

  function localProblems(d: Draft): Problems {
    const p: Problems = { fields: {}, intervals: {} };
    const check = (name: string, dur: Duration) => {
      const n = join(dur);
      if (!Number.isInteger(n) || n < 1) p.fields[name] = "must be at least 1 minute";
      else if (n > MAX_MINUTES) p.fields[name] = "must be at most 366 days";
    };
    check("firstResponseMinutes", d.first);
    check("resolveMinutes", d.resolve);
    if (d.nextOn) check("nextResponseMinutes", d.next);
    if (d.businessHours && d.calendar) {
      for (const i of d.calendar.intervals)
        if (!i.start || !i.end) p.intervals[i.key] = "Enter a start and an end time.";
      if (!d.calendar.timezone.trim()) p.timezone = "is required";
    }
    return p;
  }

  async function save(e: FormEvent) {
    e.preventDefault();
    const local = localProblems(draft);
    const calendarEmpty = draft.businessHours && (draft.calendar?.intervals.length ?? 0) === 0;
    if (Object.keys(local.fields).length || Object.keys(local.intervals).length || local.timezone || calendarEmpty) {
      setProblems(local);
      setError(
        calendarEmpty
          ? "Business hours need at least one working interval in the week."
          : "Some values need fixing; see the marked fields.",
      );
      return;
    }
    const calendar = draft.calendar
      ? {
          name: draft.calendar.name.trim() || "Business hours",
          timezone: draft.calendar.timezone.trim(),
          intervals: draft.calendar.intervals.map(({ day, start, end }) => ({ day, start, end })),
          holidays: draft.calendar.holidays,
        }
      : undefined;
    const body = {
      firstResponseMinutes: join(draft.first),
      resolveMinutes: join(draft.resolve),
      nextResponseMinutes: draft.nextOn ? join(draft.next) : null,
      businessHours: draft.businessHours,
      ...(calendar ? { calendar } : {}),
      pauseOn: draft.pauseOn,
    };
    await send(body, etag);
  }

  async function send(body: Record<string, unknown>, ifMatch: string | undefined) {
    setBusy(true);
    setError(null);
    setProblems(noProblems);
    setStatus("");
    setConflict(null);
    const r = policy
      ? await api<PolicyData>("PATCH", `/api/v1/sla-policies/${policy.id}`, body, { ifMatch })
      : await api<PolicyData>("POST", "/api/v1/sla-policies", { priority, ...body });
    if (policy && !r.ok && r.error.status === 412) {
      const now = await api<PolicyData>("GET", `/api/v1/sla-policies/${policy.id}`);
      setBusy(false);
      if (now.ok && now.etag) {
        setConflict({ body, fields: changedFields(shownPolicy(policy), shownPolicy(now.data)), etag: now.etag });
        return;
      }
    }
    setBusy(false);
    if (!r.ok) {
      const p = problemsFrom(r.error, draft);
      setProblems(p);
      const atField = (path: string) =>
        /^calendar\.(intervals|timezone|holidays)/.test(path) || SHOWN_FIELDS.includes(path.split(".")[0] ?? "");
      const m = r.error.message;
      setError(
        r.error.issues.length > 0 && r.error.issues.every((i) => atField(i.path))
          ? `${m.charAt(0).toUpperCase()}${m.slice(1)}: see the marked fields.`
          : describeFailure(r.error),
      );
      return;
    }
    setEditing(false);
    setStatus(`${label} policy saved. Open ${label.toLowerCase()} tickets get the new targets in the background.`);
    router.refresh();
  }

  async function remove() {
    if (!policy) return;
    setBusy(true);
    setError(null);
    const r = await api("DELETE", `/api/v1/sla-policies/${policy.id}`);
    setBusy(false);
    setDeleting(false);
    if (!r.ok) {
      setError(describeFailure(r.error));
      return;
    }
    setEditing(false);
    setStatus(`${label} policy removed.`);
    router.refresh();
  }

  const durationField = (name: "first" | "resolve" | "next", apiName: string, legend: string, disabled = false) => {
    const err = problems.fields[apiName];
    return (
      <fieldset className={s.duration} disabled={disabled}>
        <legend>{legend}</legend>
        <div className={s.durationInputs}>
          <label>
            <input
              type="number"
              inputMode="numeric"
              min={0}
              max={8784}
              value={draft[name].h}
              aria-invalid={err ? true : undefined}
              onChange={(e) => setDraft({ ...draft, [name]: { ...draft[name], h: e.target.value } })}
            />
            hours
          </label>
          <label>
            <input
              type="number"
              inputMode="numeric"
              min={0}
              max={59}
              value={draft[name].m}
              aria-invalid={err ? true : undefined}
              onChange={(e) => setDraft({ ...draft, [name]: { ...draft[name], m: e.target.value } })}
            />
            minutes
          </label>
        </div>
        {err ? <p className="field-error">{`${legend} ${err}.`}</p> : null}
      </fieldset>
    );
  };

  return (
    <section className="card" aria-labelledby={titleId} data-testid={`policy-${priority}`}>
      <div className={s.section}>
        <div className={s.sectionHead}>
          <div className={s.policyHead}>
            <h2 id={titleId}>
              <span className={`chip priority-${priority}`}>{label}</span> priority
            </h2>
            {policy ? (
              <span className={`${s.badge} ${policy.businessHours ? s.badgeInfo : ""}`}>
                {policy.businessHours ? "Business hours" : "Around the clock"}
              </span>
            ) : (
              <span className={`${s.badge} ${s.badgeWarn}`}>No policy</span>
            )}
          </div>
          {!editing ? (
            <button type="button" className="button" onClick={start} aria-describedby={titleId}>
              {policy ? "Edit" : "Create policy"}
            </button>
          ) : null}
        </div>

        {!editing && policy ? (
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
                {policy.pauseOn.length
                  ? policy.pauseOn.map((p) => (p === "on_hold" ? "on hold" : p)).join(", ")
                  : "never"}
              </dd>
            </div>
            {policy.businessHours && policy.calendar ? (
              <div>
                <dt>Calendar</dt>
                <dd>
                  {policy.calendar.name} ({policy.calendar.timezone}, {policy.calendar.intervals.length} interval
                  {policy.calendar.intervals.length === 1 ? "" : "s"}
                  {policy.calendar.holidays.length
                    ? `, ${policy.calendar.holidays.length} holiday${policy.calendar.holidays.length === 1 ? "" : "s"}`
                    : ""}
                  )
                </dd>
              </div>
            ) : null}
          </dl>
        ) : null}
        {!editing && !policy ? (
          <p className="muted">Tickets of this priority get no SLA targets until a policy exists.</p>
        ) : null}
        {!editing && policy ? (
          <p className="hint">
            Last changed <LocalTime iso={policy.updatedAt} />.
          </p>
        ) : null}

        {editing ? (
          <form ref={formRef} onSubmit={save} noValidate className={s.section} aria-label={`${label} priority policy`}>
            <div className={s.durations}>
              {durationField("first", "firstResponseMinutes", "First response")}
              {durationField("resolve", "resolveMinutes", "Resolution")}
              <div>
                <label className={s.check}>
                  <input
                    type="checkbox"
                    checked={draft.nextOn}
                    onChange={(e) => setDraft({ ...draft, nextOn: e.target.checked })}
                  />
                  Next-response target
                </label>
                {durationField("next", "nextResponseMinutes", "Next response", !draft.nextOn)}
              </div>
            </div>

            <fieldset className={s.checks}>
              <legend>Pause the resolution clock while the ticket is</legend>
              {PAUSABLE.map((p) => (
                <label key={p.value} className={s.check}>
                  <input
                    type="checkbox"
                    checked={draft.pauseOn.includes(p.value)}
                    onChange={(e) =>
                      setDraft({
                        ...draft,
                        pauseOn: e.target.checked
                          ? [...draft.pauseOn, p.value]
                          : draft.pauseOn.filter((x) => x !== p.value),
                      })
                    }
                  />
                  {p.label}
                </label>
              ))}
            </fieldset>

            <div>
              <label className={s.check}>
                <input
                  type="checkbox"
                  checked={draft.businessHours}
                  onChange={(e) => setBusinessHours(e.target.checked)}
                  aria-describedby={`${id}-bh-hint`}
                />
                Count only business hours
              </label>
              <p id={`${id}-bh-hint`} className="hint">
                {draft.businessHours
                  ? "Targets count only minutes inside the calendar below."
                  : "Targets count every minute, nights and weekends included."}
              </p>
            </div>

            {draft.businessHours && draft.calendar ? (
              <CalendarEditor
                value={draft.calendar}
                onChange={(calendar) => setDraft({ ...draft, calendar })}
                problems={problems}
                disabled={busy}
              />
            ) : null}

            <div role="alert" className={s.alert}>
              {error ? <p className="error">{error}</p> : null}
            </div>
            {conflict ? (
              <EditConflict
                fields={conflict.fields}
                mine="your edits in this form"
                busy={busy}
                onReapply={() => void send(conflict.body, conflict.etag)}
                onDiscard={() => {
                  setConflict(null);
                  setEditing(false);
                  router.refresh();
                }}
              />
            ) : null}
            <div className={s.formActions}>
              <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
                {busy ? "Saving…" : policy ? "Save policy" : "Create policy"}
              </button>
              <button type="button" className="button" onClick={() => setEditing(false)} disabled={busy}>
                Cancel
              </button>
              {policy ? (
                <button
                  type="button"
                  className={`button ${s.dangerOutline}`}
                  onClick={() => setDeleting(true)}
                  disabled={busy}
                >
                  Remove policy
                </button>
              ) : null}
            </div>
          </form>
        ) : null}
        {!editing && error ? (
          <div role="alert">
            <p className="error">{error}</p>
          </div>
        ) : null}
        <p role="status" className={s.status}>
          {status}
        </p>
      </div>
      {deleting ? (
        <ConfirmDialog
          open
          title={`Remove the ${label.toLowerCase()} priority policy?`}
          confirmLabel="Remove policy"
          danger
          busy={busy}
          onConfirm={() => void remove()}
          onCancel={() => setDeleting(false)}
        >
          <p>
            Open {label.toLowerCase()} tickets lose their unmet SLA targets, and new ones get none until you create a
            policy again.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
