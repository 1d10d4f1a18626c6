import fc from "fast-check";
import { z, type ZodType } from "zod";
import { hostileKey, hostileQueryValue, hostileValue, withKey, ZONES } from "./fuzz";

// Request values derived from the routes' own zod schemas (through their JSON Schema), so the
// fuzzer reaches past validation: valid bodies, and bodies one mutation away from valid.

export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
};

/** Values the real data is made of, so valid-looking input also hits real rows. */
export type Hints = { uuids: string[]; emails: string[]; passwords: string[]; cursors: string[]; linkTokens: string[] };

export function jsonSchemaOf(schema: ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

const cap = (n: number | undefined, max: number) => Math.min(n ?? max, max);

function patterned(pattern: string, min = 0, max = 80): fc.Arbitrary<string> | undefined {
  try {
    const re = new RegExp(pattern, "u");
    return fc.stringMatching(re).filter((s) => s.length >= min && s.length <= max);
  } catch {
    return undefined;
  }
}

function stringArb(s: JsonSchema, h: Hints, key: string): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? 200;
  if (s.format === "uuid")
    return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...h.uuids) }, { weight: 1, arbitrary: fc.uuid() });
  if (s.format === "date-time")
    return fc.oneof(
      { weight: 6, arbitrary: isoDate.map((d) => d.toISOString()) },
      { weight: 1, arbitrary: fc.constantFrom(...EDGE_DATE_TIMES) },
    );
  if (s.format === "date")
    return fc.oneof(
      { weight: 6, arbitrary: isoDate.map((d) => d.toISOString().slice(0, 10)) },
      { weight: 1, arbitrary: fc.constantFrom(...EDGE_DATES) },
    );
  if (/email/i.test(key)) {
    const fresh = fc
      .tuple(fc.stringMatching(/^[a-z][a-z0-9.+-]{0,15}$/), fc.nat())
      .map(([a, n]) => `${a}${n}@example.test`);
    return fc.oneof(fc.constantFrom(...h.emails), fresh, fc.emailAddress());
  }
  if (/^url$/i.test(key))
    return fc.oneof(fc.constantFrom("https://hooks.example/beacon", "http://127.0.0.1:9/x"), fc.webUrl());
  if (/timezone/i.test(key)) return fc.constantFrom(...ZONES);
  if (/password/i.test(key) && !/current/i.test(key)) {
    return fc.oneof(fc.constantFrom(...h.passwords), fc.string({ minLength: Math.max(min, 12), maxLength: 40 }));
  }
  if (/cursor/i.test(key) && h.cursors.length > 0) return fc.constantFrom(...h.cursors);
  if (key === "token" && h.linkTokens.length > 0)
    return fc.oneof(fc.constantFrom(...h.linkTokens), fc.string({ maxLength: 80 }));
  if (s.pattern) {
    const p = patterned(s.pattern, min, max);
    if (p) return p;
  }
  const lo = Math.max(min, 1);
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .string({ unit: READABLE, minLength: lo, maxLength: Math.max(lo, cap(max, 40)) })
        .filter((x) => x.trim().length >= min),
    },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: min, maxLength: Math.max(min, cap(max, 20)) }) },
  );
}

/** Mostly word characters, some punctuation, markdown and non-ASCII letters. */
const READABLE = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCXYZ0123456789      -_.,:*#`<>[]()!é日ß");

// Mostly the recent past (what "since" and "start" parameters expect), sometimes anywhere.
const isoDate = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 90 * 86_400 }).map((s) => new Date(Date.now() - s * 1000)) },
  {
    weight: 1,
    arbitrary: fc.date({
      min: new Date("1970-01-01T00:00:00Z"),
      max: new Date("2100-01-01T00:00:00Z"),
      noInvalidDate: true,
    }),
  },
);

// Well-formed ISO values at and past the edges (issue 18.5): year 0 passed validation and then
// failed in PostgreSQL mid-response; six-digit and negative years, 1969, 9999 with an offset that
// carries it into year 10000, and impossible calendar dates.
const EDGE_DATE_TIMES = [
  "0000-01-01T00:00:00Z",
  "0001-01-01T00:00:00Z",
  "1969-12-31T23:59:59Z",
  "1970-01-01T00:00:00Z",
  "1970-01-01T00:30:00+01:00",
  "9999-12-31T23:59:59Z",
  "9999-12-31T23:59:59-05:00",
  "2026-02-30T00:00:00Z",
  "+010000-01-01T00:00:00Z",
  "-000001-01-01T00:00:00Z",
  "0000-01-01T00:00:00.000Z",
  "4713-01-01T00:00:00Z",
];
const EDGE_DATES = ["0000-01-01", "0001-01-01", "1969-12-31", "9999-12-31", "2026-02-30", "2024-02-29"];

/** A value that satisfies the schema as far as JSON Schema can say (refinements may still refuse it). */
export function validValue(s: JsonSchema, h: Hints, key = ""): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return fc.oneof(...alts.map((a) => validValue(a, h, key)));
  if (Array.isArray(s.type)) return fc.oneof(...s.type.map((t) => validValue({ ...s, type: t }, h, key)));
  switch (s.type) {
    case "string":
      return stringArb(s, h, key);
    case "integer":
      return fc.integer({ min: s.minimum ?? -1_000_000, max: s.maximum ?? 1_000_000 });
    case "number":
      return fc.double({ min: s.minimum ?? -1e9, max: s.maximum ?? 1e9, noNaN: true, noDefaultInfinity: true });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(s.items ? validValue(s.items, h, key) : fc.jsonValue({ maxDepth: 1 }), {
        minLength: s.minItems ?? 0,
        maxLength: Math.max(s.minItems ?? 0, cap(s.maxItems, 4)),
      });
    case "object": {
      const props = s.properties ?? {};
      const keys = Object.keys(props);
      if (keys.length === 0) return fc.constant({});
      const required = (s.required ?? []).filter((k) => k in props);
      const all = fc.record(Object.fromEntries(keys.map((k) => [k, validValue(props[k]!, h, k)])), {
        requiredKeys: required,
      });
      if (required.length === 0) return all;
      // Only the required keys: the likeliest body to pass every refinement.
      const minimal = fc.record(Object.fromEntries(required.map((k) => [k, validValue(props[k]!, h, k)])));
      return fc.oneof(all, minimal);
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Paths to every value inside a JSON value (objects and arrays), the root excluded. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...prefix, i], ...paths(x, [...prefix, i])]);
  if (isObj(v)) return Object.keys(v).flatMap((k) => [[...prefix, k], ...paths(v[k], [...prefix, k])]);
  return [];
}

function setAt(v: unknown, path: (string | number)[], f: (old: unknown) => unknown): unknown {
  if (path.length === 0) return f(v);
  const [head, ...rest] = path;
  if (Array.isArray(v)) return v.map((x, i) => (i === head ? setAt(x, rest, f) : x));
  if (isObj(v)) return withKey(v, String(head), setAt(v[String(head)], rest, f));
  return v;
}

function removeAt(v: unknown, path: (string | number)[]): unknown {
  if (path.length === 1) {
    if (Array.isArray(v)) return v.filter((_x, i) => i !== path[0]);
    if (isObj(v)) {
      const out: Obj = {};
      for (const k of Object.keys(v))
        if (k !== String(path[0]))
          Object.defineProperty(out, k, { value: v[k], enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  }
  return setAt(v, path.slice(0, -1), (parent) => removeAt(parent, path.slice(-1)));
}

/**
 * Bodies near the schema: valid, or valid with one or two things wrong (a value replaced by a
 * hostile one, a field removed, an unknown or prototype-polluting key added at any depth).
 */
export function nearValid(schema: ZodType, h: Hints): fc.Arbitrary<unknown> {
  const valid = validValue(jsonSchemaOf(schema), h);
  const mutate = (v: unknown): fc.Arbitrary<unknown> => {
    const ps = paths(v);
    const objectPaths = [[], ...ps.filter((p) => isObj(p.reduce<unknown>((o, k) => (o as Obj)[k as string], v)))];
    const options: fc.Arbitrary<unknown>[] = [
      fc
        .tuple(hostileKey, hostileValue, fc.constantFrom(...objectPaths))
        .map(([k, x, p]) => setAt(v, p, (o) => (isObj(o) ? withKey(o, k, x) : o))),
    ];
    if (ps.length > 0) {
      options.push(fc.tuple(fc.constantFrom(...ps), hostileValue).map(([p, x]) => setAt(v, p, () => x)));
      options.push(fc.constantFrom(...ps).map((p) => removeAt(v, p)));
    }
    return fc.oneof(...options);
  };
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 5, arbitrary: valid.chain(mutate) },
    { weight: 2, arbitrary: valid.chain(mutate).chain(mutate) },
  );
}

/** Query strings near the route's query schema (every value a string), plus unknown keys. */
export function nearValidQuery(schema: ZodType | undefined, h: Hints): fc.Arbitrary<[string, string][]> {
  const js = schema ? jsonSchemaOf(schema) : {};
  const props = js.properties ?? {};
  const keys = Object.keys(props);
  const junk = fc.tuple(
    fc.oneof(hostileKey, fc.constantFrom("limit", "cursor", "q", "sort", "format")),
    hostileQueryValue,
  );
  if (keys.length === 0) return fc.array(junk, { maxLength: 3 });
  const valid = fc
    .constantFrom(...keys)
    .chain((k) => validValue(props[k]!, h, k).map((v): [string, string] => [k, String(v)]));
  const wrong = fc.tuple(fc.constantFrom(...keys), hostileQueryValue);
  return fc.oneof(
    { weight: 3, arbitrary: fc.array(valid, { maxLength: 3 }) },
    { weight: 3, arbitrary: fc.tuple(fc.array(valid, { maxLength: 2 }), wrong).map(([v, w]) => [...v, w]) },
    { weight: 1, arbitrary: fc.array(fc.oneof(valid, wrong, junk), { maxLength: 5 }) },
  );
}
