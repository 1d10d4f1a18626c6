import { z } from "zod";
import { PARAM_DOC_META } from "../core/list-page";
import { zQueryDateTime } from "../core/query-dates";
import { ZComment, ZTicket } from "../tickets/schemas";

const zSince = zQueryDateTime();

export const ZExportQuery = z.strictObject({
  format: z.enum(["csv", "ndjson"]).optional().default("csv"),
  /** Only tickets changed at or after this instant. */
  updatedSince: zSince.optional(),
});
export type ExportQuery = z.infer<typeof ZExportQuery>;

export const MAX_INCREMENTAL_PAGE = 1000;

export const ZIncrementalQuery = z
  .strictObject({
    /** Where a first walk starts (tickets changed at or after it). */
    startTime: zSince.optional(),
    /** The nextCursor of the previous page. */
    cursor: z.string().min(1).max(2048).optional(),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, { message: `must be an integer from 1 to ${MAX_INCREMENTAL_PAGE}` })
      .transform(Number)
      .pipe(
        z
          .number()
          .int()
          .min(1)
          .max(MAX_INCREMENTAL_PAGE, { message: `must be an integer from 1 to ${MAX_INCREMENTAL_PAGE}` }),
      )
      .optional()
      .default(MAX_INCREMENTAL_PAGE)
      .meta({
        [PARAM_DOC_META]: {
          schema: { type: "integer", minimum: 1, maximum: MAX_INCREMENTAL_PAGE, default: MAX_INCREMENTAL_PAGE },
        },
        description: `Rows per page, 1–${MAX_INCREMENTAL_PAGE} (default ${MAX_INCREMENTAL_PAGE})`,
      }),
  })
  .refine((q) => (q.startTime === undefined) !== (q.cursor === undefined), {
    message: "send either startTime (first page) or cursor (the pages after)",
  });
export type IncrementalQuery = z.infer<typeof ZIncrementalQuery>;

/** One ndjson line: the ticket as the API shows it, with its whole conversation (internal notes included). */
export const ZExportedTicket = ZTicket.extend({ comments: z.array(ZComment) });

export const ZIncrementalPage = z.object({ data: z.array(ZTicket), nextCursor: z.string(), endOfStream: z.boolean() });
