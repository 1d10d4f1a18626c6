import { describe, expect, it } from "vitest";
import { CalendarError, type Calendar, type CalendarInterval } from "../../src/server/sla/calendar";
import {
  addBusinessSeconds,
  addWallSeconds,
  businessClock,
  businessSecondsBetween,
  policyClock,
  stoppedClock,
  wallClock,
  wallSecondsBetween,
} from "../../src/server/sla/sla-clock";
import {
  firstResponseDueAt,
  nextResponseDueAt,
  pausedBusinessSeconds,
  resolveDueAt,
  slaState,
  type SlaTargets,
} from "../../src/server/sla/due-dates";
import { slaOnCreate, slaOnUpdate, type SlaRules, type SlaTicket } from "../../src/server/sla/transitions";

// Every expected instant was worked out by hand from the zone's offset on that date:
// America/New_York EST -05:00, EDT -04:00 from 2026-03-08 07:00Z to 2026-11-01 06:00Z;
// Europe/Berlin CET +01:00, CEST +02:00 from 2026-03-29 01:00Z to 2026-10-25 01:00Z;
// Australia/Lord_Howe +11:00 until 2026-04-04 15:00Z, then +10:30; Asia/Kathmandu +05:45.
// 2026-02-02 is a Monday.

const H = 3600;
const weekdays = (start: string, end: string, days = [1, 2, 3, 4, 5]): CalendarInterval[] =>
  days.map((day) => ({ day, start, end }));
const cal = (timezone: string, intervals: CalendarInterval[], holidays: string[] = []): Calendar => ({
  timezone,
  intervals,
  holidays,
});
const ALL_WEEK = [0, 1, 2, 3, 4, 5, 6];

const NY = cal("America/New_York", weekdays("09:00", "17:00"));
const BERLIN = cal("Europe/Berlin", weekdays("09:00", "17:00"));
const NY_24X7 = cal("America/New_York", weekdays("00:00", "24:00", ALL_WEEK));
const BERLIN_24X7 = cal("Europe/Berlin", weekdays("00:00", "24:00", ALL_WEEK));
const BERLIN_SPLIT = cal("Europe/Berlin", [...weekdays("09:00", "12:00"), ...weekdays("13:00", "17:00")]);
const NY_NIGHTS = cal("America/New_York", weekdays("22:00", "06:00"));
const NY_SUNDAY_EARLY = cal("America/New_York", [{ day: 0, start: "01:00", end: "03:00" }]);
const KATHMANDU = cal("Asia/Kathmandu", weekdays("10:00", "17:00"));
const LORD_HOWE = cal("Australia/Lord_Howe", weekdays("09:00", "17:00"));
const LORD_HOWE_24X7 = cal("Australia/Lord_Howe", weekdays("00:00", "24:00", ALL_WEEK));

describe("addBusinessSeconds", () => {
  const cases: { name: string; cal: Calendar; start: string; seconds: number; due: string }[] = [
    // New York, Mon–Fri 09:00–17:00, February (EST)
    {
      name: "NY start during hours",
      cal: NY,
      start: "2026-02-02T15:00:00Z",
      seconds: 1 * H,
      due: "2026-02-02T16:00:00.000Z",
    },
    {
      name: "NY start before opening counts from 09:00",
      cal: NY,
      start: "2026-02-02T12:00:00Z",
      seconds: 1 * H,
      due: "2026-02-02T15:00:00.000Z",
    },
    {
      name: "NY start after closing counts from next morning",
      cal: NY,
      start: "2026-02-02T23:00:00Z",
      seconds: 1 * H,
      due: "2026-02-03T15:00:00.000Z",
    },
    {
      name: "NY start on Saturday counts from Monday",
      cal: NY,
      start: "2026-02-07T17:00:00Z",
      seconds: 4 * H,
      due: "2026-02-09T18:00:00.000Z",
    },
    {
      name: "NY carries over night",
      cal: NY,
      start: "2026-02-02T21:00:00Z",
      seconds: 2 * H,
      due: "2026-02-03T15:00:00.000Z",
    },
    {
      name: "NY landing exactly on closing returns closing",
      cal: NY,
      start: "2026-02-02T14:00:00Z",
      seconds: 8 * H,
      due: "2026-02-02T22:00:00.000Z",
    },
    {
      name: "NY Friday to the closing instant",
      cal: NY,
      start: "2026-02-06T21:00:00Z",
      seconds: 1 * H,
      due: "2026-02-06T22:00:00.000Z",
    },
    {
      name: "NY Friday one second past closing is Monday 09:00:01",
      cal: NY,
      start: "2026-02-06T21:00:00Z",
      seconds: H + 1,
      due: "2026-02-09T14:00:01.000Z",
    },
    {
      name: "NY 90 seconds across the night, to the second",
      cal: NY,
      start: "2026-02-02T21:59:00Z",
      seconds: 90,
      due: "2026-02-03T14:00:30.000Z",
    },
    {
      name: "zero seconds outside hours is the start itself",
      cal: NY,
      start: "2026-02-07T17:00:00Z",
      seconds: 0,
      due: "2026-02-07T17:00:00.000Z",
    },
    {
      name: "zero seconds inside hours is the start itself",
      cal: NY,
      start: "2026-02-02T15:00:00Z",
      seconds: 0,
      due: "2026-02-02T15:00:00.000Z",
    },
    {
      name: "NY 120 business hours = three weeks",
      cal: NY,
      start: "2026-02-02T14:00:00Z",
      seconds: 120 * H,
      due: "2026-02-20T22:00:00.000Z",
    },
    {
      name: "NY 1000 business hours = 25 weeks, across spring-forward",
      cal: NY,
      start: "2026-01-05T14:00:00Z",
      seconds: 1000 * H,
      due: "2026-06-26T21:00:00.000Z",
    },
    // Holidays
    {
      name: "due skips a Friday holiday before a weekend",
      cal: cal("America/New_York", weekdays("09:00", "17:00"), ["2026-12-25"]),
      start: "2026-12-24T21:00:00Z",
      seconds: 2 * H,
      due: "2026-12-28T15:00:00.000Z",
    },
    {
      name: "due would land on a Thursday holiday, moves to Friday",
      cal: cal("America/New_York", weekdays("09:00", "17:00"), ["2026-11-26"]),
      start: "2026-11-25T21:00:00Z",
      seconds: 2 * H,
      due: "2026-11-27T15:00:00.000Z",
    },
    {
      name: "start on a holiday counts from the next working day",
      cal: cal("America/New_York", weekdays("09:00", "17:00"), ["2026-11-26"]),
      start: "2026-11-26T17:00:00Z",
      seconds: 1 * H,
      due: "2026-11-27T15:00:00.000Z",
    },
    {
      name: "Berlin Labour Day (Friday) skipped",
      cal: cal("Europe/Berlin", weekdays("09:00", "17:00"), ["2026-05-01"]),
      start: "2026-04-30T14:00:00Z",
      seconds: 2 * H,
      due: "2026-05-04T08:00:00.000Z",
    },
    // Berlin, Mon–Fri 09:00–17:00
    {
      name: "Berlin start during hours",
      cal: BERLIN,
      start: "2026-02-02T09:00:00Z",
      seconds: 3 * H,
      due: "2026-02-02T12:00:00.000Z",
    },
    {
      name: "Berlin Friday afternoon to Monday",
      cal: BERLIN,
      start: "2026-02-06T14:00:00Z",
      seconds: 4 * H,
      due: "2026-02-09T10:00:00.000Z",
    },
    {
      name: "Berlin Sunday evening start",
      cal: BERLIN,
      start: "2026-02-08T19:00:00Z",
      seconds: 30 * 60,
      due: "2026-02-09T08:30:00.000Z",
    },
    // DST with business calendars
    {
      name: "NY business hours over spring-forward weekend",
      cal: NY,
      start: "2026-03-06T21:00:00Z",
      seconds: 2 * H,
      due: "2026-03-09T14:00:00.000Z",
    },
    {
      name: "NY business hours over fall-back weekend",
      cal: NY,
      start: "2026-10-30T20:00:00Z",
      seconds: 2 * H,
      due: "2026-11-02T15:00:00.000Z",
    },
    {
      name: "Berlin business hours over spring-forward weekend",
      cal: BERLIN,
      start: "2026-03-27T15:00:00Z",
      seconds: 2 * H,
      due: "2026-03-30T08:00:00.000Z",
    },
    {
      name: "Berlin business hours over fall-back weekend",
      cal: BERLIN,
      start: "2026-10-23T14:00:00Z",
      seconds: 2 * H,
      due: "2026-10-26T09:00:00.000Z",
    },
    {
      name: "NY Sunday 01:00–03:00 on fall-back night holds 3 real hours",
      cal: NY_SUNDAY_EARLY,
      start: "2026-10-31T12:00:00Z",
      seconds: 2.5 * H,
      due: "2026-11-01T07:30:00.000Z",
    },
    {
      name: "NY Sunday 01:00–03:00 on spring-forward night holds 1 real hour",
      cal: NY_SUNDAY_EARLY,
      start: "2026-03-07T12:00:00Z",
      seconds: 1.5 * H,
      due: "2026-03-15T05:30:00.000Z",
    },
    // 24x7 calendars count real hours
    {
      name: "NY 24x7 over spring-forward: 24 real hours",
      cal: NY_24X7,
      start: "2026-03-07T17:00:00Z",
      seconds: 24 * H,
      due: "2026-03-08T17:00:00.000Z",
    },
    {
      name: "NY 24x7 spring-forward Sunday is 23 hours long",
      cal: NY_24X7,
      start: "2026-03-08T05:00:00Z",
      seconds: 23 * H,
      due: "2026-03-09T04:00:00.000Z",
    },
    {
      name: "NY 24x7 fall-back Sunday is 25 hours long",
      cal: NY_24X7,
      start: "2026-11-01T04:00:00Z",
      seconds: 25 * H,
      due: "2026-11-02T05:00:00.000Z",
    },
    {
      name: "Berlin 24x7 spring-forward Sunday is 23 hours long",
      cal: BERLIN_24X7,
      start: "2026-03-28T23:00:00Z",
      seconds: 23 * H,
      due: "2026-03-29T22:00:00.000Z",
    },
    {
      name: "Berlin 24x7 fall-back Sunday is 25 hours long",
      cal: BERLIN_24X7,
      start: "2026-10-24T22:00:00Z",
      seconds: 25 * H,
      due: "2026-10-25T23:00:00.000Z",
    },
    // Split shifts (Berlin 09:00–12:00 + 13:00–17:00)
    {
      name: "split shift skips lunch",
      cal: BERLIN_SPLIT,
      start: "2026-02-02T10:00:00Z",
      seconds: 2 * H,
      due: "2026-02-02T13:00:00.000Z",
    },
    {
      name: "split shift start at lunch counts from 13:00",
      cal: BERLIN_SPLIT,
      start: "2026-02-02T11:30:00Z",
      seconds: 30 * 60,
      due: "2026-02-02T12:30:00.000Z",
    },
    {
      name: "split shift landing on 12:00 returns 12:00",
      cal: BERLIN_SPLIT,
      start: "2026-02-02T08:00:00Z",
      seconds: 3 * H,
      due: "2026-02-02T11:00:00.000Z",
    },
    {
      name: "split shift 8 hours is next morning 10:00",
      cal: BERLIN_SPLIT,
      start: "2026-02-02T08:00:00Z",
      seconds: 8 * H,
      due: "2026-02-03T09:00:00.000Z",
    },
    // Overnight 22:00–06:00 (Mon–Fri nights, New York)
    {
      name: "overnight shift across midnight",
      cal: NY_NIGHTS,
      start: "2026-02-03T01:00:00Z",
      seconds: 4 * H,
      due: "2026-02-03T07:00:00.000Z",
    },
    {
      name: "overnight shift: morning tail then next night",
      cal: NY_NIGHTS,
      start: "2026-02-03T10:00:00Z",
      seconds: 2 * H,
      due: "2026-02-04T04:00:00.000Z",
    },
    {
      name: "Friday night runs into Saturday 06:00",
      cal: NY_NIGHTS,
      start: "2026-02-07T03:00:00Z",
      seconds: 8 * H,
      due: "2026-02-07T11:00:00.000Z",
    },
    {
      name: "after Friday night the next shift is Monday 22:00",
      cal: NY_NIGHTS,
      start: "2026-02-07T03:00:00Z",
      seconds: 9 * H,
      due: "2026-02-10T04:00:00.000Z",
    },
    {
      name: "overnight: holiday Wednesday drops its morning tail and its own night",
      cal: cal("America/New_York", weekdays("22:00", "06:00"), ["2026-02-04"]),
      start: "2026-02-04T03:00:00Z",
      seconds: 3 * H,
      due: "2026-02-05T06:00:00.000Z",
    },
    // Odd offsets
    {
      name: "Kathmandu +05:45",
      cal: KATHMANDU,
      start: "2026-02-02T03:00:00Z",
      seconds: 1 * H,
      due: "2026-02-02T05:15:00.000Z",
    },
    {
      name: "Kathmandu Friday to Monday",
      cal: KATHMANDU,
      start: "2026-02-06T10:45:00Z",
      seconds: 1 * H,
      due: "2026-02-09T04:45:00.000Z",
    },
    {
      name: "Lord Howe business hours over its 30-minute fall-back",
      cal: LORD_HOWE,
      start: "2026-04-03T05:00:00Z",
      seconds: 2 * H,
      due: "2026-04-05T23:30:00.000Z",
    },
    {
      name: "Lord Howe 24x7 fall-back Sunday is 24.5 hours long",
      cal: LORD_HOWE_24X7,
      start: "2026-04-04T13:00:00Z",
      seconds: 24.5 * H,
      due: "2026-04-05T13:30:00.000Z",
    },
    {
      name: "Lord Howe 24x7 spring-forward Sunday is 23.5 hours long",
      cal: LORD_HOWE_24X7,
      start: "2026-10-03T13:30:00Z",
      seconds: 23.5 * H,
      due: "2026-10-04T13:00:00.000Z",
    },
  ];
  it.each(cases)("$name", ({ cal: c, start, seconds, due }) => {
    expect(addBusinessSeconds(c, new Date(start), seconds).toISOString()).toBe(due);
  });
});

describe("businessSecondsBetween", () => {
  const cases: { name: string; cal: Calendar; a: string; b: string; seconds: number }[] = [
    { name: "NY one working day", cal: NY, a: "2026-02-02T00:00:00Z", b: "2026-02-03T00:00:00Z", seconds: 8 * H },
    { name: "NY a full week", cal: NY, a: "2026-02-01T00:00:00Z", b: "2026-02-08T00:00:00Z", seconds: 40 * H },
    {
      name: "NY Friday 16:00 to Monday 10:00",
      cal: NY,
      a: "2026-02-06T21:00:00Z",
      b: "2026-02-09T15:00:00Z",
      seconds: 2 * H,
    },
    { name: "NY b before a", cal: NY, a: "2026-02-09T15:00:00Z", b: "2026-02-06T21:00:00Z", seconds: 0 },
    { name: "NY to the second", cal: NY, a: "2026-02-02T21:59:00Z", b: "2026-02-03T14:00:30Z", seconds: 90 },
    {
      name: "NY 24x7 fall-back day counts 25 hours",
      cal: NY_24X7,
      a: "2026-11-01T04:00:00Z",
      b: "2026-11-02T05:00:00Z",
      seconds: 25 * H,
    },
    {
      name: "NY 24x7 spring-forward day counts 23 hours",
      cal: NY_24X7,
      a: "2026-03-08T05:00:00Z",
      b: "2026-03-09T04:00:00Z",
      seconds: 23 * H,
    },
    {
      name: "Berlin 24x7 fall-back day counts 25 hours",
      cal: BERLIN_24X7,
      a: "2026-10-24T22:00:00Z",
      b: "2026-10-25T23:00:00Z",
      seconds: 25 * H,
    },
    {
      name: "NY Sunday 01:00–03:00 on fall-back night",
      cal: NY_SUNDAY_EARLY,
      a: "2026-11-01T00:00:00Z",
      b: "2026-11-02T00:00:00Z",
      seconds: 3 * H,
    },
    {
      name: "NY Sunday 01:00–03:00 on spring-forward night",
      cal: NY_SUNDAY_EARLY,
      a: "2026-03-08T00:00:00Z",
      b: "2026-03-09T00:00:00Z",
      seconds: 1 * H,
    },
    {
      name: "split shift full day",
      cal: BERLIN_SPLIT,
      a: "2026-02-02T00:00:00Z",
      b: "2026-02-03T00:00:00Z",
      seconds: 7 * H,
    },
    {
      name: "NY half a year (25 weeks)",
      cal: NY,
      a: "2026-01-05T14:00:00Z",
      b: "2026-06-26T21:00:00Z",
      seconds: 1000 * H,
    },
    {
      name: "Lord Howe 24x7 fall-back day",
      cal: LORD_HOWE_24X7,
      a: "2026-04-04T13:00:00Z",
      b: "2026-04-05T13:30:00Z",
      seconds: 24.5 * H,
    },
  ];
  it.each(cases)("$name", ({ cal: c, a, b, seconds }) => {
    expect(businessSecondsBetween(c, new Date(a), new Date(b))).toBe(seconds);
  });
});

describe("guards", () => {
  it("rejects negative and non-finite durations", () => {
    expect(() => addBusinessSeconds(NY, new Date("2026-02-02T15:00:00Z"), -1)).toThrow(RangeError);
    expect(() => addBusinessSeconds(NY, new Date("2026-02-02T15:00:00Z"), Number.NaN)).toThrow(RangeError);
    expect(() => addWallSeconds(new Date("2026-02-02T15:00:00Z"), Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it("refuses a calendar without working time", () => {
    expect(() => addBusinessSeconds(cal("UTC", []), new Date("2026-02-02T15:00:00Z"), 60)).toThrow(CalendarError);
    // Mondays only, and every Monday of 2026–2027 is a holiday: the search gives up with a clear error.
    const mondays = Array.from({ length: 110 }, (_, i) =>
      new Date(Date.UTC(2026, 0, 5 + 7 * i)).toISOString().slice(0, 10),
    );
    const noMondays = cal("UTC", [{ day: 1, start: "09:00", end: "17:00" }], mondays);
    expect(() => addBusinessSeconds(noMondays, new Date("2026-01-01T00:00:00Z"), 60)).toThrow(/no working time/);
  });

  it("refuses a target too far away to be meant", () => {
    expect(() => addBusinessSeconds(NY, new Date("2026-02-02T15:00:00Z"), 1e12)).toThrow(RangeError);
  });
});

describe("wall clock and SlaClock", () => {
  it("counts real seconds across DST", () => {
    expect(addWallSeconds(new Date("2026-03-07T17:00:00Z"), 24 * H).toISOString()).toBe("2026-03-08T17:00:00.000Z");
    expect(wallSecondsBetween(new Date("2026-11-01T04:00:00Z"), new Date("2026-11-02T05:00:00Z"))).toBe(25 * H);
    expect(wallSecondsBetween(new Date("2026-11-02T05:00:00Z"), new Date("2026-11-01T04:00:00Z"))).toBe(0);
  });

  it("picks the clock from the policy", () => {
    expect(policyClock({ businessHours: false }, NY)).toBe(wallClock);
    const clock = policyClock({ businessHours: true }, NY);
    expect(clock.kind).toBe("business");
    expect(clock.add(new Date("2026-02-06T21:00:00Z"), 2 * H).toISOString()).toBe("2026-02-09T15:00:00.000Z");
    expect(clock.between(new Date("2026-02-06T21:00:00Z"), new Date("2026-02-09T15:00:00Z"))).toBe(2 * H);
    expect(clock.isRunning(new Date("2026-02-07T17:00:00Z"))).toBe(false);
    // Working spans are half-open: running from Mon 09:00 EST, stopped at Fri 17:00 EST itself.
    expect(clock.isRunning(new Date("2026-02-09T14:00:00Z"))).toBe(true);
    expect(clock.isRunning(new Date("2026-02-06T21:59:59.999Z"))).toBe(true);
    expect(clock.isRunning(new Date("2026-02-06T22:00:00Z"))).toBe(false);
    expect(() => policyClock({ businessHours: true }, null)).toThrow(CalendarError);
    // SlaClock.between is whole seconds (what tickets store); the raw functions keep milliseconds.
    expect(clock.between(new Date("2026-02-02T15:00:00.000Z"), new Date("2026-02-02T15:00:01.600Z"))).toBe(2);
    expect(wallClock.between(new Date("2026-02-02T15:00:00.000Z"), new Date("2026-02-02T15:00:01.400Z"))).toBe(1);
    expect(businessSecondsBetween(NY, new Date("2026-02-02T15:00:00.000Z"), new Date("2026-02-02T15:00:01.600Z"))).toBe(
      1.6,
    );
  });
});

// Policies: minutes as stored on sla_policies.
const NORMAL: SlaTargets = {
  firstResponseMinutes: 240,
  resolveMinutes: 1440,
  nextResponseMinutes: 120,
  businessHours: true,
};
const HIGH: SlaTargets = {
  firstResponseMinutes: 60,
  resolveMinutes: 480,
  nextResponseMinutes: null,
  businessHours: true,
};
const URGENT_WALL: SlaTargets = {
  firstResponseMinutes: 30,
  resolveMinutes: 240,
  nextResponseMinutes: null,
  businessHours: false,
};
const d = (iso: string) => new Date(iso);

const rules = (p: SlaTargets): SlaRules => ({ ...p, pauseOn: ["pending", "on_hold"] });
const ticket = (t: Partial<SlaTicket> & { createdAt: Date }): SlaTicket => ({
  status: "open",
  firstResponseAt: null,
  firstResponseDue: null,
  nextResponseDue: null,
  resolveDue: null,
  resolvedAt: null,
  slaPausedAt: null,
  slaPausedSeconds: 0,
  ...t,
});
const NY_CLOCK = businessClock(NY);

describe("due dates, pauses and re-application", () => {
  it("computes both due dates from the start (NY, created Mon 10:00 EST)", () => {
    const due = slaOnCreate(rules(NORMAL), NY_CLOCK, {
      createdAt: d("2026-02-02T15:00:00Z"),
      priority: "normal",
    }).changes;
    expect(due.firstResponseDue!.toISOString()).toBe("2026-02-02T19:00:00.000Z"); // Mon 14:00
    expect(due.resolveDue!.toISOString()).toBe("2026-02-05T15:00:00.000Z"); // 24 business hours: Thu 10:00
  });

  it("credits paused business seconds to resolution only", () => {
    const start = d("2026-02-02T15:00:00Z");
    expect(firstResponseDueAt(NY_CLOCK, NORMAL, start).toISOString()).toBe("2026-02-02T19:00:00.000Z");
    expect(resolveDueAt(NY_CLOCK, NORMAL, start, 7200).toISOString()).toBe("2026-02-05T17:00:00.000Z"); // Thu 12:00
  });

  const pauses: { name: string; clock: "business" | "wall"; from: string; to: string; seconds: number }[] = [
    {
      name: "Fri 16:00 → Mon 10:00 on 9–17 is 2 business hours",
      clock: "business",
      from: "2026-02-06T21:00:00Z",
      to: "2026-02-09T15:00:00Z",
      seconds: 7200,
    },
    {
      name: "the same pause on a wall clock is 66 hours",
      clock: "wall",
      from: "2026-02-06T21:00:00Z",
      to: "2026-02-09T15:00:00Z",
      seconds: 66 * H,
    },
    {
      name: "Tue 16:30 → Wed 09:15 overnight is 45 minutes",
      clock: "business",
      from: "2026-02-03T21:30:00Z",
      to: "2026-02-04T14:15:00Z",
      seconds: 2700,
    },
    {
      name: "a pause within one weekend is nothing",
      clock: "business",
      from: "2026-02-07T15:00:00Z",
      to: "2026-02-08T20:00:00Z",
      seconds: 0,
    },
    {
      name: "a pause over the spring-forward weekend (Fri 16:00 EST → Mon 10:00 EDT)",
      clock: "business",
      from: "2026-03-06T21:00:00Z",
      to: "2026-03-09T14:00:00Z",
      seconds: 7200,
    },
    {
      name: "fractions of a second round to whole seconds",
      clock: "business",
      from: "2026-02-02T15:00:00.400Z",
      to: "2026-02-02T15:01:30.000Z",
      seconds: 90,
    },
  ];
  it.each(pauses)("pausedBusinessSeconds: $name", ({ clock, from, to, seconds }) => {
    expect(pausedBusinessSeconds(clock === "wall" ? wallClock : businessClock(NY), d(from), d(to))).toBe(seconds);
  });

  // Created Wed 2026-02-04 10:00 EST; 24 business hours → due Mon 2026-02-09 10:00 EST.
  // Paused Fri 16:00 (pending), resumed Mon 10:00: 2 business hours → due Mon 12:00 EST.
  const createdAt = d("2026-02-04T15:00:00Z");
  const pausedAt = d("2026-02-06T21:00:00Z");
  const resumedAt = d("2026-02-09T15:00:00Z");
  const resume = (pausedSeconds: number, from: Date, to: Date) => {
    const c = slaOnUpdate(
      rules(NORMAL),
      NY_CLOCK,
      ticket({ createdAt, status: "pending", slaPausedAt: from, slaPausedSeconds: pausedSeconds }),
      { status: "open" },
      to,
    ).changes;
    return { pausedSeconds: c.slaPausedSeconds, resolveDue: c.resolveDue };
  };

  it("a resume moves resolveDue later by the paused business time", () => {
    expect(resolveDueAt(NY_CLOCK, NORMAL, createdAt, 0).toISOString()).toBe("2026-02-09T15:00:00.000Z");
    const resumed = resume(0, pausedAt, resumedAt);
    expect(resumed).toEqual({ pausedSeconds: 7200, resolveDue: d("2026-02-09T17:00:00.000Z") });
    // A second pause accumulates: Mon 10:30 → 11:15 EST adds 45 minutes → due Mon 12:45 EST.
    const again = resume(7200, d("2026-02-09T15:30:00Z"), d("2026-02-09T16:15:00Z"));
    expect(again).toEqual({ pausedSeconds: 7200 + 2700, resolveDue: d("2026-02-09T17:45:00.000Z") });
  });

  it("a priority change after a pause re-applies from createdAt and keeps the paused seconds", () => {
    const now = d("2026-02-09T16:00:00Z"); // Mon 11:00 EST
    const c = slaOnUpdate(
      rules(HIGH),
      NY_CLOCK,
      ticket({ createdAt, slaPausedSeconds: 7200 }),
      { priority: "high" },
      now,
    ).changes;
    expect({
      firstResponseDue: c.firstResponseDue,
      resolveDue: c.resolveDue,
      paused: c.slaPausedAt !== undefined,
    }).toEqual({
      firstResponseDue: d("2026-02-04T16:00:00.000Z"), // Wed 11:00
      resolveDue: d("2026-02-05T17:00:00.000Z"), // 8h + 2h paused = Wed 7h + Thu 09:00–12:00
      paused: false,
    });
    // Budget left: 10 h against elapsed Wed 7 + Thu 8 + Fri 8 + Mon 2 business hours.
    expect(8 * H + 7200 - NY_CLOCK.between(createdAt, now)).toBe(10 * H - 25 * H);
  });

  it("a priority change to a wall-clock policy keeps the paused seconds as recorded", () => {
    const now = d("2026-02-04T16:00:00Z");
    const c = slaOnUpdate(
      rules(URGENT_WALL),
      wallClock,
      ticket({ createdAt, slaPausedSeconds: 7200 }),
      { priority: "urgent" },
      now,
    ).changes;
    expect(c.firstResponseDue!.toISOString()).toBe("2026-02-04T15:30:00.000Z");
    expect(c.resolveDue?.toISOString()).toBe("2026-02-04T21:00:00.000Z"); // 4h + 2h wall
    expect(4 * H + 7200 - wallClock.between(createdAt, now)).toBe(5 * H);
  });

  it("a priority change while paused leaves resolution as it was until resume", () => {
    const t = ticket({ createdAt, status: "pending", slaPausedAt: pausedAt, resolveDue: d("2026-02-09T15:00:00Z") });
    const c = slaOnUpdate(rules(HIGH), NY_CLOCK, t, { priority: "high" }, d("2026-02-07T17:00:00Z")).changes;
    expect(c).toEqual({ firstResponseDue: d("2026-02-04T16:00:00.000Z") });
    // Wed 7 + Thu 8 + Fri 7 business hours ran before the pause.
    expect(8 * H - NY_CLOCK.between(createdAt, pausedAt)).toBe(8 * H - 22 * H);
  });

  it("next response counts from the oldest unanswered customer comment", () => {
    expect(nextResponseDueAt(NY_CLOCK, NORMAL, d("2026-02-06T21:00:00Z"))?.toISOString()).toBe(
      "2026-02-09T15:00:00.000Z",
    );
    expect(nextResponseDueAt(NY_CLOCK, HIGH, d("2026-02-06T21:00:00Z"))).toBeNull();
  });
});

describe("a business-hours policy without a usable calendar (decision 030)", () => {
  it("policyClock refuses it; a stored policy gets a stopped clock: no due date with the reason, no paused time", () => {
    expect(() => policyClock({ businessHours: true }, null)).toThrow(/has no calendar/);
    const stopped = stoppedClock("SLA policy counts business hours but has no calendar");
    expect(stopped.between(d("2026-02-02T15:00:00Z"), d("2026-02-03T15:00:00Z"))).toBe(0);
    const created = slaOnCreate(rules(NORMAL), stopped, { createdAt: d("2026-02-02T15:00:00Z"), priority: "normal" });
    expect(created.changes).toEqual({ firstResponseDue: null, resolveDue: null });
    expect(created.events.map((e) => e.data)).toEqual([
      { priority: "normal", noDueDate: true, reason: "SLA policy counts business hours but has no calendar" },
      { priority: "normal", noDueDate: true, reason: "SLA policy counts business hours but has no calendar" },
    ]);
    // Never wall-clock time: a wall clock would have given due dates 4 and 24 hours later.
  });
});

describe("slaState", () => {
  const due = "2026-02-09T15:00:00Z";
  const cases: { name: string; fulfilledAt: string | null; now: string; state: string }[] = [
    { name: "well before due", fulfilledAt: null, now: "2026-02-09T14:00:00Z", state: "ok" },
    { name: "one second before the warning window", fulfilledAt: null, now: "2026-02-09T14:44:59Z", state: "ok" },
    { name: "entering the warning window", fulfilledAt: null, now: "2026-02-09T14:45:00Z", state: "warning" },
    { name: "at the due instant", fulfilledAt: null, now: "2026-02-09T15:00:00Z", state: "warning" },
    { name: "one millisecond past due", fulfilledAt: null, now: "2026-02-09T15:00:00.001Z", state: "breached" },
    {
      name: "fulfilled at the due instant",
      fulfilledAt: "2026-02-09T15:00:00Z",
      now: "2026-02-10T00:00:00Z",
      state: "fulfilled",
    },
    {
      name: "fulfilled late",
      fulfilledAt: "2026-02-09T15:00:01Z",
      now: "2026-02-10T00:00:00Z",
      state: "fulfilled_late",
    },
    {
      name: "fulfilled early, seen long after",
      fulfilledAt: "2026-02-09T10:00:00Z",
      now: "2026-03-01T00:00:00Z",
      state: "fulfilled",
    },
  ];
  it.each(cases)("$name", ({ fulfilledAt, now, state }) => {
    expect(slaState(d(due), fulfilledAt ? d(fulfilledAt) : null, d(now), 15 * 60)).toBe(state);
  });
});
