import "server-only";
import { once } from "node:events";
import type { Readable, Writable } from "node:stream";
import { sql } from "drizzle-orm";
import tar from "tar-stream";
import { storage } from "../../attachments/configured-storage";
import { StorageNotFound } from "../../attachments/storage";
import { CHAIN_START, walkEvent, type ArchivedEvent } from "../../audit/chain";
import { withTenant } from "../../db/tenant";
import { logger } from "../../observability/logger";
import {
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  CURSOR_PAX_KEY,
  encodeArchiveCursor,
  type ArchiveCursor,
  type ChainProof,
} from "./archive-cursor";
import { readSectionBatch, sectionCounts, SECTIONS, type SectionRow } from "./sections";

export const MISSING_PAX_KEY = "BEACON.missing";

type Member = { name: string; body: Buffer | (() => Promise<Readable>); size: number; cursor?: ArchiveCursor };

/** Batches read by every full export of this process (tests read it to see that a cancelled export stops). */
let batchesRead = 0;
export const fullExportBatchesRead = () => batchesRead;

/**
 * The whole org as a tar stream (docs/export-format.md): manifest.json, then each section's rows
 * as NDJSON members of one keyset batch each (each batch its own short tenant transaction), the
 * attachments' bytes as files after their batch, and summary.json with the counts and the audit
 * chain's proof. Memory is one batch (or one file's stream buffer) whatever the org's size: a
 * member is handed to the tar packer only when the consumer has taken the previous one.
 *
 * Every member that ends a unit carries, in its pax header, the signed cursor to continue after
 * it; given that cursor, the stream starts right after that member (no manifest), so a client
 * that keeps the archive up to that member's end and appends the new stream has the same archive.
 */
export function fullExportStream(
  orgId: string,
  opts: {
    cursor?: ArchiveCursor;
    requestId?: string;
    /** Rows a batch for every section (tests; the sections' own sizes otherwise); a cursor brings its own. */
    batchSize?: number;
  } = {},
): ReadableStream<Uint8Array> {
  const pack = tar.pack();
  let cancelled = false;
  let started = false;
  // A destroyed pack (a cancelled client, a file whose size is not what its row says) ends the producer too.
  const packClosed = new Promise<never>((_, reject) => {
    pack.once("close", () => reject(new Error("the archive stream closed")));
  });
  packClosed.catch(() => undefined);

  const put = async (m: Member): Promise<void> => {
    if (cancelled) throw new Error("export cancelled");
    const pax: Record<string, string> = {};
    if (m.cursor) pax[CURSOR_PAX_KEY] = encodeArchiveCursor(orgId, m.cursor);
    let body: Buffer | Readable;
    if (Buffer.isBuffer(m.body)) body = m.body;
    else {
      try {
        body = await m.body();
      } catch (err) {
        if (!(err instanceof StorageNotFound)) throw err;
        // The row names bytes storage no longer has: an empty member says so instead of ending the export.
        pax[MISSING_PAX_KEY] = "1";
        body = Buffer.alloc(0);
      }
    }
    const size = Buffer.isBuffer(body) ? body.byteLength : m.size;
    const header: tar.Headers & { pax?: Record<string, string> } = {
      name: m.name,
      type: "file",
      size,
      mode: 0o644,
      mtime: new Date(0),
    };
    if (Object.keys(pax).length) header.pax = pax;
    const written = new Promise<void>((resolve, reject) => {
      const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
      if (Buffer.isBuffer(body)) sink.end(body);
      else void copy(body, sink).catch((err: unknown) => sink.destroy(err as Error));
    });
    await Promise.race([written, packClosed]);
  };

  const produce = async (): Promise<void> => {
    let cur = opts.cursor ?? (await begin(orgId, put, opts.batchSize ?? null));
    for (; cur.section < SECTIONS.length; ) {
      const section = SECTIONS[cur.section]!;
      const limit = cur.batchSize ?? section.batch;
      batchesRead++;
      const rows = await withTenant(orgId, (tx) =>
        readSectionBatch(tx, orgId, section, cur.after, limit, cur.auditUpTo),
      );
      if (cancelled) return;
      if (!rows.length) {
        cur = { ...cur, section: cur.section + 1, after: null, part: 1 };
        continue;
      }
      const chain = section.name === "audit_events" ? verifyBatch(orgId, cur.chain, rows) : cur.chain;
      const done = rows.length < limit;
      const next: ArchiveCursor = {
        ...cur,
        section: done ? cur.section + 1 : cur.section,
        after: done ? null : rows[rows.length - 1]!.keys,
        part: done ? 1 : cur.part + 1,
        counts: { ...cur.counts, [section.name]: (cur.counts[section.name] ?? 0) + rows.length },
        chain,
      };
      const ndjson = Buffer.from(rows.map((r) => r.json + "\n").join(""), "utf8");
      const name = `${section.name}/${String(cur.part).padStart(6, "0")}.ndjson`;
      // A batch and its files are one unit: only the unit's last member carries the cursor.
      await put({ name, body: ndjson, size: ndjson.byteLength, cursor: section.files ? undefined : next });
      if (section.files)
        for (const [i, r] of rows.entries())
          await put({
            name: `files/${r.keys[0]}`,
            body: () => storage().get(r.storageKey!),
            size: r.sizeBytes!,
            cursor: i === rows.length - 1 ? next : undefined,
          });
      cur = next;
    }
    const summary = {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      orgId,
      createdAt: cur.createdAt,
      finishedAt: new Date().toISOString(),
      counts: Object.fromEntries(SECTIONS.map((s) => [s.name, cur.counts[s.name] ?? 0])),
      audit: auditProof(cur),
    };
    const body = Buffer.from(JSON.stringify(summary, null, 2) + "\n");
    await put({ name: "summary.json", body, size: body.byteLength });
    pack.finalize();
  };

  const it = pack[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // Reading begins with the first pull: after the request's transaction (export.started) has committed.
        if (!started) {
          started = true;
          produce().catch((err: unknown) => {
            if (!cancelled)
              logger().error(
                { requestId: opts.requestId, orgId, err: err instanceof Error ? err.message : String(err) },
                "full export failed mid-stream",
              );
            pack.destroy(err instanceof Error ? err : new Error(String(err)));
          });
        }
        try {
          const { value, done } = await it.next();
          if (done) controller.close();
          else controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        } catch (err) {
          controller.error(err);
        }
      },
      cancel() {
        cancelled = true;
        pack.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

/** Writes manifest.json and returns the cursor of the first section: the audit chain's bound is fixed here. */
async function begin(
  orgId: string,
  put: (m: Member) => Promise<void>,
  batchSize: number | null,
): Promise<ArchiveCursor> {
  const createdAt = new Date().toISOString();
  const { org, upTo, counts } = await withTenant(orgId, async (tx) => {
    const o = await tx.execute<{ id: string; slug: string; name: string }>(
      sql`select id, slug, name from orgs where id = ${orgId}`,
    );
    const head = await tx.execute<{ seq: string }>(
      sql`select coalesce(max(seq), 0)::text as seq from audit_events where org_id = ${orgId}`,
    );
    const upTo = Number(head.rows[0]!.seq);
    return { org: o.rows[0]!, upTo, counts: await sectionCounts(tx, orgId, upTo) };
  });
  const first: ArchiveCursor = {
    k: "export-full",
    v: ARCHIVE_VERSION,
    createdAt,
    section: 0,
    after: null,
    part: 1,
    counts: {},
    auditUpTo: upTo,
    chain: CHAIN_START,
    batchSize,
  };
  const manifest = {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    org,
    createdAt,
    sections: SECTIONS.map((s) => s.name),
    counts,
    audit: { upToSeq: upTo },
  };
  const body = Buffer.from(JSON.stringify(manifest, null, 2) + "\n");
  await put({ name: "manifest.json", body, size: body.byteLength, cursor: first });
  return first;
}

/** Extends the proof over a batch of audit events (walkEvent: as verifyChain walks the stored chain). */
function verifyBatch(orgId: string, proof: ChainProof, rows: SectionRow[]): ChainProof {
  return rows.reduce((w, r) => walkEvent(orgId, w, JSON.parse(r.json) as ArchivedEvent), proof);
}

function auditProof(cur: ArchiveCursor) {
  const events = cur.counts.audit_events ?? 0;
  return {
    events,
    headSeq: cur.chain.last,
    headHash: cur.chain.last ? cur.chain.prev : null,
    verified: cur.chain.broken === null && cur.chain.checked === events,
    checked: cur.chain.checked,
    firstBrokenSeq: cur.chain.broken,
  };
}

async function copy(from: Readable, to: Writable): Promise<void> {
  for await (const chunk of from as AsyncIterable<Buffer>) {
    if (!to.write(chunk)) await once(to, "drain");
  }
  to.end();
}
