import { z } from "zod";
import { zEnumList, zLimit } from "../core/list-page";
import { TICKET_PRIORITIES, TICKET_STATUSES } from "../db/schema/enums";
import { ZCustomFields, ZCustomFieldsInput } from "../fields/schemas";

// Request and response contracts of the ticket API. The OpenAPI document is generated from these.

export const MAX_SUBJECT = 200;
export const MAX_BODY_BYTES = 64 * 1024;

const zBody = z
  .string()
  .refine((s) => s.trim().length > 0, { message: "must not be empty" })
  .refine((s) => Buffer.byteLength(s, "utf8") <= MAX_BODY_BYTES, {
    message: `must be at most ${MAX_BODY_BYTES} bytes`,
  });

export const zTag = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(50)
  .regex(/^[\p{L}\p{N}_.:-]+$/u, { message: "tags are letters, digits, _ . : -" });
/** The most tags a ticket carries. */
export const MAX_TAGS = 20;
const zTags = z
  .array(zTag)
  .max(MAX_TAGS)
  .transform((t) => [...new Set(t)].sort());

export const zStatus = z.enum(TICKET_STATUSES);
export const zPriority = z.enum(TICKET_PRIORITIES);
const zSubject = z.string().trim().min(1).max(MAX_SUBJECT);

export const ZCreateTicket = z.strictObject({
  subject: zSubject,
  body: zBody,
  priority: zPriority.optional(),
  tags: zTags.optional(),
  requesterId: z.uuid().optional(),
  customFields: ZCustomFieldsInput.optional(),
});
export type CreateTicket = z.infer<typeof ZCreateTicket>;

export const ZUpdateTicket = z
  .strictObject({
    status: zStatus.optional(),
    priority: zPriority.optional(),
    assigneeId: z.uuid().nullable().optional(),
    /** An agent group of this org, or null for none (staff only). */
    groupId: z.uuid().nullable().optional(),
    subject: zSubject.optional(),
    /** The whole list, replacing the current one. */
    tags: zTags.optional(),
    /**
     * Tags to add to, and to remove from, the tags as they are when the change applies (under the
     * row lock), so an agent and an automation rule editing tags at once both keep their change.
     */
    addTags: zTags.optional(),
    removeTags: zTags.optional(),
    /** Custom field values to set (null clears one); fields not named keep their value. */
    customFields: ZCustomFieldsInput.optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: "nothing to change" })
  .superRefine((v, ctx) => {
    if (v.tags !== undefined && (v.addTags !== undefined || v.removeTags !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["tags"],
        message: "send either tags (the whole list) or addTags/removeTags, not both",
      });
    }
    const both = (v.addTags ?? []).filter((t) => v.removeTags?.includes(t));
    if (both.length)
      ctx.addIssue({
        code: "custom",
        path: ["removeTags"],
        message: `a tag cannot be both added and removed: ${both.join(", ")}`,
      });
  });
export type UpdateTicket = z.infer<typeof ZUpdateTicket>;

export const ZCreateComment = z.strictObject({ body: zBody, internal: z.boolean().optional().default(false) });
export type CreateComment = z.infer<typeof ZCreateComment>;

export const SORT_KEYS = ["updatedAt", "createdAt", "resolveDue", "priority"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

const ZListTicketFilters = z.object({
  limit: zLimit,
  cursor: z.string().min(1).max(2048).optional(),
  status: zEnumList(TICKET_STATUSES).optional(),
  priority: zEnumList(TICKET_PRIORITIES).optional(),
  assigneeId: z.union([z.literal("me"), z.literal("none"), z.uuid()]).optional(),
  /** Tickets of one agent group, or `none`: tickets without a group (staff only). */
  group: z.union([z.literal("none"), z.uuid()]).optional(),
  requesterId: z.uuid().optional(),
  tag: zTag.optional(),
  q: z.string().trim().min(1).max(200).optional(),
  /** breaching: a running SLA metric is due within 2 hours or already past due; breached: past due. */
  sla: z.enum(["breaching", "breached"]).optional(),
  sort: z
    .enum([...SORT_KEYS, ...SORT_KEYS.map((k) => `-${k}` as const)] as [string, ...string[]])
    .optional()
    .default("-updatedAt"),
});

/** ?cf.<key>=<value>: a filter on one custom field (SPEC §13). */
export const CF_PARAM = /^cf\.[a-z][a-z0-9_]{0,39}$/;

/**
 * GET /tickets' query: the filters above, strict (an unknown parameter is a 400 naming it), plus
 * any number of ?cf.<key>= custom field filters, gathered into `cf` ({key: text}), which the list
 * reads by each field's type (fields/custom-values.ts).
 */
export const ZListTickets = ZListTicketFilters.catchall(z.string().min(1).max(200))
  .superRefine((v, ctx) => {
    for (const k of Object.keys(v)) {
      if (!(k in ZListTicketFilters.shape) && !CF_PARAM.test(k))
        ctx.addIssue({
          code: "custom",
          path: [k],
          message: "unknown query parameter (custom field filters are cf.<key>)",
        });
    }
  })
  .transform((v): z.output<typeof ZListTicketFilters> & { cf?: Record<string, string> } => {
    const known: Record<string, unknown> = {};
    const cf: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k in ZListTicketFilters.shape) known[k] = x;
      else cf[k.slice(3)] = x as string;
    }
    return { ...(known as z.output<typeof ZListTicketFilters>), ...(Object.keys(cf).length ? { cf } : {}) };
  });
export type ListTickets = z.infer<typeof ZListTickets>;

const zIso = z.iso.datetime();
const zSlaMetric = z.object({
  dueAt: zIso.nullable(),
  fulfilledAt: zIso.nullable(),
  breached: z.boolean(),
  paused: z.boolean(),
});

export const ZTicket = z.object({
  id: z.uuid(),
  number: z.number().int(),
  subject: z.string(),
  status: zStatus,
  priority: zPriority,
  requesterId: z.uuid(),
  assigneeId: z.uuid().nullable(),
  groupId: z.uuid().nullable(),
  tags: z.array(z.string()),
  customFields: ZCustomFields,
  createdAt: zIso,
  updatedAt: zIso,
  firstResponseDue: zIso.nullable(),
  firstResponseAt: zIso.nullable(),
  resolveDue: zIso.nullable(),
  resolvedAt: zIso.nullable(),
  sla: z.object({ firstResponse: zSlaMetric, resolution: zSlaMetric, nextResponse: zSlaMetric.optional() }),
});
export type TicketView = z.infer<typeof ZTicket>;

/**
 * A ticket as its requester sees it (API and portal alike): no staff-only triage (priority, tags,
 * assignee). The SLA fields are there only when the org shows SLA targets to customers
 * (settings.showSlaToCustomers, off by default; docs/decisions/026).
 */
export const ZCustomerTicket = ZTicket.pick({
  id: true,
  number: true,
  subject: true,
  status: true,
  requesterId: true,
  customFields: true,
  createdAt: true,
  updatedAt: true,
})
  .extend(
    ZTicket.pick({
      firstResponseDue: true,
      firstResponseAt: true,
      resolveDue: true,
      resolvedAt: true,
      sla: true,
    }).partial().shape,
  )
  .meta({
    description:
      "The customer view: what a ticket's requester may see. SLA fields only when the org shows SLA targets to customers.",
  });
export type CustomerTicketView = z.infer<typeof ZCustomerTicket>;

/** What GET/POST/PATCH /tickets answer: the full view for agents and admins, the customer view for customers. */
export const ZTicketForCaller = z.union([
  ZTicket.meta({ description: "The staff view (agents and admins)." }),
  ZCustomerTicket,
]);
export type AnyTicketView = TicketView | CustomerTicketView;

/** The staff view, told apart from the customer view by its staff-only fields. */
export const isStaffView = (t: AnyTicketView): t is TicketView => "priority" in t;

export const ZComment = z.object({
  id: z.uuid(),
  ticketId: z.uuid(),
  authorId: z.uuid(),
  body: z.string(),
  bodyHtml: z.string(),
  internal: z.boolean(),
  /** How it arrived (SPEC §11): the web app, the API, or an email to a support address. */
  channel: z.enum(["web", "email", "api"]),
  /** For channel email: the envelope of the message, and attachments the upload rules refused. */
  email: z
    .object({
      from: z.string(),
      to: z.array(z.string()),
      cc: z.array(z.string()),
      messageId: z.string().nullable(),
      refused: z.array(z.object({ filename: z.string(), reason: z.string() })).optional(),
      /** SPF/DKIM/DMARC of the message: pass, fail, none, softfail, neutral, temperror, permerror, or "not checked" (IMAP and webhook mail). */
      auth: z.object({ spf: z.string(), dkim: z.string(), dmarc: z.string() }).optional(),
    })
    .nullable(),
  createdAt: zIso,
});
export type CommentView = z.infer<typeof ZComment>;

export const ZTicketEvent = z.object({
  source: z.enum(["audit", "sla"]),
  at: zIso,
  action: z.string(),
  actorId: z.uuid().nullable(),
  data: z.record(z.string(), z.unknown()),
  seq: z.number().int().nullable(),
});

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

// The generic page of a keyset list lives in core (every list uses it); re-exported for the routes
// and scripts that name it with the ticket schemas.
export { zLimit, ZListPage, type ListPage } from "../core/list-page";
