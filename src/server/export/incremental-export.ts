import "server-only";
import { sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit";
import { env } from "../env";
import { decodeCursor, encodeCursor } from "../core/cursor";
import type { Scope } from "../core/scope";
import { auditActor } from "../authz/actor";
import { toTicketView } from "../ticket-model/ticket-view";
import type { TicketView } from "../tickets/schemas";
import type { IncrementalQuery } from "./schemas";
import { NIL_UUID, readTicketBatch, type Position } from "./ticket-batches";

type Cursor = Position & { k: "tix-inc" };
const isCursor = (v: unknown): v is Cursor =>
  typeof v === "object" &&
  v !== null &&
  (v as Cursor).k === "tix-inc" &&
  typeof (v as Cursor).v === "string" &&
  typeof (v as Cursor).id === "string";

/**
 * GET /export/tickets/incremental (admin), Zendesk-style: pages in (updated_at, id) order from
 * startTime, then from each page's signed nextCursor. A ticket changed after it was read moves
 * behind the cursor and is returned again with its new state, so a walk never misses a change.
 * The newest EXPORT_INCREMENTAL_LAG_SECONDS are left out: a transaction that stamped updated_at
 * but has not committed yet cannot be overtaken by the cursor. endOfStream says "caught up";
 * keep nextCursor and poll with it later.
 */
export async function incrementalExport(
  scope: Scope,
  q: IncrementalQuery,
): Promise<{ data: TicketView[]; nextCursor: string; endOfStream: boolean }> {
  let from: Position;
  if (q.cursor) {
    from = decodeCursor("tickets-incremental", q.cursor, isCursor);
  } else {
    // Just before the first ticket changed at startTime (no ticket id sorts below the nil UUID).
    from = { v: q.startTime!, id: NIL_UUID };
    await recordAudit(scope.tx, auditActor(scope), {
      action: "export.started",
      entityType: "org",
      entityId: scope.user.orgId,
      data: { format: "incremental", filter: { startTime: q.startTime } },
    });
  }
  const lag = env().EXPORT_INCREMENTAL_LAG_SECONDS;
  const rows = await readTicketBatch(scope.tx, scope.user.orgId, {
    after: from,
    before: sql`now() - make_interval(secs => ${lag})`,
    limit: q.limit + 1,
  });
  const endOfStream = rows.length <= q.limit;
  const page = endOfStream ? rows : rows.slice(0, q.limit);
  const last = page[page.length - 1]?.position ?? from;
  const now = new Date();
  return {
    data: page.map((r) => toTicketView(r.ticket, now)),
    nextCursor: encodeCursor("tickets-incremental", { k: "tix-inc", v: last.v, id: last.id }),
    endOfStream,
  };
}
