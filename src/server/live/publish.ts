import "server-only";
import { afterCommit } from "../db/after-commit";
import { logger } from "../observability/logger";
import { liveHub } from "./hub";

/** Audit actions on a ticket that customers must not hear of (staff-only changes). */
const STAFF_ONLY = new Set(["ticket.note_added"]);

/**
 * Tells the org's open pages that a ticket changed, once the transaction commits (a page that
 * reloads on the message then reads the change). Called for every audited ticket change.
 */
export function publishTicketChange(
  tx: object,
  actor: { orgId: string; actorId: string | null },
  ticketId: string,
  action: string,
  data?: Record<string, unknown>,
): void {
  const internal = STAFF_ONLY.has(action) || data?.internal === true;
  afterCommit(tx, () => {
    liveHub()
      .publish(actor.orgId, { type: "ticket", ticketId, action, actorId: actor.actorId, internal })
      .catch((err: unknown) => logger().warn({ err: (err as Error).message }, "live publish failed"));
  });
}
