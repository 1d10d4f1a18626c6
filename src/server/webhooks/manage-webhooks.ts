import "server-only";
import { randomBytes } from "node:crypto";
import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit";
import { webhookDeliveries, webhooks } from "../db/schema/notifications";
import { decodeCursor, isKeyCursor, keysetPage } from "../core/cursor";
import { AppError, notFound } from "../core/errors";
import { assertVersion } from "../core/versions";
import type { Scope } from "../core/scope";
import { refusedUrlReason } from "../outbound/guard";
import { auditActor } from "../authz/actor";
import { assertCan } from "../authz/permissions";
import { zLimit, type ListPage } from "../core/list-page";
import { one } from "../core/one";

export const WEBHOOK_EVENTS = [
  "sla.warning",
  "sla.breach",
  "ticket.created",
  "ticket.assigned",
  "ticket.replied",
] as const;

const zUrl = z
  .string()
  .max(2000)
  .refine(
    (v) => {
      try {
        const u = new URL(v);
        return (u.protocol === "https:" || u.protocol === "http:") && !u.username && !u.password;
      } catch {
        return false;
      }
    },
    { message: "must be an http(s) URL without credentials" },
  );
const zEvents = z
  .array(z.enum(WEBHOOK_EVENTS))
  .min(1)
  .max(WEBHOOK_EVENTS.length)
  .transform((e) => [...new Set(e)].sort());

export const ZCreateWebhook = z.strictObject({
  url: zUrl,
  events: zEvents,
  active: z.boolean().optional().default(true),
});
export const ZUpdateWebhook = z
  .strictObject({
    url: zUrl.optional(),
    events: zEvents.optional(),
    active: z.boolean().optional(),
    rotateSecret: z.literal(true).optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: "nothing to change" });
export type CreateWebhook = z.infer<typeof ZCreateWebhook>;
export type UpdateWebhook = z.infer<typeof ZUpdateWebhook>;

export const ZWebhook = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.string()),
  active: z.boolean(),
  secretHint: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  secret: z.string().optional(),
});
export const ZDelivery = z.object({
  id: z.uuid(),
  event: z.string(),
  status: z.string(),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.iso.datetime(),
  deliveredAt: z.iso.datetime().nullable(),
});

type Row = typeof webhooks.$inferSelect;
const newSecret = () => `whsec_${randomBytes(24).toString("base64url")}`;

function toView(w: Row, revealSecret = false) {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    active: w.active,
    secretHint: `…${w.secret.slice(-4)}`,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
    ...(revealSecret ? { secret: w.secret } : {}),
  };
}

/** The org's webhooks, oldest first, keyset-paginated on (createdAt, id). */
export async function listWebhooks(scope: Scope, page: ListPage) {
  assertCan(scope.user, "org.admin");
  const where = [];
  if (page.cursor) {
    const c = decodeCursor("webhooks", page.cursor, isKeyCursor);
    where.push(sql`(${webhooks.createdAt}, ${webhooks.id}) > (${c.v}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await scope.tx
    .select({ w: webhooks, v: sql<string>`${webhooks.createdAt}::text` })
    .from(webhooks)
    .where(and(...where))
    .orderBy(webhooks.createdAt, webhooks.id)
    .limit(page.limit + 1);
  const { rows: pageRows, nextCursor } = keysetPage("webhooks", rows, page.limit, (last) => ({
    v: last.v,
    id: last.w.id,
  }));
  return { data: pageRows.map((r) => toView(r.w)), nextCursor };
}

/** A receiver inside Beacon's network (loopback, private, link-local, metadata …) is refused when saved (decision 021). */
async function assertPublicUrl(url: string): Promise<void> {
  const reason = await refusedUrlReason(url);
  if (reason)
    throw new AppError("validation_failed", `url ${reason}`, {
      issues: [{ in: "body", path: "url", message: reason }],
    });
}

/** The signing secret is generated here and shown once, in this response. */
export async function createWebhook(scope: Scope, input: CreateWebhook) {
  assertCan(scope.user, "org.admin");
  await assertPublicUrl(input.url);
  const w = one(
    await scope.tx
      .insert(webhooks)
      .values({
        orgId: scope.user.orgId,
        url: input.url,
        events: input.events,
        active: input.active,
        secret: newSecret(),
      })
      .returning(),
  );
  await recordAudit(scope.tx, auditActor(scope), {
    action: "webhook.created",
    entityType: "webhook",
    entityId: w.id,
    data: { url: input.url, events: input.events, active: input.active },
  });
  return toView(w, true);
}

export async function updateWebhook(scope: Scope, id: string, input: UpdateWebhook) {
  return (await updateVersionedWebhook(scope, id, input)).webhook;
}

/** One webhook and its version (GET /webhooks/{id}; the version is its ETag, decision 043). */
export async function getVersionedWebhook(scope: Scope, id: string) {
  assertCan(scope.user, "org.admin");
  const [w] = await scope.tx.select().from(webhooks).where(eq(webhooks.id, id));
  if (!w) throw notFound("webhook");
  return { webhook: toView(w), version: w.version };
}

/** updateWebhook with the webhook's version: given `ifVersion` (If-Match), nothing changes unless the locked row has one of them (412). */
export async function updateVersionedWebhook(
  scope: Scope,
  id: string,
  input: UpdateWebhook,
  ifVersion?: readonly number[],
) {
  assertCan(scope.user, "org.admin");
  const [current] = await scope.tx
    .select({ version: webhooks.version })
    .from(webhooks)
    .where(eq(webhooks.id, id))
    .for("update");
  if (!current) throw notFound("webhook");
  assertVersion("webhook", current.version, ifVersion);
  if (input.url !== undefined) await assertPublicUrl(input.url);
  const [w] = await scope.tx
    .update(webhooks)
    .set({
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.events !== undefined ? { events: input.events } : {}),
      ...(input.active !== undefined ? { active: input.active } : {}),
      ...(input.rotateSecret ? { secret: newSecret() } : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(webhooks.id, id))
    .returning();
  if (!w) throw notFound("webhook");
  const { rotateSecret, ...changes } = input;
  await recordAudit(scope.tx, auditActor(scope), {
    action: "webhook.updated",
    entityType: "webhook",
    entityId: id,
    data: { changes, secretRotated: rotateSecret === true },
  });
  return { webhook: toView(w, rotateSecret === true), version: w.version };
}

export async function deleteWebhook(scope: Scope, id: string): Promise<void> {
  assertCan(scope.user, "org.admin");
  const [w] = await scope.tx
    .delete(webhooks)
    .where(eq(webhooks.id, id))
    .returning({ id: webhooks.id, url: webhooks.url });
  if (!w) throw notFound("webhook");
  await recordAudit(scope.tx, auditActor(scope), {
    action: "webhook.deleted",
    entityType: "webhook",
    entityId: id,
    data: { url: w.url },
  });
}

export const ZListDeliveries = z.strictObject({ limit: zLimit, cursor: z.string().min(1).max(2048).optional() });

export type ListDeliveries = z.infer<typeof ZListDeliveries>;

/** A webhook's deliveries, newest first: status, attempts and the last response, for debugging receivers. */
export async function listDeliveries(scope: Scope, webhookId: string, query: ListDeliveries) {
  assertCan(scope.user, "org.admin");
  const [w] = await scope.tx.select({ id: webhooks.id }).from(webhooks).where(eq(webhooks.id, webhookId));
  if (!w) throw notFound("webhook");
  const where = [eq(webhookDeliveries.webhookId, webhookId)];
  if (query.cursor) {
    const c = decodeCursor("webhook-deliveries", query.cursor, isKeyCursor, { webhookId });
    where.push(sql`(${webhookDeliveries.createdAt}, ${webhookDeliveries.id}) < (${c.v}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await scope.tx
    .select({ d: webhookDeliveries, v: sql<string>`${webhookDeliveries.createdAt}::text` })
    .from(webhookDeliveries)
    .where(and(...where))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(query.limit + 1);
  const { rows: page, nextCursor } = keysetPage(
    "webhook-deliveries",
    rows,
    query.limit,
    (last) => ({ v: last.v, id: last.d.id }),
    { webhookId },
  );
  return {
    data: page.map(({ d }) => ({
      id: d.id,
      event: d.event,
      status: d.status,
      attempts: d.attempts,
      lastStatusCode: d.lastStatusCode,
      lastError: d.lastError,
      createdAt: d.createdAt.toISOString(),
      deliveredAt: d.deliveredAt?.toISOString() ?? null,
    })),
    nextCursor,
  };
}
