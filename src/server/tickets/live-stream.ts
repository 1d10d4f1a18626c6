import "server-only";
import { z } from "zod";
import type { Scope } from "../core/scope";
import { AppError } from "../core/errors";
import { isStaff } from "../authz/permissions";
import { loadVisibleTicket } from "../ticket-model/load-ticket";
import { announceTyping, liveStream } from "../live/stream";

export const ZLiveQuery = z.strictObject({ ticket: z.uuid({ message: "must be a UUID" }).optional() });
export const ZTypingBody = z.strictObject({ ticketId: z.uuid({ message: "must be a UUID" }), typing: z.boolean() });

/**
 * GET /api/live: the caller's live stream (decision 052). With `ticket`, that ticket (which the
 * caller must be able to see, else 404 as for GET /tickets/{id}); without, every ticket of the org
 * (the list page), staff only.
 */
export async function openLiveStream(
  scope: Scope,
  query: z.infer<typeof ZLiveQuery>,
  signal: AbortSignal,
): Promise<Response> {
  if (query.ticket) await loadVisibleTicket(scope.tx, scope.user, query.ticket);
  else if (!isStaff(scope.user))
    throw new AppError("forbidden", "customers listen to one of their tickets: give ?ticket=");
  return liveStream({ user: scope.user, ticketId: query.ticket ?? null, signal });
}

/** POST /api/live/typing: an agent started or stopped typing a reply on a ticket they can see. */
export async function setTyping(scope: Scope, body: z.infer<typeof ZTypingBody>): Promise<void> {
  await loadVisibleTicket(scope.tx, scope.user, body.ticketId);
  await announceTyping(scope.user, body.ticketId, body.typing);
}
