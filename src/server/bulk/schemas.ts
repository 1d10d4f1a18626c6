import { z } from "zod";
import { ZUpdateTicket } from "../tickets/schemas";

// Bulk ticket changes (SPEC §13, issue 14 item 3, decision 050).

/** The most tickets one bulk change takes (an explicit selection, or every match of a filter). */
export const MAX_BULK = 10_000;

export const ZBulkInput = z
  .strictObject({
    /** The tickets selected in the list … */
    ticketIds: z.array(z.uuid()).min(1).max(MAX_BULK).optional(),
    /** … or every ticket matching these GET /tickets filters now (at most 10,000: narrow the filter beyond). */
    filters: z.record(z.string().max(50), z.string().max(200)).optional(),
    /** The change, as a PATCH /tickets/{id} body: status, priority, assigneeId, groupId, tags/addTags/removeTags, customFields. */
    set: ZUpdateTicket.optional(),
    /** Or a macro's field actions (its reply is not sent). */
    macroId: z.uuid().optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.ticketIds === undefined) === (v.filters === undefined))
      ctx.addIssue({ code: "custom", path: ["ticketIds"], message: "send either ticketIds or filters" });
    if ((v.set === undefined) === (v.macroId === undefined))
      ctx.addIssue({ code: "custom", path: ["set"], message: "send either set or macroId" });
  });
export type BulkInput = z.infer<typeof ZBulkInput>;

export const ZBulkJob = z.object({
  id: z.uuid(),
  state: z.enum(["queued", "running", "done", "failed"]),
  action: z.record(z.string(), z.unknown()),
  total: z.number().int(),
  processed: z.number().int(),
  changed: z.number().int(),
  /** Tickets that could not change, with the reason (e.g. conflict: a closed ticket is final). */
  failures: z.array(
    z.object({ ticketId: z.uuid(), number: z.number().int().nullable(), code: z.string(), message: z.string() }),
  ),
  createdAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
});
export type BulkJobView = z.infer<typeof ZBulkJob>;
