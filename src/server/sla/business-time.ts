// Business time in closed form (decision 025): the same answers as walking the calendar span by
// span, at a cost that does not grow with the target.
//
// Local wall time is a timeline of its own ("local ms", see calendar.ts). On it, the working time
// before a wall instant L is M(L) = P(L) − H(L):
// - P counts the weekly intervals: whole weeks times the week's working time, plus a prefix of
//   one week (the week is fixed, so this is arithmetic, not a walk);
// - H counts the working time that holidays remove (sorted pieces with running sums).
// Between two real instants inside one stretch of constant UTC offset o, the business time is
// M(b + o) − M(a + o); a DST change starts a new stretch, which is exactly how calendar.ts treats
// the skipped (never working) and repeated (working twice) wall hours. So a due date is found by
// stepping over offset stretches (a couple a year) and inverting M inside the right one.
//
// Offset changes are found once per zone and UTC year (weekly samples of the offset label,
// bisection to the second; about 100 lookups) and cached for the process. The work per computation is bounded: at most MAX_SPAN_YEARS of
// stretches, each a few arithmetic steps, plus at most ~100 time-zone lookups per year not yet
// cached. A target not reached within MAX_SPAN_YEARS is refused (SlaTargetUnreachable).
import { CalendarError, offsetAt, offsetLabel, type CompiledCalendar } from "./calendar";

const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** Local midnight starting Sunday 1969-12-28: weeks of P are counted from here. */
const EPOCH = -4 * DAY;
/** How far ahead a due date may lie; beyond it the target counts as unreachable. */
export const MAX_SPAN_YEARS = 10;
export const MAX_SPAN_MS = Math.round(MAX_SPAN_YEARS * 365.25 * DAY);
/** A calendar with no working time for this long (e.g. a year of holidays) has none to give. */
const MAX_IDLE = 400 * DAY;
/** Offset sampling step; two DST changes within one step that cancel out would be missed (no zone does that). */
const SAMPLE = 7 * DAY;

/** A due date that cannot be computed within MAX_SPAN_YEARS (or ever, for this calendar). */
export class SlaTargetUnreachable extends CalendarError {
  constructor(message: string) {
    super(message);
    this.name = "SlaTargetUnreachable";
  }
}

type Piece = { s: number; e: number; cum: number };
type Measure = {
  weekly: number;
  ranges: Piece[];
  holidays: Piece[];
  total: number;
  deadZones: { s: number; e: number }[];
};

const measures = new WeakMap<CompiledCalendar, Measure>();

function withCum(raw: [number, number][]): Piece[] {
  raw.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const r of raw) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  let cum = 0;
  return merged.map(([s, e]) => {
    const p = { s, e, cum };
    cum += e - s;
    return p;
  });
}

/** Working time of one week, per week: what the whole-week jump multiplies. */
export function weeklyBusinessMs(cal: CompiledCalendar): number {
  return measure(cal).weekly;
}

function measure(cal: CompiledCalendar): Measure {
  let m = measures.get(cal);
  if (m) return m;
  const week: [number, number][] = [];
  cal.byDay.forEach((intervals, day) => {
    for (const i of intervals) {
      const s = day * DAY + i.start * MINUTE;
      const e = day * DAY + i.end * MINUTE;
      if (e <= WEEK) week.push([s, e]);
      else week.push([s, WEEK], [0, e - WEEK]); // Saturday night into Sunday
    }
  });
  const ranges = withCum(week);
  const weekly = ranges.reduce((sum, r) => sum + (r.e - r.s), 0);
  // What each holiday removes: its own date's intervals up to midnight, and the after-midnight
  // part of the previous date's overnight intervals (calendar.ts's rule).
  const off: [number, number][] = [];
  for (const h of cal.holidays) {
    const weekday = (((h + 4) % 7) + 7) % 7;
    for (const i of cal.byDay[weekday]!)
      off.push([h * DAY + i.start * MINUTE, h * DAY + Math.min(i.end, 1440) * MINUTE]);
    for (const i of cal.byDay[(weekday + 6) % 7]!)
      if (i.end > 1440) off.push([h * DAY, (h - 1) * DAY + i.end * MINUTE]);
  }
  const holidays = withCum(off.filter(([s, e]) => e > s));
  const last = holidays[holidays.length - 1];
  m = { weekly, ranges, holidays, total: last ? last.cum + last.e - last.s : 0, deadZones: [] };
  if (weekly > 0) m.deadZones = deadZones(m);
  measures.set(cal, m);
  return m;
}

/** Weekly working time before local instant L (holidays ignored). */
function P(m: Measure, L: number): number {
  const x = L - EPOCH;
  const w = Math.floor(x / WEEK);
  const r = x - w * WEEK;
  let acc = 0;
  for (const g of m.ranges) {
    if (r <= g.s) break;
    acc = g.cum + Math.min(r, g.e) - g.s;
  }
  return w * m.weekly + acc;
}

/** The smallest local instant L with P(L) >= v. */
function Pinv(m: Measure, v: number): number {
  let w = Math.ceil(v / m.weekly) - 1;
  let rem = v - w * m.weekly;
  if (rem <= 0) {
    w -= 1;
    rem += m.weekly;
  }
  if (rem > m.weekly) {
    w += 1;
    rem -= m.weekly;
  }
  for (const g of m.ranges) if (g.cum + (g.e - g.s) >= rem) return EPOCH + w * WEEK + g.s + (rem - g.cum);
  throw new Error("unreachable: rem exceeds the weekly working time");
}

/** Working time removed by holidays before local instant L. */
function H(m: Measure, L: number): number {
  const hs = m.holidays;
  let lo = 0;
  let hi = hs.length; // first piece with s >= L
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (hs[mid]!.s < L) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return 0;
  const p = hs[lo - 1]!;
  return p.cum + Math.min(L, p.e) - p.s;
}

/** Working time before local instant L. */
function M(m: Measure, L: number): number {
  return P(m, L) - H(m, L);
}

/** The smallest local instant L with M(L) >= target. */
function Minv(m: Measure, target: number): number {
  const hs = m.holidays;
  let lo = 0;
  let hi = hs.length; // first piece whose start already has `target` behind it
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (P(m, hs[mid]!.s) - hs[mid]!.cum >= target) hi = mid;
    else lo = mid + 1;
  }
  return Pinv(m, target + (lo < hs.length ? hs[lo]!.cum : m.total));
}

/** Stretches of local time without any working time of at least MAX_IDLE (runs of holidays). */
function deadZones(m: Measure): { s: number; e: number }[] {
  const out: { s: number; e: number }[] = [];
  const hs = m.holidays;
  for (let i = 0; i < hs.length; ) {
    let j = i;
    while (j + 1 < hs.length && P(m, hs[j + 1]!.s) === P(m, hs[j]!.e)) j++;
    const s = Pinv(m, P(m, hs[i]!.s));
    const e = Pinv(m, P(m, hs[j]!.e) + 1) - 1;
    if (e - s >= MAX_IDLE) out.push({ s, e });
    i = j + 1;
  }
  return out;
}

// --- offset stretches ----------------------------------------------------------------------------

type Year = { to: number; startOffset: number; changes: { at: number; offset: number }[] };
const years = new Map<string, Year>();
const MAX_YEARS_CACHED = 20_000;

function yearStart(y: number): number {
  const d = new Date(0);
  d.setUTCFullYear(y, 0, 1);
  return d.getTime();
}

/** Offset changes of `timezone` within UTC year y, each at the first second of its new offset. */
function yearData(timezone: string, y: number): Year {
  const key = `${timezone}\u0000${y}`;
  const cached = years.get(key);
  if (cached) return cached;
  const from = yearStart(y);
  const to = yearStart(y + 1);
  const startOffset = offsetAt(timezone, from);
  const changes: Year["changes"] = [];
  let label = offsetLabel(timezone, from);
  let t = from;
  while (t < to) {
    const next = Math.min(t + SAMPLE, to);
    if (offsetLabel(timezone, next) === label) {
      t = next;
      continue;
    }
    let lo = Math.floor(t / 1000);
    let hi = Math.floor(next / 1000);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetLabel(timezone, mid * 1000) === label) lo = mid;
      else hi = mid;
    }
    t = hi * 1000;
    label = offsetLabel(timezone, t);
    changes.push({ at: t, offset: offsetAt(timezone, t) });
  }
  if (years.size >= MAX_YEARS_CACHED) years.clear();
  const year = { to, startOffset, changes };
  years.set(key, year);
  return year;
}

/** The UTC offset at t and the instant it next changes (or the end of t's UTC year). */
function stretchAt(timezone: string, t: number): { offset: number; until: number } {
  const yd = yearData(timezone, new Date(t).getUTCFullYear());
  let offset = yd.startOffset;
  for (const c of yd.changes) {
    if (c.at > t) return { offset, until: c.at };
    offset = c.offset;
  }
  return { offset, until: yd.to };
}

/** For tests: forget the cached offset changes, so the next computation pays for its lookups. */
export function clearOffsetCache(): void {
  years.clear();
}

// --- the two operations --------------------------------------------------------------------------

function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

function assertActive(cal: CompiledCalendar, startLocal: number, endLocal: number): void {
  const m = measure(cal);
  for (const z of m.deadZones) {
    if (z.s < endLocal && z.e > startLocal && z.e - Math.max(z.s, startLocal) >= MAX_IDLE) {
      throw new CalendarError(
        `calendar has no working time between ${iso(z.s).slice(0, 16)} and ${iso(z.e).slice(0, 16)} (local time)`,
      );
    }
  }
}

/**
 * The earliest instant t >= startMs with businessMsBetween(startMs, t) >= ms. Throws
 * SlaTargetUnreachable when that lies more than MAX_SPAN_YEARS after startMs.
 */
export function addBusinessMs(cal: CompiledCalendar, startMs: number, ms: number): number {
  if (!Number.isFinite(startMs)) throw new RangeError(`start must be a valid instant, got ${startMs}`);
  if (ms === 0) return startMs;
  const m = measure(cal);
  const tooFar = () =>
    new SlaTargetUnreachable(
      `${ms / 1000} business seconds from ${iso(startMs)} is not reached within ${MAX_SPAN_YEARS} years`,
    );
  // The span cannot hold more than its whole weeks' working time plus the hours DST repeats.
  if (m.weekly === 0 || ms > (Math.ceil(MAX_SPAN_MS / WEEK) + 1) * m.weekly + MAX_SPAN_YEARS * 4 * 3_600_000)
    throw tooFar();
  const limit = startMs + MAX_SPAN_MS;
  let remaining = ms;
  let t = startMs;
  let startLocal: number | undefined;
  while (t < limit) {
    const { offset, until } = stretchAt(cal.timezone, t);
    startLocal ??= t + offset;
    const end = Math.min(until, limit);
    const before = M(m, t + offset);
    const available = M(m, end + offset) - before;
    if (remaining <= available) {
      const local = Minv(m, before + remaining);
      assertActive(cal, startLocal, local);
      return local - offset;
    }
    remaining -= available;
    if (end === limit) assertActive(cal, startLocal, end + offset);
    t = end;
  }
  throw tooFar();
}

/** Working milliseconds in [aMs, bMs); 0 when bMs <= aMs. */
export function businessMsBetween(cal: CompiledCalendar, aMs: number, bMs: number): number {
  if (!(bMs > aMs)) return 0;
  if (!Number.isFinite(aMs) || !Number.isFinite(bMs)) throw new RangeError("instants must be valid");
  const m = measure(cal);
  let total = 0;
  for (let t = aMs; t < bMs; ) {
    const { offset, until } = stretchAt(cal.timezone, t);
    const end = Math.min(until, bMs);
    total += M(m, end + offset) - M(m, t + offset);
    t = end;
  }
  return total;
}
