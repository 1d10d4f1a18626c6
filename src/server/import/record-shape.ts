import type { z } from "zod";

/** PostgreSQL text cannot hold NUL; exports carry it now and then (binary pasted into a comment). */
export const clean = (s: string) => s.replaceAll("\u0000", "");

/** "malformed: requester_id" and the full message: the short form is the report's reason, so a thousand bad records are one line. */
export function describeIssues(err: z.ZodError): { reason: string; detail: string } {
  const first = err.issues[0];
  const where = first?.path.length ? first.path.map(String).join(".") : "record";
  return {
    reason: `malformed: ${where}`,
    detail: err.issues
      .slice(0, 3)
      .map((i) => `${i.path.map(String).join(".") || "record"}: ${i.message}`)
      .join("; "),
  };
}

/** A record's source id for the report, whatever else is wrong with it. */
export function idOf(value: unknown): string | null {
  const id = value && typeof value === "object" ? (value as { id?: unknown }).id : undefined;
  return typeof id === "number" || typeof id === "string" ? String(id).slice(0, 40) : null;
}

/** Text cut to a column's length by code point, never inside a surrogate pair. */
export const clip = (s: string, max: number) => Array.from(s).slice(0, max).join("");

/**
 * Text as PostgreSQL receives it as a parameter (a lone UTF-16 surrogate becomes U+FFFD), for text
 * sent inside a JSON parameter instead, which PostgreSQL would refuse whole for one such character.
 */
export const wellFormed = (s: string) =>
  s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
