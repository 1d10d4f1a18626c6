import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { eventHash, storedEventHash, type ChainedEvent } from "../../src/server/audit/chain";
import { canonicalJson, canonicalJsonFromText } from "../../src/lib/canonical-json";

// The audit chain's bytes must never change: every stored hash was computed over them. These
// properties hold the loop-based canonicalJson to the original map/filter/join form, and the
// verifier's hand-ordered event form to canonicalJson over the whole event.

function referenceCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : referenceCanonicalJson(v))).join(",")}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${referenceCanonicalJson(obj[k])}`).join(",")}}`;
}

/** The chain's definition, spelled out: sha256(prevHash ‖ canonical JSON of the whole event). */
function referenceEventHash(prevHash: string, e: ChainedEvent): string {
  const body = referenceCanonicalJson({ ...e, at: e.at.toISOString() });
  return createHash("sha256").update(prevHash).update(body).digest("hex");
}

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const anyJson = fc.jsonValue();
const withUndefined = fc.anything({ withNullPrototype: false, withDate: true, maxDepth: 4 });

describe("audit hash bytes", () => {
  it("canonicalJson gives the reference bytes for any value", () => {
    // Both forms refuse what has no JSON bytes (an invalid Date: toISOString throws); the
    // property is that they agree, on the bytes or on the refusal.
    const outcome = (f: () => string) => {
      try {
        return f();
      } catch (e) {
        return `throws ${(e as Error).name}`;
      }
    };
    fc.assert(
      fc.property(fc.oneof(anyJson, withUndefined), (v) => {
        expect(outcome(() => canonicalJson(v))).toBe(outcome(() => referenceCanonicalJson(v)));
      }),
      { numRuns: 2000, seed },
    );
  });

  it("the verifier's event form (and eventHash, which uses it) hashes exactly like the canonical JSON of the whole event", () => {
    const nullableId = fc.option(fc.uuid(), { nil: null });
    fc.assert(
      fc.property(
        fc.record({
          orgId: fc.uuid(),
          seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          actorId: nullableId,
          action: fc.string(),
          entityType: fc.string(),
          entityId: nullableId,
          data: fc.dictionary(fc.string(), anyJson),
          requestId: fc.option(fc.string(), { nil: null }),
          at: fc.date({
            min: new Date("2000-01-01T00:00:00Z"),
            max: new Date("2100-01-01T00:00:00Z"),
            noInvalidDate: true,
          }),
        }),
        fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 }),
        (e, prev) => {
          const { at, ...rest } = e;
          const reference = referenceEventHash(prev, e);
          expect(storedEventHash(prev, { ...rest, atIso: at.toISOString() })).toBe(reference);
          expect(eventHash(prev, e)).toBe(reference);
        },
      ),
      { numRuns: 2000, seed },
    );
  });

  it("canonicalJsonFromText(text) is canonicalJson(JSON.parse(text)) for any JSON text, however it is spaced", () => {
    // Verification canonicalizes each event's stored jsonb text this way (tests/integration/
    // audit-chain.test.ts holds it to PostgreSQL's own jsonb output too).
    const spaced = fc.oneof(fc.constant(undefined), fc.constant(1), fc.constant("\t"), fc.constant("  "));
    fc.assert(
      fc.property(anyJson, spaced, (v, space) => {
        const text = JSON.stringify(v, null, space);
        expect(canonicalJsonFromText(text)).toBe(canonicalJson(JSON.parse(text)));
      }),
      { numRuns: 3000, seed },
    );
    // Numbers JSON.stringify would never write, repeated keys, escapes in keys and values.
    for (const text of [
      '{"b": 1.0, "a": -0, "c": 1e2, "d": 12345678901234567890, "e": 0.1, "f": -1.5E-3}',
      '{"k": 1, "k": 2, "j": {"x": [1, {"z": null, "y": true}], "x": false}}',
      '{"\\u00e9": "\\n\\"q\\"", "e\\u0301": "\\u0007", "a\\/b": "/", "\\ud83d\\ude00": 1, "Z": 2, "a": 3}',
      " [ ] ",
      "{ }",
      '"plain"',
      "-0",
      "123456789012345",
      "1234567890123456",
    ]) {
      expect(canonicalJsonFromText(text)).toBe(canonicalJson(JSON.parse(text)));
    }
    for (const bad of ['{"a" 1}', "[1,]", '{"a": 1', '"abc', "tru", "1 2", "{'a': 1}", '"a\u0001b"']) {
      expect(() => canonicalJsonFromText(bad), bad).toThrow(SyntaxError);
    }
  });
});
