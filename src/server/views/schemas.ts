import { z } from "zod";
import { SORT_KEYS } from "../tickets/schemas";
import { VIEW_SHARING } from "../db/schema/workspace";

// Saved ticket views (SPEC §13, issue 14 item 2, decision 050).

/** Columns a view's list can show; cf.<key> shows a custom field. */
export const VIEW_COLUMNS = [
  "number",
  "subject",
  "status",
  "priority",
  "requester",
  "assignee",
  "group",
  "tags",
  "createdAt",
  "updatedAt",
  "resolveDue",
] as const;
export const DEFAULT_COLUMNS = ["number", "subject", "status", "priority", "requester", "assignee", "updatedAt"];
const zColumn = z.union([
  z.enum(VIEW_COLUMNS),
  z.string().regex(/^cf\.[a-z][a-z0-9_]{0,39}$/, { message: "a column is one of the built-in ones or cf.<key>" }),
]);
const zSort = z.enum([...SORT_KEYS, ...SORT_KEYS.map((k) => `-${k}` as const)] as [string, ...string[]]);

export const ZViewInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    /** personal: the caller's own; org: every agent (admins only); group: the members of groupId (admins only). */
    sharing: z.enum(VIEW_SHARING).optional().default("personal"),
    groupId: z.uuid().optional(),
    /**
     * The list's filters exactly as GET /api/v1/tickets takes them in its query string (status, priority,
     * assigneeId, group, requesterId, tag, q, sla, cf.<key>): checked by the same schema (400 naming each bad one).
     */
    filters: z.record(z.string().max(50), z.string().max(200)).optional().default({}),
    columns: z.array(zColumn).min(1).max(20).optional(),
    sort: zSort.optional(),
    position: z.number().int().min(0).max(10_000).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.sharing === "group" && !v.groupId)
      ctx.addIssue({ code: "custom", path: ["groupId"], message: "a group view names its group" });
    if (v.sharing !== "group" && v.groupId)
      ctx.addIssue({ code: "custom", path: ["groupId"], message: "only a group view names a group" });
  });
export type ViewInput = z.infer<typeof ZViewInput>;

export const ZViewPatch = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    filters: z.record(z.string().max(50), z.string().max(200)).optional(),
    columns: z.array(zColumn).min(1).max(20).optional(),
    sort: zSort.optional(),
    /** Hidden views stay in the admin's list but leave the agents' sidebar (built-in views cannot be deleted, only hidden). */
    hidden: z.boolean().optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: "nothing to change" });
export type ViewPatch = z.infer<typeof ZViewPatch>;

export const ZView = z.object({
  id: z.uuid(),
  name: z.string(),
  sharing: z.enum(VIEW_SHARING),
  ownerId: z.uuid().nullable(),
  groupId: z.uuid().nullable(),
  /** The built-in view this stands for (mine, unassigned, breaching, all, solved), or null. */
  builtinKey: z.string().nullable(),
  filters: z.record(z.string(), z.string()),
  columns: z.array(z.string()),
  sort: z.string(),
  position: z.number().int(),
  hidden: z.boolean(),
  /** Tickets the view matches now, counted up to 1,001 (1001 means "more than 1,000"). */
  count: z.number().int().optional(),
  updatedAt: z.iso.datetime(),
});
export type ViewView = z.infer<typeof ZView>;

export const ZViewOrder = z.strictObject({ ids: z.array(z.uuid()).min(1).max(500) });
