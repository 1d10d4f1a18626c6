import "server-only";
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { z } from "zod";
import { auditEvents } from "../db/schema/audit";
import { decodeCursor, encodeCursor } from "../core/cursor";
import type { Scope } from "../core/scope";
import { assertCan } from "../authz/permissions";
import { zLimit } from "../core/list-page";

export const ZListAudit = z.strictObject({
  limit: zLimit,
  cursor: z.string().min(1).max(2048).optional(),
  action: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[a-z_.]+$/)
    .optional(),
  entityType: z
    .string()
    .trim()
    .min(1)
    .max(50)
    .regex(/^[a-z_]+$/)
    .optional(),
  entityId: z.string().trim().min(1).max(100).optional(),
  actorId: z.uuid().optional(),
});
export type ListAudit = z.infer<typeof ZListAudit>;

export const ZAuditEvent = z.object({
  seq: z.number().int(),
  at: z.iso.datetime(),
  actorId: z.uuid().nullable(),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  requestId: z.string().nullable(),
  hash: z.string(),
  prevHash: z.string(),
});

const isCursor = (v: unknown): v is { seq: number } =>
  typeof v === "object" && v !== null && Number.isInteger((v as { seq: number }).seq);

/** GET /audit: the org's chain, newest first, keyset-paginated on seq, with filters. */
export async function listAudit(scope: Scope, q: ListAudit) {
  assertCan(scope.user, "org.admin");
  const where = [];
  if (q.action) where.push(eq(auditEvents.action, q.action));
  if (q.entityType) where.push(eq(auditEvents.entityType, q.entityType));
  if (q.entityId) where.push(eq(auditEvents.entityId, q.entityId));
  if (q.actorId) where.push(eq(auditEvents.actorId, q.actorId));
  if (q.cursor) where.push(lt(auditEvents.seq, decodeCursor("audit", q.cursor, isCursor, q).seq));
  const rows = await scope.tx
    .select()
    .from(auditEvents)
    .where(and(sql`true`, ...where))
    .orderBy(desc(auditEvents.seq))
    .limit(q.limit + 1);
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  return {
    data: page.map((e) => ({
      seq: e.seq,
      at: e.at.toISOString(),
      actorId: e.actorId,
      action: e.action,
      entityType: e.entityType,
      entityId: e.entityId,
      data: e.data,
      requestId: e.requestId,
      hash: e.hash,
      prevHash: e.prevHash,
    })),
    nextCursor: more ? encodeCursor("audit", { seq: page[page.length - 1]!.seq }, q) : null,
  };
}
