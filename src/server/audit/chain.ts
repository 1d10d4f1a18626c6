import { hash as oneShotHash } from "node:crypto";
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
  const { data, ...rest } = e;
  return canonicalEventHash(prevHash, { ...rest, dataJson: canonicalJson(data) });
}

/**
 * storedEventHash for an event whose `data` is already canonical JSON text (verification makes it
 * from the stored jsonb text with canonicalJsonFromText, without building the object).
 */
export function canonicalEventHash(prevHash: string, e: Omit<StoredEvent, "data"> & { dataJson: string }): string {
  const body =
    `{"action":${JSON.stringify(e.action)},"actorId":${JSON.stringify(e.actorId)},"at":${JSON.stringify(e.atIso)}` +
    `,"data":${e.dataJson},"entityId":${JSON.stringify(e.entityId)},"entityType":${JSON.stringify(e.entityType)}` +
    `,"orgId":${JSON.stringify(e.orgId)},"requestId":${JSON.stringify(e.requestId)},"seq":${JSON.stringify(e.seq)}}`;
  // sha256 over the UTF-8 of prevHash then body, in one call (no Hash object per event).
  return oneShotHash("sha256", prevHash + body, "hex");
}

/** An audit event as verification reads it and the full export writes it: audit_events' columns, `at` as ISO text. */
export type ArchivedEvent = {
  seq: number;
  actor_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  data: Record<string, unknown>;
  request_id: string | null;
  prev_hash: string;
  hash: string;
  at: string;
};

/** A walk along an org's chain: the last hash and seq seen, the events checked before the first break, that break. */
export type ChainWalk = { prev: string; last: number; checked: number; broken: number | null };
export const CHAIN_START: ChainWalk = { prev: GENESIS_HASH, last: 0, checked: 0, broken: null };

/**
 * One event onto a walk, checked as verifyChain checks the stored chain: its seq follows the last,
 * its prev_hash is the last hash, and its hash is recomputed. After the first break nothing more is
 * hashed; the walk still follows the events, so it ends on the last one's hash and seq.
 */
export function walkEvent(orgId: string, w: ChainWalk, e: ArchivedEvent): ChainWalk {
  let { checked, broken } = w;
  if (broken === null) {
    const hash = storedEventHash(w.prev, {
      orgId,
      seq: e.seq,
      actorId: e.actor_id,
      action: e.action,
      entityType: e.entity_type,
      entityId: e.entity_id,
      data: e.data,
      requestId: e.request_id,
      atIso: e.at,
    });
    if (e.seq !== w.last + 1 || e.prev_hash !== w.prev || e.hash !== hash) broken = e.seq;
    else checked++;
  }
  return { prev: e.hash, last: e.seq, checked, broken };
}
