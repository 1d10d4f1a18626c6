import { z } from "zod";

// The page of every keyset-paginated list: `limit` (1–100, default 25) and the opaque cursor
// (core/cursor.ts) of the previous page.

export const zLimit = z
  .string()
  .regex(/^\d{1,3}$/, { message: "must be an integer from 1 to 100" })
  .transform(Number)
  .pipe(z.number().int().min(1, { message: "must be an integer from 1 to 100" }).max(100, { message: "must be an integer from 1 to 100" }))
  .optional()
  .default(25);

/** The document's marker of a list filter: the OpenAPI generator shows it as an array of these values (style form, explode false). */
export const ENUM_LIST_META = "x-beacon-enum-list";

/**
 * A filter on one or more enum values, as a comma list ("open,pending") or the parameter repeated
 * (status=open&status=pending, what generated clients send for an array); both may be combined.
 */
export function zEnumList<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .union([z.string(), z.array(z.string()).max(values.length)])
    .transform((s) => (Array.isArray(s) ? s : [s]).flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1).max(values.length))
    .meta({ [ENUM_LIST_META]: [...values], description: `One or more of ${values.join(", ")}: comma-separated, or the parameter repeated` });
}

export const ZListPage = z.strictObject({ limit: zLimit, cursor: z.string().min(1).max(2048).optional() });
export type ListPage = z.infer<typeof ZListPage>;
