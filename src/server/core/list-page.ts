import { z } from "zod";

// The page of every keyset-paginated list: `limit` (1–100, default 25) and the opaque cursor
// (core/cursor.ts) of the previous page.

/**
 * A query parameter's documented form, where the wire form (always a string) differs from what it
 * means: the OpenAPI generator (api/openapi.ts) shows this schema, and style/explode, instead.
 */
export const PARAM_DOC_META = "x-beacon-param";

export const zLimit = z
  .string()
  .regex(/^\d{1,3}$/, { message: "must be an integer from 1 to 100" })
  .transform(Number)
  .pipe(
    z
      .number()
      .int()
      .min(1, { message: "must be an integer from 1 to 100" })
      .max(100, { message: "must be an integer from 1 to 100" }),
  )
  .optional()
  .default(25)
  .meta({
    [PARAM_DOC_META]: { schema: { type: "integer", minimum: 1, maximum: 100, default: 25 } },
    description: "Rows per page, 1–100 (default 25)",
  });

/**
 * A filter on one or more enum values, as a comma list ("open,pending") or the parameter repeated
 * (status=open&status=pending, what generated clients send for an array); both may be combined.
 */
export function zEnumList<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .union([z.string(), z.array(z.string()).max(values.length)])
    .transform((s) =>
      (Array.isArray(s) ? s : [s])
        .flatMap((x) => x.split(","))
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)).min(1).max(values.length))
    .meta({
      [PARAM_DOC_META]: {
        schema: { type: "array", items: { type: "string", enum: [...values] }, minItems: 1, uniqueItems: true },
        style: "form",
        explode: false,
      },
      description: `One or more of ${values.join(", ")}: comma-separated (${values.slice(0, 2).join(",")}), or the parameter repeated`,
    });
}

export const ZListPage = z.strictObject({ limit: zLimit, cursor: z.string().min(1).max(2048).optional() });
export type ListPage = z.infer<typeof ZListPage>;

/** Every row of a keyset list, page by page (for pages that show a whole list), up to `max` rows. */
export async function allPages<T>(
  list: (page: ListPage) => Promise<{ data: T[]; nextCursor: string | null }>,
  max = 1000,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list({ limit: 100, cursor });
    out.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && out.length < max);
  return out;
}

/**
 * A list the API answers whole (a handful of rows per org: addresses, mailboxes, policies, flags):
 * `nextCursor` is always null, so every list says whether more rows follow the same way.
 */
export const zWholeList = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    nextCursor: z.null().meta({ description: "Always null: this list is answered whole" }),
  });

/** A whole list's answer: its rows and a null nextCursor. */
export const wholeList = async <T>(list: Promise<{ data: T[] }>): Promise<{ data: T[]; nextCursor: null }> => ({
  ...(await list),
  nextCursor: null,
});
