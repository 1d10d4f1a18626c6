import { CHAIN_START, walkEvent, type ChainWalk } from "../../audit/chain";
import { ZAuditRow } from "./rows";

/** The source org's audit chain, recomputed from the archive's events as they are read (constant memory). */
export class ArchiveChain {
  private walk: ChainWalk = CHAIN_START;
  events = 0;

  constructor(private readonly orgId: string) {}

  add(value: unknown): void {
    this.events++;
    const r = ZAuditRow.safeParse(value);
    // A row that is not an event breaks the chain where it stands.
    if (!r.success) this.walk = { ...this.walk, broken: this.walk.broken ?? this.walk.last + 1 };
    else this.walk = walkEvent(this.orgId, this.walk, r.data);
  }

  /** Whether the recomputed chain is whole and ends where the archive's proof says it does. */
  check(proof: { events?: unknown; headHash?: unknown; verified?: unknown } | undefined): string {
    if (!proof) return "the archive has no audit proof";
    if (this.walk.broken !== null) return `the archive's audit chain breaks at event ${this.walk.broken}`;
    if (proof.events !== this.events)
      return `the proof says ${String(proof.events)} events, the archive has ${this.events}`;
    if (this.events && proof.headHash !== this.walk.prev)
      return "the archive's audit chain does not end at the proof's head hash";
    if (proof.verified !== true) return "the chain was not verified when it was exported";
    return "verified";
  }
}
