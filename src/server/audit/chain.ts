import { createHash } from "node:crypto";
import { canonicalJson } from "../../lib/canonical-json";

export const GENESIS_HASH = "0".repeat(64);

/** The fields of an audit event that its hash covers. */
export type ChainedEvent = {
  orgId: string;
  seq: number;
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string | null;
  data: Record<string, unknown>;
  requestId: string | null;
  at: Date;
};

/** hash = sha256(prevHash ‖ canonical JSON of the event). */
export function eventHash(prevHash: string, e: ChainedEvent): string {
  const body = canonicalJson({
    orgId: e.orgId,
    seq: e.seq,
    actorId: e.actorId,
    action: e.action,
    entityType: e.entityType,
    entityId: e.entityId,
    data: e.data,
    requestId: e.requestId,
    at: e.at.toISOString(),
  });
  return createHash("sha256").update(prevHash).update(body).digest("hex");
}
