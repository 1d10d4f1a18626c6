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
  const { at, ...rest } = e;
  return storedEventHash(prevHash, { ...rest, atIso: at.toISOString() });
}

/** An event as verification reads it back: nulls, never undefined, and `at` already as toISOString() text. */
export type StoredEvent = Omit<ChainedEvent, "at" | "actorId" | "entityId" | "requestId"> & {
  actorId: string | null;
  entityId: string | null;
  requestId: string | null;
  atIso: string;
};

/**
 * The hash over an event whose `at` is already toISOString() text (verification reads it so).
 * Verification runs it for every event of a chain, so the event's own keys are written in their
 * sorted order by hand — the same bytes canonicalJson gives for the whole object, which a property
 * test holds — and only `data` is canonicalized generically.
 */
export function storedEventHash(prevHash: string, e: StoredEvent): string {
  const body =
    `{"action":${JSON.stringify(e.action)},"actorId":${JSON.stringify(e.actorId)},"at":${JSON.stringify(e.atIso)}` +
    `,"data":${canonicalJson(e.data)},"entityId":${JSON.stringify(e.entityId)},"entityType":${JSON.stringify(e.entityType)}` +
    `,"orgId":${JSON.stringify(e.orgId)},"requestId":${JSON.stringify(e.requestId)},"seq":${JSON.stringify(e.seq)}}`;
  return createHash("sha256").update(prevHash).update(body).digest("hex");
}
