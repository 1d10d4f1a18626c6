import "server-only";
import { and, count, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { notifications } from "../db/schema/notifications";
import { decodeCursor, isKeyCursor, keysetPage } from "../core/cursor";
import type { Scope } from "../core/scope";
import { zLimit } from "../core/list-page";

export const ZListNotifications = z.strictObject({
  limit: zLimit,
  cursor: z.string().min(1).max(2048).optional(),
  unread: z.enum(["true", "false"]).optional(),
});
export type ListNotifications = z.infer<typeof ZListNotifications>;

export const ZMarkRead = z.union([
  z.strictObject({ ids: z.array(z.uuid()).min(1).max(100) }),
  z.strictObject({ all: z.literal(true) }),
]);
export type MarkRead = z.infer<typeof ZMarkRead>;

export const ZNotification = z.object({
  id: z.uuid(),
  kind: z.string(),
  ticketId: z.uuid().nullable(),
  payload: z.record(z.string(), z.unknown()),
  readAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
});
export type NotificationView = z.infer<typeof ZNotification>;

/** The caller's own notifications, newest first, with the unread count. */
export async function listNotifications(scope: Scope, query: ListNotifications) {
  const mine = eq(notifications.userId, scope.user.userId);
  const where = [mine];
  if (query.unread === "true") where.push(isNull(notifications.readAt));
  if (query.cursor) {
    const c = decodeCursor("notifications", query.cursor, isKeyCursor, query);
    where.push(sql`(${notifications.createdAt}, ${notifications.id}) < (${c.v}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await scope.tx
    .select({ n: notifications, v: sql<string>`${notifications.createdAt}::text` })
    .from(notifications)
    .where(and(...where))
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(query.limit + 1);
  const [unread] = await scope.tx
    .select({ n: count() })
    .from(notifications)
    .where(and(mine, isNull(notifications.readAt)));
  const { rows: pageRows, nextCursor } = keysetPage(
    "notifications",
    rows,
    query.limit,
    (last) => ({ v: last.v, id: last.n.id }),
    query,
  );
  return {
    data: pageRows.map(
      ({ n }): NotificationView => ({
        id: n.id,
        kind: n.kind,
        ticketId: n.ticketId,
        payload: n.payload,
        readAt: n.readAt?.toISOString() ?? null,
        createdAt: n.createdAt.toISOString(),
      }),
    ),
    nextCursor,
    unreadCount: unread?.n ?? 0,
  };
}

/** Marks some or all of the caller's notifications read; others' ids are silently not touched. */
export async function markRead(scope: Scope, input: MarkRead): Promise<{ updated: number }> {
  const where = [eq(notifications.userId, scope.user.userId), isNull(notifications.readAt)];
  if ("ids" in input) where.push(inArray(notifications.id, input.ids));
  const r = await scope.tx
    .update(notifications)
    .set({ readAt: sql`now()` })
    .where(and(...where))
    .returning({ id: notifications.id });
  return { updated: r.length };
}
