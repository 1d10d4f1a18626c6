"use client";

import { useEffect, useId, useRef } from "react";
import { EditConflict } from "../edit-conflict";
import s from "./admin.module.css";
import { CalendarEditor } from "./calendar-editor";
import { PAUSABLE } from "./sla-policy-draft";
import type { PolicyEditor } from "./use-policy-editor";

type DurationName = "first" | "resolve" | "next";

function DurationField(props: {
  ed: PolicyEditor;
  name: DurationName;
  apiName: string;
  legend: string;
  disabled?: boolean;
}) {
  const { ed, name, apiName, legend, disabled = false } = props;
  const err = ed.problems.fields[apiName];
  const value = ed.draft[name];
  const set = (part: "h" | "m", v: string) => ed.setDraft({ ...ed.draft, [name]: { ...value, [part]: v } });
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
            value={value.h}
            aria-invalid={err ? true : undefined}
            onChange={(e) => set("h", e.target.value)}
          />
          hours
        </label>
        <label>
          <input
            type="number"
            inputMode="numeric"
            min={0}
            max={59}
            value={value.m}
            aria-invalid={err ? true : undefined}
            onChange={(e) => set("m", e.target.value)}
          />
          minutes
        </label>
      </div>
      {err ? <p className="field-error">{`${legend} ${err}.`}</p> : null}
    </fieldset>
  );
}

function PauseChoices({ ed }: { ed: PolicyEditor }) {
  const { draft, setDraft } = ed;
  const toggle = (value: string, on: boolean) =>
    setDraft({ ...draft, pauseOn: on ? [...draft.pauseOn, value] : draft.pauseOn.filter((x) => x !== value) });
  return (
    <fieldset className={s.checks}>
      <legend>Pause the resolution clock while the ticket is</legend>
      {PAUSABLE.map((p) => (
        <label key={p.value} className={s.check}>
          <input
            type="checkbox"
            checked={draft.pauseOn.includes(p.value)}
            onChange={(e) => toggle(p.value, e.target.checked)}
          />
          {p.label}
        </label>
      ))}
    </fieldset>
  );
}

function BusinessHours({ ed }: { ed: PolicyEditor }) {
  const id = useId();
  return (
    <div>
      <label className={s.check}>
        <input
          type="checkbox"
          checked={ed.draft.businessHours}
          onChange={(e) => ed.setBusinessHours(e.target.checked)}
          aria-describedby={`${id}-bh-hint`}
        />
        Count only business hours
      </label>
      <p id={`${id}-bh-hint`} className="hint">
        {ed.draft.businessHours
          ? "Targets count only minutes inside the calendar below."
          : "Targets count every minute, nights and weekends included."}
      </p>
    </div>
  );
}

/** The card's editor: durations, pauses, the business-hours calendar, and save / cancel / remove. */
export function PolicyForm({ ed, exists }: { ed: PolicyEditor; exists: boolean }) {
  const formRef = useRef<HTMLFormElement>(null);
  // Opening the editor replaces the Edit button: take focus into the form rather than lose it.
  useEffect(() => {
    formRef.current?.querySelector<HTMLInputElement>("input")?.focus();
  }, []);
  const { draft, busy, conflict } = ed;
  return (
    <form
      ref={formRef}
      onSubmit={(e) => void ed.save(e)}
      noValidate
      className={s.section}
      aria-label={`${ed.label} priority policy`}
    >
      <div className={s.durations}>
        <DurationField ed={ed} name="first" apiName="firstResponseMinutes" legend="First response" />
        <DurationField ed={ed} name="resolve" apiName="resolveMinutes" legend="Resolution" />
        <div>
          <label className={s.check}>
            <input
              type="checkbox"
              checked={draft.nextOn}
              onChange={(e) => ed.setDraft({ ...draft, nextOn: e.target.checked })}
            />
            Next-response target
          </label>
          <DurationField
            ed={ed}
            name="next"
            apiName="nextResponseMinutes"
            legend="Next response"
            disabled={!draft.nextOn}
          />
        </div>
      </div>
      <PauseChoices ed={ed} />
      <BusinessHours ed={ed} />
      {draft.businessHours && draft.calendar ? (
        <CalendarEditor
          value={draft.calendar}
          onChange={(calendar) => ed.setDraft({ ...draft, calendar })}
          problems={ed.problems}
          disabled={busy}
        />
      ) : null}
      <div role="alert" className={s.alert}>
        {ed.error ? <p className="error">{ed.error}</p> : null}
      </div>
      {conflict ? (
        <EditConflict
          fields={conflict.fields}
          mine="your edits in this form"
          busy={busy}
          onReapply={() => void ed.reapply(conflict)}
          onDiscard={ed.discardMine}
        />
      ) : null}
      <div className={s.formActions}>
        <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
          {busy ? "Saving…" : exists ? "Save policy" : "Create policy"}
        </button>
        <button type="button" className="button" onClick={ed.cancel} disabled={busy}>
          Cancel
        </button>
        {exists ? (
          <button type="button" className={`button ${s.dangerOutline}`} onClick={ed.askRemove} disabled={busy}>
            Remove policy
          </button>
        ) : null}
      </div>
    </form>
  );
}
