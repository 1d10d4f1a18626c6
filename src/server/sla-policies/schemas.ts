import { z } from "zod";
import { TICKET_PRIORITIES } from "../db/schema/enums";

const MAX_MINUTES = 366 * 24 * 60;
const zMinutes = z.number().int().min(1).max(MAX_MINUTES);
const zHHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, { message: "must be HH:MM" });

export const ZCalendarInput = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  timezone: z.string().min(1).max(64),
  intervals: z
    .array(z.strictObject({ day: z.number().int().min(0).max(6), start: zHHMM, end: zHHMM }))
    .min(1)
    .max(50),
  holidays: z.array(z.iso.date()).max(400).optional().default([]),
});
export type CalendarInput = z.infer<typeof ZCalendarInput>;

/** Statuses that may pause the resolution clock (new, open, solved and closed cannot). */
export const PAUSABLE = ["pending", "on_hold"] as const;

const policyFields = {
  firstResponseMinutes: zMinutes,
  resolveMinutes: zMinutes,
  nextResponseMinutes: zMinutes.nullable().optional(),
  businessHours: z.boolean().optional().default(false),
  calendar: ZCalendarInput.nullable().optional(),
  pauseOn: z.array(z.enum(PAUSABLE)).max(2).optional(),
};

export const ZCreatePolicy = z.strictObject({ priority: z.enum(TICKET_PRIORITIES), ...policyFields });
export type CreatePolicy = z.infer<typeof ZCreatePolicy>;

export const ZUpdatePolicy = z
  .strictObject({
    firstResponseMinutes: zMinutes.optional(),
    resolveMinutes: zMinutes.optional(),
    nextResponseMinutes: zMinutes.nullable().optional(),
    businessHours: z.boolean().optional(),
    calendar: ZCalendarInput.nullable().optional(),
    pauseOn: z.array(z.enum(PAUSABLE)).max(2).optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: "nothing to change" });
export type UpdatePolicy = z.infer<typeof ZUpdatePolicy>;

const zCalendarView = z.object({
  id: z.uuid(),
  name: z.string(),
  timezone: z.string(),
  intervals: z.array(z.object({ day: z.number(), start: z.string(), end: z.string() })),
  holidays: z.array(z.string()),
});

export const ZPolicy = z.object({
  id: z.uuid(),
  priority: z.enum(TICKET_PRIORITIES),
  firstResponseMinutes: z.number().int(),
  resolveMinutes: z.number().int(),
  nextResponseMinutes: z.number().int().nullable(),
  businessHours: z.boolean(),
  calendar: zCalendarView.nullable(),
  pauseOn: z.array(z.string()),
  updatedAt: z.iso.datetime(),
});
export type PolicyView = z.infer<typeof ZPolicy>;
