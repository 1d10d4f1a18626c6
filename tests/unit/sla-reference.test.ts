import { describe, expect, it } from "vitest";
import {
  isWorkingTime,
  localToUtc,
  workingSpans,
  type Calendar,
  type CalendarInterval,
} from "../../src/server/sla/calendar";
import { addBusinessSeconds, businessSecondsBetween } from "../../src/server/sla/sla-clock";

// The fast span arithmetic against a slow, obviously correct reference on random calendars.
//
// The reference reads the wall clock of each grid cell with its own Intl formatter and asks the
// literal question "is this local time inside an interval of this local date, and is the date not
// a holiday?". Cells are G minutes of UTC. Every interval boundary in these calendars is a
// multiple of G local minutes and every offset and DST transition of these zones is a multiple of
// 15 minutes, so working status is constant within a cell and the reference is exact — to the
// millisecond, for starts and durations at any second.

const ZONES = [
  "America/New_York",
  "Europe/Berlin",
  "Europe/London",
  "Australia/Lord_Howe",
  "Pacific/Chatham",
  "America/St_Johns",
  "Asia/Kathmandu",
  "UTC",
  "America/Sao_Paulo",
];
// 2026 transitions (UTC), so that many starts land right around one.
const TRANSITIONS = [
  "2026-03-08T07:00:00Z",
  "2026-11-01T06:00:00Z",
  "2026-03-29T01:00:00Z",
  "2026-10-25T01:00:00Z",
  "2026-04-04T15:00:00Z",
  "2026-10-03T15:30:00Z",
  "2026-04-04T14:00:00Z",
  "2026-09-26T14:00:00Z",
  "2026-03-08T05:30:00Z",
  "2026-11-01T04:30:00Z",
].map((s) => Date.parse(s));

const MIN = 60_000;
const DAY = 86_400_000;
const WEEK_MIN = 7 * 1440;

function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  return { next, int, pick };
}
type Rng = ReturnType<typeof prng>;

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Random non-overlapping weekly intervals on a G-minute grid: split shifts, overnight, 24:00, 24x7. */
function randomCalendar(r: Rng, grid: number, around: number): Calendar {
  const timezone = r.pick(ZONES);
  const intervals: CalendarInterval[] = [];
  if (r.next() < 0.1) {
    for (let day = 0; day < 7; day++) intervals.push({ day, start: "00:00", end: "24:00" });
  } else {
    const count = r.int(1, 8);
    const cuts = new Set<number>();
    while (cuts.size < count * 2) cuts.add(r.int(0, WEEK_MIN / grid - 1) * grid);
    const sorted = [...cuts].sort((a, b) => a - b);
    // Week minutes [s, e): increasing, disjoint, at most 24 h long.
    const ranges: [number, number][] = [];
    for (let i = 0; i < count; i++) {
      const prev = ranges[i - 1];
      // Sometimes start exactly where the previous one ends (adjacent shifts must merge).
      const s = prev && r.next() < 0.2 ? prev[1] : sorted[2 * i]!;
      ranges.push([s, Math.min(sorted[2 * i + 1]!, s + 1440)]);
    }
    // Sometimes wrap Saturday night into Sunday morning.
    const [firstStart] = ranges[0]!;
    const lastEnd = ranges[ranges.length - 1]![1];
    if (firstStart >= 120 && lastEnd <= WEEK_MIN - 60 && r.next() < 0.3)
      ranges.push([WEEK_MIN - 60, WEEK_MIN + Math.min(firstStart, 600) - 60]);
    for (const [s, e] of ranges) {
      const day = Math.floor(s / 1440);
      const endOfDay = e - day * 1440;
      intervals.push({
        day,
        start: hhmm(s % 1440),
        end: endOfDay === 1440 && r.next() < 0.5 ? "24:00" : hhmm(e % 1440),
      });
    }
  }
  const holidays: string[] = [];
  for (let i = r.int(0, 5); i > 0; i--) holidays.push(isoDay(around + r.int(-2, 16) * DAY));
  return { timezone, intervals, holidays };
}

const refFormatters = new Map<string, Intl.DateTimeFormat>();
function refLocal(tz: string, ms: number) {
  let f = refFormatters.get(tz);
  if (!f)
    refFormatters.set(
      tz,
      (f = new Intl.DateTimeFormat("en-US", {
        timeZone: tz,
        hourCycle: "h23",
        weekday: "short",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
      })),
    );
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    weekday: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(p.weekday!),
    minute: Number(p.hour) * 60 + Number(p.minute),
  };
}

// Memoised per calendar object and instant: a pure function, asked about the same cells by
// refBetween and refAdd.
const refMemo = new WeakMap<Calendar, Map<number, boolean>>();
function refWorking(cal: Calendar, ms: number): boolean {
  let memo = refMemo.get(cal);
  if (!memo) refMemo.set(cal, (memo = new Map()));
  let working = memo.get(ms);
  if (working === undefined) memo.set(ms, (working = refWorkingUncached(cal, ms)));
  return working;
}

function refWorkingUncached(cal: Calendar, ms: number): boolean {
  const { date, weekday, minute } = refLocal(cal.timezone, ms);
  if (cal.holidays.includes(date)) return false;
  const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  return cal.intervals.some((i) => {
    const s = toMin(i.start);
    const e = toMin(i.end);
    const crosses = e <= s;
    if (i.day === weekday && minute >= s && (crosses || minute < e)) return true;
    return crosses && i.day === (weekday + 6) % 7 && minute < e;
  });
}

function refBetween(cal: Calendar, grid: number, a: number, b: number): number {
  let total = 0;
  for (let cell = Math.floor(a / (grid * MIN)) * grid * MIN; cell < b; cell += grid * MIN) {
    if (refWorking(cal, cell)) total += Math.min(b, cell + grid * MIN) - Math.max(a, cell);
  }
  return total / 1000;
}

function refAdd(cal: Calendar, grid: number, start: number, seconds: number): number {
  let remaining = seconds * 1000;
  if (remaining === 0) return start;
  for (let cell = Math.floor(start / (grid * MIN)) * grid * MIN; cell < start + 60 * DAY; cell += grid * MIN) {
    if (!refWorking(cal, cell)) continue;
    const from = Math.max(start, cell);
    if (remaining <= cell + grid * MIN - from) return from + remaining;
    remaining -= cell + grid * MIN - from;
  }
  throw new Error("reference gave up");
}

function randomStart(r: Rng): number {
  const base =
    r.next() < 0.6
      ? r.pick(TRANSITIONS) + r.int(-3 * 24, 3 * 24) * 3_600_000
      : Date.UTC(2026, 0, 1) + r.int(0, 364) * DAY;
  return base + r.int(0, 3_599) * 1000;
}

function check(seed: number, grid: number, maxWallDays: number) {
  const r = prng(seed);
  const start = randomStart(r);
  const cal = randomCalendar(r, grid, start);
  const ctx = () => `seed ${seed}: ${JSON.stringify(cal)} from ${new Date(start).toISOString()}`;

  // between over a random range (sometimes reversed)
  const end = start + r.int(-DAY / 1000, maxWallDays * 86_400) * 1000;
  const between = businessSecondsBetween(cal, new Date(start), new Date(end));
  expect(between, `${ctx()} to ${new Date(end).toISOString()}`).toBe(
    end <= start ? 0 : refBetween(cal, grid, start, end),
  );

  // add: a duration that fits in about maxWallDays of this calendar's time
  // Sized with the code under test; the reference still decides the answer.
  const available = businessSecondsBetween(cal, new Date(start), new Date(start + maxWallDays * DAY));
  const spanEnds = workingSpans(cal, new Date(start), new Date(start + maxWallDays * DAY)).map((s) => s.end);
  const roll = r.next();
  const seconds =
    roll < 0.05
      ? 0
      : // Exactly up to the end of a span: the due is that end, not the next span's start.
        roll < 0.3 && spanEnds.length > 0
        ? businessSecondsBetween(cal, new Date(start), r.pick(spanEnds))
        : r.int(1, Math.max(1, Math.floor(available)));
  const due = addBusinessSeconds(cal, new Date(start), seconds).getTime();
  expect(new Date(due).toISOString(), `${ctx()} + ${seconds}s`).toBe(
    new Date(refAdd(cal, grid, start, seconds)).toISOString(),
  );
  expect(businessSecondsBetween(cal, new Date(start), new Date(due)), `${ctx()} round trip`).toBe(seconds);
  // Composition is what lets a resume recompute resolveDue from createdAt.
  const part = r.int(0, seconds);
  expect(
    addBusinessSeconds(cal, addBusinessSeconds(cal, new Date(start), part), seconds - part).getTime(),
    `${ctx()} ${part} + ${seconds - part}s`,
  ).toBe(due);

  // spans: sorted, merged, inside the range, and their edges agree with the reference
  const spans = workingSpans(cal, new Date(start), new Date(start + 3 * DAY));
  spans.forEach((s, i) => {
    expect(s.end.getTime()).toBeGreaterThan(s.start.getTime());
    if (i > 0) expect(s.start.getTime(), ctx()).toBeGreaterThan(spans[i - 1]!.end.getTime());
    expect(refWorking(cal, s.start.getTime()), `${ctx()} span start ${s.start.toISOString()}`).toBe(true);
    expect(isWorkingTime(cal, s.start)).toBe(true);
    if (s.end.getTime() < start + 3 * DAY) {
      expect(refWorking(cal, s.end.getTime()), `${ctx()} span end ${s.end.toISOString()}`).toBe(false);
      expect(isWorkingTime(cal, s.end)).toBe(false);
    }
  });
}

describe("span arithmetic agrees with a cell-by-cell reference", () => {
  it("on 15-minute calendars over up to two weeks", () => {
    for (let seed = 1; seed <= 100; seed++) check(seed, 15, 14);
  });

  it("on 1-minute calendars over up to two days", () => {
    for (let seed = 1001; seed <= 1030; seed++) check(seed, 1, 2);
  });

  it("localToUtc is the first instant the wall clock shows that time or later", () => {
    const r = prng(4242);
    for (let n = 0; n < 60; n++) {
      const tz = r.pick(ZONES);
      const around = Math.floor(randomStart(r) / (15 * MIN)) * 15 * MIN;
      const local = new Date(around + r.int(-12, 12) * 15 * MIN);
      const text = local.toISOString().slice(0, 16);
      const want = { date: text.slice(0, 10), minute: local.getUTCHours() * 60 + local.getUTCMinutes() };
      const key = (l: { date: string; minute: number }) => `${l.date} ${hhmm(l.minute)}`;
      // Scan the ±26 h window around the wall time in 15-minute steps for the first instant at or past it.
      let expected: number | undefined;
      for (let t = local.getTime() - 26 * 3_600_000; t <= local.getTime() + 26 * 3_600_000; t += 15 * MIN) {
        if (key(refLocal(tz, t)) >= key(want)) {
          expected = t;
          break;
        }
      }
      expect(localToUtc(tz, text).getTime(), `${tz} ${text}`).toBe(expected);
    }
  });
});
