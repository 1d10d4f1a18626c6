"use client";

import { useId, useState } from "react";
import { useHydrated } from "../use-hydrated";
import s from "./admin.module.css";

export type IntervalDraft = { key: number; day: number; start: string; end: string };
export type CalendarDraft = { name: string; timezone: string; intervals: IntervalDraft[]; holidays: string[] };

// Monday first, as support teams plan their week; the API numbers days 0 (Sunday) to 6.
const WEEK = [
  { day: 1, name: "Monday" },
  { day: 2, name: "Tuesday" },
  { day: 3, name: "Wednesday" },
  { day: 4, name: "Thursday" },
  { day: 5, name: "Friday" },
  { day: 6, name: "Saturday" },
  { day: 0, name: "Sunday" },
];

// Keys of intervals loaded from the server are their index (the same on server and client
// render); intervals added in the browser count up from far above any index.
let nextKey = 100_000;
export const newKey = () => nextKey++;

/** The API's "24:00" (end of day) is "00:00" in a time input: an end at or before the start runs past midnight. */
export const toInputTime = (hhmm: string) => (hhmm === "24:00" ? "00:00" : hhmm);

export function defaultCalendar(timezone: string): CalendarDraft {
  return {
    name: "Business hours",
    timezone,
    intervals: [1, 2, 3, 4, 5].map((day) => ({ key: newKey(), day, start: "09:00", end: "17:00" })),
    holidays: [],
  };
}

type Props = {
  value: CalendarDraft;
  onChange: (c: CalendarDraft) => void;
  /** Problems the API reported, by interval key or by "timezone" / "holidays". */
  problems: { intervals: Record<number, string>; timezone?: string; holidays?: string };
  disabled?: boolean;
};

/** Weekly working intervals (several per day for split shifts, overnight allowed), time zone and holidays. */
export function CalendarEditor({ value, onChange, problems, disabled = false }: Props) {
  const id = useId();
  const hydrated = useHydrated();
  const [holiday, setHoliday] = useState("");
  const zones = hydrated && typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];

  const set = (patch: Partial<CalendarDraft>) => onChange({ ...value, ...patch });
  const setInterval = (key: number, patch: Partial<IntervalDraft>) =>
    set({ intervals: value.intervals.map((i) => (i.key === key ? { ...i, ...patch } : i)) });
  const addInterval = (day: number) => {
    const same = value.intervals.filter((i) => i.day === day);
    const last = same[same.length - 1];
    // A second interval on a day usually follows a break: start an hour after the first ends.
    const start = last ? shift(last.end, 60) : "09:00";
    set({ intervals: [...value.intervals, { key: newKey(), day, start, end: shift(start, 240) }] });
  };
  const addHoliday = () => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(holiday) || value.holidays.includes(holiday)) return;
    set({ holidays: [...value.holidays, holiday].sort() });
    setHoliday("");
  };

  return (
    <fieldset className={s.calendar} disabled={disabled}>
      <legend className="visually-hidden">Business-hours calendar</legend>
      <h3 aria-hidden="true">Business-hours calendar</h3>
      <div className={`${s.formGrid} ${s.alignTop}`}>
        <div className="field">
          <label htmlFor={`${id}-name`}>Calendar name</label>
          <input
            id={`${id}-name`}
            type="text"
            value={value.name}
            maxLength={100}
            onChange={(e) => set({ name: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-tz`}>Time zone</label>
          <input
            id={`${id}-tz`}
            type="text"
            value={value.timezone}
            list={`${id}-zones`}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={problems.timezone ? true : undefined}
            aria-describedby={`${id}-tz-hint${problems.timezone ? ` ${id}-tz-err` : ""}`}
            onChange={(e) => set({ timezone: e.target.value })}
          />
          <datalist id={`${id}-zones`}>
            {zones.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          <p id={`${id}-tz-hint`} className="hint">
            An IANA zone such as Europe/Berlin; daylight-saving changes are followed.
          </p>
          {problems.timezone ? (
            <p id={`${id}-tz-err`} className="field-error">
              Time zone {problems.timezone}.
            </p>
          ) : null}
        </div>
      </div>

      <div>
        <p className="hint" id={`${id}-week-hint`}>
          Add several intervals on a day for split shifts. An end at or before the start runs past midnight into the
          next day.
        </p>
        <ul className={s.days} aria-describedby={`${id}-week-hint`}>
          {WEEK.map(({ day, name }) => {
            const list = value.intervals.filter((i) => i.day === day);
            return (
              <li key={day} className={s.day}>
                <span className={s.dayName} id={`${id}-day-${day}`}>
                  {name}
                </span>
                <div>
                  {list.length === 0 ? <p className={s.closedDay}>Closed</p> : null}
                  <ul className={s.intervals} aria-labelledby={`${id}-day-${day}`}>
                    {list.map((i, n) => {
                      const label = `${name}${list.length > 1 ? ` interval ${n + 1}` : ""}`;
                      const problem = problems.intervals[i.key];
                      return (
                        <li key={i.key}>
                          <div className={s.interval}>
                            <label htmlFor={`${id}-${i.key}-start`} className={s.fromLabel}>
                              <span className="visually-hidden">{label} </span>from
                            </label>
                            <input
                              id={`${id}-${i.key}-start`}
                              className={`${s.small} ${s.fromInput}`}
                              type="time"
                              required
                              value={i.start}
                              aria-invalid={problem ? true : undefined}
                              onChange={(e) => setInterval(i.key, { start: e.target.value })}
                            />
                            <label htmlFor={`${id}-${i.key}-end`} className={s.toLabel}>
                              <span className="visually-hidden">{label} </span>to
                            </label>
                            <input
                              id={`${id}-${i.key}-end`}
                              className={`${s.small} ${s.toInput}`}
                              type="time"
                              required
                              value={i.end}
                              aria-invalid={problem ? true : undefined}
                              onChange={(e) => setInterval(i.key, { end: e.target.value })}
                            />
                            {i.end && i.start && i.end <= i.start ? (
                              <span className={`hint ${s.nextDay}`}>(next day)</span>
                            ) : null}
                            <button
                              type="button"
                              className={`${s.iconButton} ${s.removeInterval}`}
                              onClick={() => set({ intervals: value.intervals.filter((x) => x.key !== i.key) })}
                            >
                              Remove<span className="visually-hidden"> {label}</span>
                            </button>
                          </div>
                          {problem ? <p className="field-error">{problem}</p> : null}
                        </li>
                      );
                    })}
                  </ul>
                  <button type="button" className={s.linkButton} onClick={() => addInterval(day)}>
                    {list.length === 0 ? "Add hours" : "Add another interval"}
                    <span className="visually-hidden"> on {name}</span>
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      </div>

      <div className={s.section}>
        <div className={s.inlineFields}>
          <div className={`field ${s.narrowField}`}>
            <label htmlFor={`${id}-holiday`}>Holiday</label>
            <input
              id={`${id}-holiday`}
              type="date"
              value={holiday}
              onChange={(e) => setHoliday(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  addHoliday();
                }
              }}
            />
          </div>
          <button type="button" className="button" onClick={addHoliday} disabled={!holiday}>
            Add holiday
          </button>
        </div>
        {value.holidays.length ? (
          <ul className={s.holidays} aria-label="Holidays (no working time)">
            {value.holidays.map((h) => (
              <li key={h} className={s.holiday}>
                {h}
                <button
                  type="button"
                  className={s.iconButton}
                  onClick={() => set({ holidays: value.holidays.filter((x) => x !== h) })}
                >
                  <span aria-hidden="true">✕</span>
                  <span className="visually-hidden">Remove holiday {h}</span>
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p className="hint">No holidays: every week looks the same.</p>
        )}
        {problems.holidays ? <p className="field-error">Holidays: {problems.holidays}</p> : null}
      </div>
    </fieldset>
  );
}

function shift(hhmm: string, minutes: number): string {
  const [h, m] = hhmm.split(":").map(Number);
  const t = ((((h ?? 0) * 60 + (m ?? 0) + minutes) % 1440) + 1440) % 1440;
  return `${String(Math.floor(t / 60)).padStart(2, "0")}:${String(t % 60).padStart(2, "0")}`;
}
