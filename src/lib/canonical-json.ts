/**
 * JSON with object keys sorted at every depth, so the same value always has the same bytes
 * (the audit chain hashes it). Undefined properties are dropped, as JSON.stringify does.
 *
 * Written as loops over one string rather than map/filter/join: `npm run audit:verify` runs it
 * for every event of a chain, and the array-building version was a third of verification's time.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      const v: unknown = value[i];
      out += v === undefined ? "null" : canonicalJson(v);
    }
    return out + "]";
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = "{";
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (!first) out += ",";
    first = false;
    out += JSON.stringify(k) + ":" + canonicalJson(v);
  }
  return out + "}";
}

/**
 * canonicalJson(JSON.parse(text)), computed from the JSON text without building the value: the
 * same bytes (a property test holds it to that form, over PostgreSQL's jsonb output too), with a
 * fraction of the garbage. Audit verification reads each event's `data` as jsonb text and runs
 * this for every event of a chain.
 *
 * Strings are copied as they are written when they hold no backslash (then nothing in them needs
 * escaping, and JSON.stringify would write the same bytes); a string with an escape is decoded and
 * re-encoded. Numbers are re-encoded unless they are plain integers of up to 15 digits (which
 * JSON.stringify writes back unchanged). Object keys are sorted by their decoded value, as
 * Object.keys(…).sort() sorts them; a repeated key keeps its last value, as JSON.parse does.
 * Throws SyntaxError on text that is not JSON.
 */
export function canonicalJsonFromText(text: string): string {
  const p = { text, i: 0 };
  const out = canonicalValue(p);
  skipWs(p);
  if (p.i !== text.length) throw new SyntaxError("canonicalJsonFromText: unexpected text after the JSON value");
  return out;
}

type Cursor = { text: string; i: number };

function skipWs(p: Cursor): void {
  const { text } = p;
  let { i } = p;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else break;
  }
  p.i = i;
}

/** A string token at p.i (its opening quote): [the decoded value, its canonical text]. */
function stringToken(p: Cursor): [string, string] {
  const { text } = p;
  const start = p.i;
  let i = start + 1;
  let escaped = false;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 34) break;
    if (c === 92) {
      escaped = true;
      i += 2;
    } else if (c !== c /* NaN: end of text */ || c < 32) {
      throw new SyntaxError("canonicalJsonFromText: bad string");
    } else i++;
  }
  p.i = i + 1;
  const raw = text.slice(start, i + 1);
  if (!escaped) return [raw.slice(1, -1), raw];
  const decoded = JSON.parse(raw) as string;
  return [decoded, JSON.stringify(decoded)];
}

const PLAIN_INT = /^-?(?:0|[1-9]\d{0,14})$/;

function canonicalValue(p: Cursor): string {
  skipWs(p);
  const { text } = p;
  const c = text.charCodeAt(p.i);
  if (c === 34) return stringToken(p)[1];
  if (c === 123) return canonicalObject(p);
  if (c === 91) {
    p.i++;
    skipWs(p);
    if (text.charCodeAt(p.i) === 93) {
      p.i++;
      return "[]";
    }
    let out = "[";
    for (;;) {
      out += canonicalValue(p);
      skipWs(p);
      const d = text.charCodeAt(p.i++);
      if (d === 93) return out + "]";
      if (d !== 44) throw new SyntaxError("canonicalJsonFromText: bad array");
      out += ",";
    }
  }
  if (text.startsWith("true", p.i)) return ((p.i += 4), "true");
  if (text.startsWith("false", p.i)) return ((p.i += 5), "false");
  if (text.startsWith("null", p.i)) return ((p.i += 4), "null");
  let j = p.i;
  for (;;) {
    const d = text.charCodeAt(j);
    // - + . 0-9 e E
    if (d === 45 || d === 43 || d === 46 || (d >= 48 && d <= 57) || d === 101 || d === 69) j++;
    else break;
  }
  const token = text.slice(p.i, j);
  if (token === "") throw new SyntaxError("canonicalJsonFromText: unexpected character");
  p.i = j;
  if (PLAIN_INT.test(token) && token !== "-0") return token;
  // JSON.parse's own number grammar and conversion, then JSON.stringify's form.
  return JSON.stringify(JSON.parse(token) as number);
}

function canonicalObject(p: Cursor): string {
  const { text } = p;
  p.i++;
  skipWs(p);
  if (text.charCodeAt(p.i) === 125) {
    p.i++;
    return "{}";
  }
  const entries: [string, string, string][] = [];
  for (;;) {
    skipWs(p);
    if (text.charCodeAt(p.i) !== 34) throw new SyntaxError("canonicalJsonFromText: bad object key");
    const [key, keyText] = stringToken(p);
    skipWs(p);
    if (text.charCodeAt(p.i++) !== 58) throw new SyntaxError("canonicalJsonFromText: expected ':'");
    entries.push([key, keyText, canonicalValue(p)]);
    skipWs(p);
    const d = text.charCodeAt(p.i++);
    if (d === 125) break;
    if (d !== 44) throw new SyntaxError("canonicalJsonFromText: bad object");
  }
  // Stable: of repeated keys, the last written stays last among its equals.
  if (entries.length > 1) entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let out = "{";
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    if (k + 1 < entries.length && entries[k + 1]![0] === e[0]) continue;
    if (out.length > 1) out += ",";
    out += e[1] + ":" + e[2];
  }
  return out + "}";
}
