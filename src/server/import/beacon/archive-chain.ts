import { GENESIS_HASH, storedEventHash } from "../../audit/chain";
import { ZAuditRow } from "./rows";

/** The source org's audit chain, recomputed from the archive's events as they are read (constant memory). */
export class ArchiveChain {
  private prev = GENESIS_HASH;
  private last = 0;
  private broken: number | null = null;
  events = 0;

  constructor(private readonly orgId: string) {}

  add(value: unknown): void {
    this.events++;
    const r = ZAuditRow.safeParse(value);
    if (!r.success) {
      this.broken ??= this.last + 1;
      return;
    }
    const e = r.data;
    const hash = storedEventHash(this.prev, {
      orgId: this.orgId,
      seq: e.seq,
      actorId: e.actor_id,
      action: e.action,
      entityType: e.entity_type,
      entityId: e.entity_id,
      data: e.data,
      requestId: e.request_id,
      atIso: e.at,
    });
    if (this.broken === null && (e.seq !== this.last + 1 || e.prev_hash !== this.prev || e.hash !== hash))
      this.broken = e.seq;
    this.prev = e.hash;
    this.last = e.seq;
  }

  /** Whether the recomputed chain is whole and ends where the archive's proof says it does. */
  check(proof: { events?: unknown; headHash?: unknown; verified?: unknown } | undefined): string {
    if (!proof) return "the archive has no audit proof";
    if (this.broken !== null) return `the archive's audit chain breaks at event ${this.broken}`;
    if (proof.events !== this.events)
      return `the proof says ${String(proof.events)} events, the archive has ${this.events}`;
    if (this.events && proof.headHash !== this.prev)
      return "the archive's audit chain does not end at the proof's head hash";
    if (proof.verified !== true) return "the chain was not verified when it was exported";
    return "verified";
  }
}
