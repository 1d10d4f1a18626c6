import { describe, expect, it } from "vitest";
import {
  CalendarError,
  isWorkingTime,
  localToUtc,
  toLocal,
  validateCalendar,
  workingSpans,
  type Calendar,
  type CalendarInterval,
} from "../../src/server/sla/calendar";

// Every expected instant below was worked out by hand from the zone's offset on that date
// (America/New_York: EST -05:00 until 2026-03-08 07:00Z, EDT -04:00 until 2026-11-01 06:00Z;
// Europe/Berlin: CET +01:00 until 2026-03-29 01:00Z, CEST +02:00 until 2026-10-25 01:00Z).

const weekdays = (start: string, end: string, days = [1, 2, 3, 4, 5]): CalendarInterval[] =>
  days.map((day) => ({ day, start, end }));
const cal = (timezone: string, intervals: CalendarInterval[], holidays: string[] = []): Calendar => ({
  timezone,
  intervals,
  holidays,
});
const NY = cal("America/New_York", weekdays("09:00", "17:00"));
const ALL_WEEK = [0, 1, 2, 3, 4, 5, 6];
const spans = (c: Calendar, from: string, to: string) =>
  workingSpans(c, new Date(from), new Date(to)).map((s) => [s.start.toISOString(), s.end.toISOString()]);
const paths = (c: Calendar) => validateCalendar(c).map((p) => p.path);

describe("validateCalendar", () => {
  const cases: { name: string; cal: Calendar; problems: string[] }[] = [
    { name: "a plain Mon–Fri calendar", cal: NY, problems: [] },
    {
      name: "split shifts, end 24:00, an overnight Saturday into Sunday",
      cal: cal(
        "Europe/Berlin",
        [
          { day: 1, start: "09:00", end: "12:00" },
          { day: 1, start: "12:00", end: "17:00" },
          { day: 2, start: "18:00", end: "24:00" },
          { day: 6, start: "22:00", end: "06:00" },
          { day: 0, start: "06:00", end: "08:00" },
        ],
        ["2026-12-25"],
      ),
      problems: [],
    },
    { name: "an unknown zone", cal: cal("Mars/Olympus", weekdays("09:00", "17:00")), problems: ["timezone"] },
    {
      name: "a UTC offset instead of an IANA zone",
      cal: cal("+05:00", weekdays("09:00", "17:00")),
      problems: ["timezone"],
    },
    {
      name: "malformed times",
      cal: cal("UTC", [
        { day: 1, start: "9:00", end: "17:00" },
        { day: 2, start: "24:00", end: "24:30" },
      ]),
      problems: ["intervals[0].start", "intervals[1].start", "intervals[1].end"],
    },
    {
      name: "days out of range",
      cal: cal("UTC", [
        { day: 7, start: "09:00", end: "10:00" },
        { day: -1, start: "09:00", end: "10:00" },
        { day: 1.5, start: "09:00", end: "10:00" },
      ]),
      problems: ["intervals[0].day", "intervals[1].day", "intervals[2].day"],
    },
    {
      name: "overlapping intervals on one day",
      cal: cal("UTC", [
        { day: 1, start: "09:00", end: "12:00" },
        { day: 1, start: "11:00", end: "13:00" },
      ]),
      problems: ["intervals[1]"],
    },
    {
      name: "a duplicate interval",
      cal: cal("UTC", [
        { day: 3, start: "09:00", end: "17:00" },
        { day: 3, start: "09:00", end: "17:00" },
      ]),
      problems: ["intervals[1]"],
    },
    {
      name: "an overnight interval running into the next day's",
      cal: cal("UTC", [
        { day: 1, start: "22:00", end: "06:00" },
        { day: 2, start: "05:00", end: "09:00" },
      ]),
      problems: ["intervals[1]"],
    },
    {
      name: "Saturday night wrapping into Sunday's interval",
      cal: cal("UTC", [
        { day: 0, start: "01:00", end: "02:00" },
        { day: 6, start: "23:00", end: "01:30" },
      ]),
      problems: ["intervals[1]"],
    },
    { name: "no intervals at all", cal: cal("UTC", []), problems: ["intervals"] },
    {
      name: "impossible and malformed holidays",
      cal: cal("UTC", weekdays("09:00", "17:00"), ["2026-02-30", "2026-2-3", "2026-12-24"]),
      problems: ["holidays[0]", "holidays[1]"],
    },
  ];
  it.each(cases)("$name", ({ cal: c, problems }) => {
    expect(paths(c).sort()).toEqual([...problems].sort());
  });

  it("names the interval an overlap collides with", () => {
    expect(
      validateCalendar(
        cal("UTC", [
          { day: 1, start: "09:00", end: "12:00" },
          { day: 1, start: "11:00", end: "13:00" },
        ]),
      ),
    ).toEqual([{ path: "intervals[1]", message: "overlaps intervals[0]" }]);
  });

  it("refuses to compute with an invalid calendar", () => {
    expect(() =>
      workingSpans(
        cal("Mars/Olympus", weekdays("09:00", "17:00")),
        new Date("2026-01-01T00:00:00Z"),
        new Date("2026-01-02T00:00:00Z"),
      ),
    ).toThrow(CalendarError);
  });
});

describe("workingSpans", () => {
  const cases: { name: string; cal: Calendar; from: string; to: string; spans: [string, string][] }[] = [
    {
      name: "New York business days around spring-forward (EST Fri, EDT Mon)",
      cal: NY,
      from: "2026-03-06T00:00:00Z",
      to: "2026-03-10T00:00:00Z",
      spans: [
        ["2026-03-06T14:00:00.000Z", "2026-03-06T22:00:00.000Z"],
        ["2026-03-09T13:00:00.000Z", "2026-03-09T21:00:00.000Z"],
      ],
    },
    {
      name: "clipped to a range that starts and ends mid-span",
      cal: NY,
      from: "2026-02-02T16:30:00Z",
      to: "2026-02-03T15:15:00Z",
      spans: [
        ["2026-02-02T16:30:00.000Z", "2026-02-02T22:00:00.000Z"],
        ["2026-02-03T14:00:00.000Z", "2026-02-03T15:15:00.000Z"],
      ],
    },
    {
      name: "Berlin split shift, adjacent intervals merged",
      cal: cal("Europe/Berlin", [
        { day: 1, start: "09:00", end: "12:00" },
        { day: 1, start: "13:00", end: "15:00" },
        { day: 1, start: "15:00", end: "17:00" },
      ]),
      from: "2026-02-02T00:00:00Z",
      to: "2026-02-03T00:00:00Z",
      spans: [
        ["2026-02-02T08:00:00.000Z", "2026-02-02T11:00:00.000Z"],
        ["2026-02-02T12:00:00.000Z", "2026-02-02T16:00:00.000Z"],
      ],
    },
    {
      name: "24x7 across New York fall-back is one 25-hour day",
      cal: cal("America/New_York", weekdays("00:00", "24:00", ALL_WEEK)),
      from: "2026-11-01T04:00:00Z",
      to: "2026-11-02T05:00:00Z",
      spans: [["2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z"]],
    },
    {
      name: "overnight 22:00–06:00 (Mon night), after-midnight part on a holiday Tuesday is dropped",
      cal: cal("America/New_York", [{ day: 1, start: "22:00", end: "06:00" }], ["2026-02-03"]),
      from: "2026-02-02T00:00:00Z",
      to: "2026-02-04T00:00:00Z",
      spans: [["2026-02-03T03:00:00.000Z", "2026-02-03T05:00:00.000Z"]],
    },
    {
      name: "overnight interval starting on a holiday keeps its after-midnight part",
      cal: cal("America/New_York", [{ day: 1, start: "22:00", end: "06:00" }], ["2026-02-02"]),
      from: "2026-02-02T00:00:00Z",
      to: "2026-02-04T00:00:00Z",
      spans: [["2026-02-03T05:00:00.000Z", "2026-02-03T11:00:00.000Z"]],
    },
    {
      name: "an interval inside the spring-forward gap never happens that Sunday",
      cal: cal("America/New_York", [{ day: 0, start: "02:00", end: "03:00" }]),
      from: "2026-03-08T00:00:00Z",
      to: "2026-03-16T00:00:00Z",
      spans: [["2026-03-15T06:00:00.000Z", "2026-03-15T07:00:00.000Z"]],
    },
    {
      name: "an interval starting in the gap starts at the transition",
      cal: cal("America/New_York", [{ day: 0, start: "02:30", end: "04:00" }]),
      from: "2026-03-08T00:00:00Z",
      to: "2026-03-09T00:00:00Z",
      spans: [["2026-03-08T07:00:00.000Z", "2026-03-08T08:00:00.000Z"]],
    },
    {
      name: "the repeated fall-back hour counts twice",
      cal: cal("America/New_York", [{ day: 0, start: "01:00", end: "02:00" }]),
      from: "2026-11-01T00:00:00Z",
      to: "2026-11-02T00:00:00Z",
      spans: [["2026-11-01T05:00:00.000Z", "2026-11-01T07:00:00.000Z"]],
    },
    {
      name: "an interval starting inside the repeated hour leaves a hole in the first pass",
      cal: cal("America/New_York", [{ day: 0, start: "01:30", end: "03:00" }]),
      from: "2026-11-01T00:00:00Z",
      to: "2026-11-02T00:00:00Z",
      spans: [
        ["2026-11-01T05:30:00.000Z", "2026-11-01T06:00:00.000Z"],
        ["2026-11-01T06:30:00.000Z", "2026-11-01T08:00:00.000Z"],
      ],
    },
    {
      name: "Berlin fall-back: 02:00–03:00 happens twice",
      cal: cal("Europe/Berlin", [{ day: 0, start: "02:00", end: "03:00" }]),
      from: "2026-10-24T00:00:00Z",
      to: "2026-10-26T00:00:00Z",
      spans: [["2026-10-25T00:00:00.000Z", "2026-10-25T02:00:00.000Z"]],
    },
    {
      name: "Asia/Kathmandu (+05:45)",
      cal: cal("Asia/Kathmandu", weekdays("10:00", "17:00")),
      from: "2026-02-02T00:00:00Z",
      to: "2026-02-03T00:00:00Z",
      spans: [["2026-02-02T04:15:00.000Z", "2026-02-02T11:15:00.000Z"]],
    },
    {
      name: "an empty range",
      cal: NY,
      from: "2026-02-02T15:00:00Z",
      to: "2026-02-02T15:00:00Z",
      spans: [],
    },
  ];
  it.each(cases)("$name", ({ cal: c, from, to, spans: expected }) => {
    expect(spans(c, from, to)).toEqual(expected);
  });
});

describe("isWorkingTime", () => {
  const berlinNights = cal("Europe/Berlin", [{ day: 5, start: "22:00", end: "06:00" }], ["2026-02-07"]);
  const cases: { name: string; cal: Calendar; at: string; working: boolean }[] = [
    { name: "NY Monday 09:00 EST (opening instant)", cal: NY, at: "2026-02-02T14:00:00Z", working: true },
    { name: "NY Monday 16:59:59 EST", cal: NY, at: "2026-02-02T21:59:59Z", working: true },
    { name: "NY Monday 17:00 EST (closing instant is outside)", cal: NY, at: "2026-02-02T22:00:00Z", working: false },
    { name: "NY Saturday noon", cal: NY, at: "2026-02-07T17:00:00Z", working: false },
    { name: "NY Monday 09:00 EDT is 13:00Z after spring-forward", cal: NY, at: "2026-03-09T13:00:00Z", working: true },
    {
      name: "Berlin Friday 23:00 CET on an overnight interval",
      cal: berlinNights,
      at: "2026-02-06T22:00:00Z",
      working: true,
    },
    {
      name: "Berlin Saturday 01:00 CET, after-midnight part on a holiday",
      cal: berlinNights,
      at: "2026-02-07T00:00:00Z",
      working: false,
    },
  ];
  it.each(cases)("$name", ({ cal: c, at, working }) => {
    expect(isWorkingTime(c, new Date(at))).toBe(working);
  });
});

describe("local time conversion", () => {
  const cases: { name: string; tz: string; local: string; utc: string }[] = [
    { name: "New York winter", tz: "America/New_York", local: "2026-02-02T09:00", utc: "2026-02-02T14:00:00.000Z" },
    {
      name: "New York spring gap shifts forward to the transition",
      tz: "America/New_York",
      local: "2026-03-08T02:30",
      utc: "2026-03-08T07:00:00.000Z",
    },
    {
      name: "New York repeated 01:30 takes the earlier (EDT) instant",
      tz: "America/New_York",
      local: "2026-11-01T01:30",
      utc: "2026-11-01T05:30:00.000Z",
    },
    { name: "Berlin spring gap", tz: "Europe/Berlin", local: "2026-03-29T02:15:30", utc: "2026-03-29T01:00:00.000Z" },
    {
      name: "Berlin repeated 02:30 takes CEST",
      tz: "Europe/Berlin",
      local: "2026-10-25T02:30",
      utc: "2026-10-25T00:30:00.000Z",
    },
    { name: "Kathmandu +05:45", tz: "Asia/Kathmandu", local: "2026-01-01T00:00", utc: "2025-12-31T18:15:00.000Z" },
    {
      name: "Lord Howe 30-minute fall-back: repeated 01:45 takes +11:00",
      tz: "Australia/Lord_Howe",
      local: "2026-04-05T01:45",
      utc: "2026-04-04T14:45:00.000Z",
    },
    {
      name: "Lord Howe 30-minute spring gap",
      tz: "Australia/Lord_Howe",
      local: "2026-10-04T02:10",
      utc: "2026-10-03T15:30:00.000Z",
    },
  ];
  it.each(cases)("$name", ({ tz, local, utc }) => {
    expect(localToUtc(tz, local).toISOString()).toBe(utc);
  });

  it("reads the wall clock on both sides of a fall-back", () => {
    expect(toLocal("Australia/Lord_Howe", new Date("2026-04-04T14:45:00Z"))).toEqual({
      date: "2026-04-05",
      time: "01:45:00",
      weekday: 0,
    });
    expect(toLocal("Australia/Lord_Howe", new Date("2026-04-04T15:15:00Z"))).toEqual({
      date: "2026-04-05",
      time: "01:45:00",
      weekday: 0,
    });
    expect(toLocal("America/New_York", new Date("2026-03-08T07:00:00Z"))).toEqual({
      date: "2026-03-08",
      time: "03:00:00",
      weekday: 0,
    });
  });

  it("rejects a malformed local time", () => {
    expect(() => localToUtc("UTC", "2026-02-30T10:00")).toThrow(CalendarError);
    expect(() => localToUtc("Mars/Olympus", "2026-02-03T10:00")).toThrow(CalendarError);
  });
});
