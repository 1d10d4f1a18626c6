import type { z } from "zod";

// A record's shape check, done once: the batch loop checks the next batch's records while the
// previous batch is being written (run-passes.ts, a plan's `prepare`), and the writer then finds
// the result here instead of checking again. Keyed by the record's own object, so an entry lives
// exactly as long as the batch that holds it; a retry of the batch record by record reuses it.

const checked = new WeakMap<object, { shape: unknown; result: unknown }>();

export function safeParseOnce<T>(shape: z.ZodType<T>, value: unknown): z.ZodSafeParseResult<T> {
  if (value === null || typeof value !== "object") return shape.safeParse(value);
  const hit = checked.get(value);
  if (hit && hit.shape === shape) return hit.result as z.ZodSafeParseResult<T>;
  const result = shape.safeParse(value);
  checked.set(value, { shape, result });
  return result;
}
