import "server-only";
import { z } from "zod";
import { QUEUES } from "../jobs/queues";
import { ZTicketSnapshot } from "../jobs/event-snapshot";
import { WEBHOOK_EVENTS } from "../webhooks/manage-webhooks";

// The webhooks Beacon sends, for the OpenAPI document (issue 20 "Webhooks", decision 043): every
// event with its payload schema, the headers and the signature scheme. OpenAPI 3.1 has a
// top-level `webhooks` map for exactly this; a 3.0 document gets the same map as `x-webhooks`.
// Kept apart from openapi.ts so the document's generator and this contract change independently.

const ZActor = z
  .strictObject({
    type: z.enum(["user", "system"]).describe("user: a person or their API token; system: the SLA scan or another job"),
    id: z.uuid().nullable().describe("The user's id (null for system)"),
  })
  .describe("Who caused the event");

// The snapshot the event's transaction records (jobs/event-snapshot.ts), as published.
// Deliveries queued before snapshots existed read the ticket when sent and carry no tags or version.
const ZTicketAtEvent = z
  .strictObject({
    ...ZTicketSnapshot.shape,
    tags: ZTicketSnapshot.shape.tags.optional(),
    version: ZTicketSnapshot.shape.version
      .optional()
      .describe("The ticket's version (its API ETag) right after the event"),
  })
  .describe("The ticket as it was when the event happened (not when the delivery was sent)");

const base = {
  id: z.uuid().describe("The delivery's id (also X-Beacon-Delivery): the same on every retry of this delivery"),
  eventId: z
    .uuid()
    .describe("The event's id: the same for every webhook it goes to and every retry; de-duplicate on it"),
  occurredAt: z.iso
    .datetime({ offset: true })
    .describe("When the event happened; one ticket's deliveries to a webhook are sent in this order"),
  orgId: z.uuid(),
  actor: ZActor,
  actorId: z.uuid().optional().describe("Deprecated: actor.id"),
  ticket: ZTicketAtEvent,
};

const ZChanges = z
  // A two-element array rather than a tuple: a 3.0 document cannot state a tuple of two any-values
  // without anyOf of empty schemas, which linters rightly call illogical.
  .record(z.string(), z.array(z.unknown()).length(2))
  .describe("The fields the change that caused the event changed, each as [from, to]");

/** Each event's payload (strict: a field the document does not name fails the contract test). */
export const WEBHOOK_PAYLOADS: Record<string, { summary: string; schema: z.ZodType }> = {
  "ticket.created": {
    summary: "A ticket was opened (web, API or email)",
    schema: z.strictObject({ ...base, event: z.literal("ticket.created") }),
  },
  "ticket.assigned": {
    summary: "A ticket was assigned (by a person or an automation rule); changes lists everything that update changed",
    schema: z.strictObject({ ...base, event: z.literal("ticket.assigned"), changes: ZChanges }),
  },
  "ticket.replied": {
    summary: "A public reply was added (internal notes send nothing); changes has the status when the reply changed it",
    schema: z.strictObject({
      ...base,
      event: z.literal("ticket.replied"),
      commentId: z.uuid(),
      changes: ZChanges.optional(),
    }),
  },
  "sla.warning": {
    summary: "An SLA target is about to be missed (the ticket is read when the scan's event is handled)",
    schema: z.strictObject({
      ...base,
      event: z.literal("sla.warning"),
      metric: z.enum(["first_response", "next_response", "resolution"]),
      dueAt: z.iso.datetime(),
    }),
  },
  "sla.breach": {
    summary: "An SLA target was missed (the ticket is read when the scan's event is handled)",
    schema: z.strictObject({
      ...base,
      event: z.literal("sla.breach"),
      metric: z.enum(["first_response", "next_response", "resolution"]),
      dueAt: z.iso.datetime(),
    }),
  },
  "automation.rule": {
    summary: "An automation rule's call-webhook action (sent to the webhook the rule names, whatever its events)",
    schema: z.strictObject({ ...base, event: z.literal("automation.rule") }),
  },
};

export const SIGNATURE_SCHEME =
  "X-Beacon-Signature is `sha256=` and the hex HMAC-SHA256, keyed with the webhook's secret (whsec_…, shown once when the webhook is created " +
  "or its secret rotated), of `<X-Beacon-Timestamp>.<raw request body>`. Verify it over the raw bytes before parsing, compare in constant " +
  "time, and refuse timestamps more than 5 minutes from your clock (the timestamp is signed, so a replayed request cannot move it).";

const HEADERS = [
  { name: "X-Beacon-Signature", description: SIGNATURE_SCHEME, example: "sha256=5d41402abc4b2a76b9719d911017c592…" },
  {
    name: "X-Beacon-Timestamp",
    description: "Unix seconds when this attempt was signed (each retry is signed anew)",
    example: "1796616192",
  },
  { name: "X-Beacon-Delivery", description: "The delivery's id, as `id` in the body", example: "3f0c1c2e-…" },
  { name: "X-Beacon-Event", description: "The event, as `event` in the body", example: "ticket.created" },
];

/** A 3.1 document takes JSON Schema 2020-12 as it is; a 3.0 document passes its own converter (its schema dialect and components). */
const draft2020 = (s: z.ZodType) =>
  z.toJSONSchema(s, { io: "output", unrepresentable: "any", target: "draft-2020-12" }) as Record<string, unknown>;

/** The webhooks section: `{ webhooks }` for a 3.1 document, `{ "x-webhooks" }` for 3.0. */
export function openApiWebhooks(
  openapiVersion: string,
  schema: (s: z.ZodType) => Record<string, unknown> = draft2020,
): Record<string, unknown> {
  const retries = QUEUES.webhook.retryLimit;
  const map = Object.fromEntries(
    [...WEBHOOK_EVENTS, "automation.rule"].map((event) => {
      const p = WEBHOOK_PAYLOADS[event]!;
      return [
        event,
        {
          post: {
            operationId: `webhook_${event.replace(".", "_")}`,
            summary: p.summary,
            description:
              `Beacon POSTs this JSON to each active webhook subscribed to ${event}. ${SIGNATURE_SCHEME} ` +
              `Answer 2xx within 10 s; anything else (or no answer) is retried ${retries} times with growing delays, then the delivery is dead ` +
              "(replayable by an admin). Deliveries of one ticket arrive in event order; a retry repeats id and eventId.",
            tags: ["webhooks"],
            // Beacon is the caller here: the receiver checks X-Beacon-Signature, not a credential of Beacon's API.
            security: [],
            parameters: HEADERS.map((h) => ({
              name: h.name,
              in: "header",
              required: true,
              description: h.description,
              schema: { type: "string" },
              example: h.example,
            })),
            requestBody: { required: true, content: { "application/json": { schema: schema(p.schema) } } },
            responses: { "2XX": { description: "Received: the delivery succeeded and is not sent again" } },
          },
        },
      ];
    }),
  );
  return openapiVersion.startsWith("3.1") ? { webhooks: map } : { "x-webhooks": map };
}
