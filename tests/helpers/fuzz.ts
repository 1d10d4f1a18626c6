import fc from "fast-check";

// Shared by the property-based suites (tests/integration/fuzz-*.test.ts, tests/unit/sla-property.test.ts).
//
// Seeds: FUZZ_SEED=<int> replays a run exactly; in CI (CI set) a fixed seed keeps runs comparable;
// otherwise each run draws a fresh seed, so local runs keep exploring. The seed is in every failure
// message together with the command that replays it. FUZZ_RUNS=<factor> multiplies every numRuns
// (e.g. FUZZ_RUNS=20 for a long local soak).

const CI_SEED = 20_260_701;

function seedFromEnv(): number {
  const raw = process.env.FUZZ_SEED?.trim();
  if (raw) {
    if (!/^-?\d+$/.test(raw)) throw new Error(`FUZZ_SEED must be an integer, got ${JSON.stringify(raw)}`);
    return Number(raw) | 0;
  }
  return process.env.CI ? CI_SEED : (Math.random() * 0x7fffffff) | 0;
}

export const FUZZ_SEED = seedFromEnv();
const RUN_FACTOR = Math.max(0.01, Number(process.env.FUZZ_RUNS ?? "1") || 1);

export function runs(n: number): number {
  return Math.max(1, Math.round(n * RUN_FACTOR));
}

/**
 * fc.check with the suite's seed; on failure throws fast-check's report (counterexample, shrunk)
 * plus the command that replays it.
 */
export async function fuzzAssert<Ts>(
  prop: fc.IRawProperty<Ts>,
  o: { numRuns: number; file: string; name: string; params?: fc.Parameters<Ts> },
): Promise<void> {
  const details = await fc.check(prop, { ...o.params, seed: FUZZ_SEED, numRuns: o.numRuns });
  if (details.failed) {
    const report = fc.defaultReportMessage(details) ?? "property failed";
    const cause =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(
      `${report}\n\n${cause}\n\nReproduce: FUZZ_SEED=${details.seed} npx vitest run ${o.file} -t ${JSON.stringify(o.name)}`,
    );
  }
}

// --- hostile JSON ---------------------------------------------------------------------------

/** A piece of JSON text inserted verbatim (numbers JSON.stringify cannot write, deep nesting). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify, with RawJson values spliced in as written. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v.text);
      return `\u0001RAW${raws.length - 1}\u0001`;
    }
    return v;
  });
  return (text ?? "null").replace(/"\\u0001RAW(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]!);
}

/** An object with `key` as an own enumerable property — also for "__proto__", which `obj[key] =` would not create. */
export function withKey(obj: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const out = { ...obj };
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

export const HOSTILE_STRINGS: readonly string[] = [
  "",
  " ",
  "\t\n",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udfffy",
  "\u202eevil",
  "\ufeffbom",
  "\u200b",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
  "👩‍👩‍👧‍👦",
  "Z̤͔ͧ̑̓ä͢͞l͖̙͘g̼̜o",
  "İstanbul",
  "ß",
  "日本語",
  "مرحبا",
  "١٢٣",
  "null",
  "undefined",
  "NaN",
  "Infinity",
  "-Infinity",
  "-0",
  "0",
  "-1",
  "1e308",
  "1e309",
  "-1e308",
  "9007199254740993",
  "0x1F",
  "1_000",
  " 5",
  "5 ",
  "1.5",
  "101",
  "100",
  "1000",
  "99999",
  "true",
  "false",
  "[]",
  "{}",
  "[object Object]",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "' OR 1=1 --",
  '"; DROP TABLE tickets; --',
  "%",
  "%00",
  "%2e%2e%2f",
  "../../etc/passwd",
  "..\\..\\boot.ini",
  "/",
  "\\",
  "<script>alert(1)</script>",
  "{{7*7}}",
  "${7*7}",
  "$(id)",
  "%s%s%s%n",
  "\r\nX-Injected: 1",
  "me",
  "none",
  "admin",
  "agent",
  "customer",
  "open",
  "pending",
  "urgent",
  "-updatedAt",
  "priority,-priority",
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
  "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}",
  " 3f2504e0-4f89-11d3-9a0c-0305e82c3301",
  "3f2504e04f8911d39a0c0305e82c3301",
  "2026-02-30T00:00:00Z",
  "0000-01-01T00:00:00Z",
  "9999-12-31T23:59:59Z",
  "+275760-09-13T00:00:00.000Z",
  "2026-01-01T00:00:00+25:00",
  "2026-13-01",
  "1970-01-01",
  "-000001-01-01T00:00:00Z",
  "Europe/Nowhere",
  "+05:00",
  "Etc/GMT+14",
  "UTC",
  "24:00",
  "25:00",
  "23:60",
  "bcn_",
  "bcn_00000000000000000000000000000000_x",
  "javascript:alert(1)",
  "http://127.0.0.1:1/",
  "file:///etc/passwd",
];

/** Strings large enough to cross the limits: subject 200, tag 50, comment 64 KiB, JSON body 1 MiB. */
const HUGE_STRINGS = fc
  .constantFrom(201, 2_001, 10_001, 65_537, 70_000)
  .chain((n) => fc.constantFrom("x", "é", "😀", "\u0000", "<").map((c) => c.repeat(Math.ceil(n / c.length))));

const RAW_NUMBERS = [
  "1e309",
  "-1e309",
  "-0",
  "1e-400",
  "123456789012345678901234567890123",
  "1E2",
  "0.1e1",
  "-0.0",
  "5e-324",
].map((t) => new RawJson(t));

/** Deeply nested arrays or objects, as text (building them as values would be slow). */
export const deepNesting = fc
  .constantFrom(64, 1_000, 10_000, 200_000)
  .chain((depth) =>
    fc.constantFrom(
      new RawJson("[".repeat(depth) + "]".repeat(depth)),
      new RawJson('{"a":'.repeat(depth) + "1" + "}".repeat(depth)),
    ),
  );

const PROTO_VALUES = [
  JSON.parse('{"__proto__":{"polluted":"yes","role":"admin","isAdmin":true}}') as unknown,
  { constructor: { prototype: { polluted: "yes" } } },
  JSON.parse('{"__proto__":null}') as unknown,
];

/** Any JSON value a hostile client might send where something else is expected. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: HUGE_STRINGS },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      0,
      -1,
      1,
      1.5,
      1e308,
      -1e308,
      2 ** 31,
      2 ** 53 + 2,
      2 ** 64,
      Number.MIN_VALUE,
      true,
      false,
      null,
      [],
      {},
      [null],
      [[[]]],
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_NUMBERS) },
  { weight: 1, arbitrary: fc.constantFrom(...PROTO_VALUES) },
  { weight: 1, arbitrary: deepNesting },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Keys an attacker adds to an object: prototype pollution, mass assignment, junk. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "__proto__",
    "constructor",
    "prototype",
    "role",
    "orgId",
    "org_id",
    "id",
    "userId",
    "isAdmin",
    "createdAt",
    "blocked",
    "internal",
    "",
    " ",
    "\u0000",
  ),
  fc.string({ maxLength: 12 }),
);

/** Query-string values: everything above that survives URL encoding, plus unicode and junk. */
export const hostileQueryValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.constantFrom(201, 2_049, 8_000).map((n) => "q".repeat(n)) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
);

export const ZONES: readonly string[] = [
  "UTC",
  "America/New_York",
  "Europe/Berlin",
  "Europe/London",
  "Australia/Lord_Howe",
  "Pacific/Chatham",
  "America/St_Johns",
  "Asia/Kathmandu",
  "America/Sao_Paulo",
  "Pacific/Kiritimati",
];
