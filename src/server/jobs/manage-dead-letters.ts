import "server-only";
import { z } from "zod";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { ADMIN_QUEUES, dropDeadLetters, listDeadLetters, replayDeadLetters, type DeadLetter } from "./dead-letters";

// The org admin's view of its own dead letters (email notifications, webhook deliveries, reply
// emails to customers, inbound mail that could not be applied: its raw message stays stored,
// decision 029). Scoped
// by the orgId in each job's payload: pgboss has no row-level security (decision 022).

export const ZListDeadLetters = z.strictObject({
  queue: z.enum(ADMIN_QUEUES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListDeadLetters = z.infer<typeof ZListDeadLetters>;

export const ZDeadLetterItem = z.object({
  id: z.uuid(),
  queue: z.enum(ADMIN_QUEUES),
  error: z.string().nullable(),
  createdAt: z.iso.datetime(),
  ageSeconds: z.number().int(),
  notificationId: z.uuid().nullable(),
  deliveryId: z.uuid().nullable(),
  /** The stored inbound message an `email-inbound` dead letter would apply. */
  inboundId: z.uuid().nullable(),
  /** The staff comment an `email-reply` dead letter would email to the requester and CCs. */
  commentId: z.uuid().nullable(),
  /** The ticket an `email-customer` dead letter (acknowledgement or solve email) is about. */
  ticketId: z.uuid().nullable(),
});
export type DeadLetterItem = z.infer<typeof ZDeadLetterItem>;
export const ZReplayed = z.object({ id: z.uuid(), queue: z.enum(ADMIN_QUEUES), jobId: z.uuid() });

function item(d: DeadLetter): DeadLetterItem {
  const ref = (k: string) => (typeof d.data[k] === "string" ? (d.data[k] as string) : null);
  return {
    id: d.id,
    queue: d.queue as DeadLetterItem["queue"],
    error: d.error,
    createdAt: d.createdAt,
    ageSeconds: d.ageSeconds,
    notificationId: ref("notificationId"),
    deliveryId: ref("deliveryId"),
    inboundId: ref("inboundId"),
    commentId: ref("commentId"),
    ticketId: ref("ticketId"),
  };
}

/** The newest `limit` dead letters; hasMore says more wait behind them (act on these, or narrow by queue). */
export async function listOrgDeadLetters(
  scope: Scope,
  query: ListDeadLetters,
): Promise<{ data: DeadLetterItem[]; hasMore: boolean }> {
  const rows = await listDeadLetters({
    orgId: scope.user.orgId,
    queues: query.queue ? [query.queue] : ADMIN_QUEUES,
    limit: query.limit + 1,
  });
  return { data: rows.slice(0, query.limit).map(item), hasMore: rows.length > query.limit };
}

const gone = () => new AppError("not_found", "no such dead letter (it may have been replayed or dropped already)");

export async function replayOrgDeadLetter(scope: Scope, id: string): Promise<z.infer<typeof ZReplayed>> {
  const [r] = await replayDeadLetters(
    { orgId: scope.user.orgId, queues: ADMIN_QUEUES, id },
    { kind: "user", userId: scope.user.userId, requestId: scope.requestId },
  );
  if (r?.outcome === "failed") throw new Error(`replaying dead letter ${r.id} failed: ${r.reason}`);
  if (!r || r.outcome !== "replayed" || !r.jobId) throw gone();
  return { id: r.id, queue: r.queue as DeadLetterItem["queue"], jobId: r.jobId };
}

export async function dropOrgDeadLetter(scope: Scope, id: string): Promise<void> {
  const [r] = await dropDeadLetters(
    { orgId: scope.user.orgId, queues: ADMIN_QUEUES, id },
    { kind: "user", userId: scope.user.userId, requestId: scope.requestId },
  );
  if (r?.outcome === "failed") throw new Error(`dropping dead letter ${r.id} failed: ${r.reason}`);
  if (!r || r.outcome !== "dropped") throw gone();
}
