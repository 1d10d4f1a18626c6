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

export const ZListPage = z.strictObject({ limit: zLimit, cursor: z.string().min(1).max(2048).optional() });
export type ListPage = z.infer<typeof ZListPage>;
