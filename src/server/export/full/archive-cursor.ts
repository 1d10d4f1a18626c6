import "server-only";
import { decodeCursor, encodeCursor } from "../../core/cursor";
import type { ChainWalk } from "../../audit/chain";
import { SECTIONS } from "./sections";

/** The archive format this code writes (docs/export-format.md); a reader refuses a major version it does not know. */
export const ARCHIVE_FORMAT = "beacon-org-export";
export const ARCHIVE_VERSION = 1;
/** The pax header key that carries, on a member that ends a unit, the cursor to continue after it. */
export const CURSOR_PAX_KEY = "BEACON.cursor";

/** The audit chain as verified so far: the last hash, how many events followed their predecessor, where it first broke. */
/** How far the export has verified the org's chain (the proof the archive ends with). */
export type ChainProof = ChainWalk;

/**
 * Where an export stands after a completed member: the section and the last row's keys written,
 * the next part number, what each section has written, the audit chain's bound and proof so far,
 * and when the export began (the manifest's createdAt, kept so a resumed archive says one time).
 */
export type ArchiveCursor = {
  k: "export-full";
  v: number;
  createdAt: string;
  section: number;
  after: string[] | null;
  part: number;
  counts: Record<string, number>;
  auditUpTo: number;
  chain: ChainProof;
  /** Rows a batch when the export overrode the sections' own sizes: kept so a resumed archive has the same members. */
  batchSize: number | null;
};

const isCursor = (c: unknown): c is ArchiveCursor => {
  const x = c as ArchiveCursor;
  return (
    typeof x === "object" &&
    x !== null &&
    x.k === "export-full" &&
    x.v === ARCHIVE_VERSION &&
    typeof x.createdAt === "string" &&
    Number.isInteger(x.section) &&
    x.section >= 0 &&
    x.section <= SECTIONS.length &&
    (x.after === null || (Array.isArray(x.after) && x.after.every((a) => typeof a === "string"))) &&
    Number.isInteger(x.part) &&
    typeof x.counts === "object" &&
    x.counts !== null &&
    Number.isInteger(x.auditUpTo) &&
    typeof x.chain === "object" &&
    x.chain !== null &&
    typeof x.chain.prev === "string" &&
    (x.batchSize === null || (Number.isInteger(x.batchSize) && x.batchSize >= 1 && x.batchSize <= 10_000))
  );
};

/** Signed and bound to the org: a cursor of one org's export is refused for another's. */
export const encodeArchiveCursor = (orgId: string, c: ArchiveCursor) => encodeCursor("export-full", c, { org: orgId });
export const decodeArchiveCursor = (orgId: string, s: string) =>
  decodeCursor("export-full", s, isCursor, { org: orgId });
