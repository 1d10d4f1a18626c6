// npm run export -- full --org <slug> --out <file.tar> [--resume]
// Writes the whole org as a tar archive (docs/export-format.md): users, customer organizations,
// groups, custom fields, tickets, comments, attachments with their bytes, SLA events, CSAT
// ratings and the audit chain with its verify proof. Streamed: memory is one batch.
// Interrupted (Ctrl-C, kill -9, a lost connection), the same command with --resume cuts the file
// after its last complete unit and appends the rest, continuing from that member's cursor.
// Read it back with: npm run import -- beacon <file.tar> --org <slug>
// Exit codes: 0 done, 1 failure, 2 usage, 3 no such org.
import { createWriteStream, statSync, truncateSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { sql } from "drizzle-orm";
import { boot } from "./lib/boot";
import { parseCli, usageError } from "./lib/cli";
import { recordAudit } from "../src/server/audit/record-audit";
import { closeDb } from "../src/server/db/client";
import { unsafeWithSystem, withTenant } from "../src/server/db/tenant";
import { decodeArchiveCursor } from "../src/server/export/full/archive-cursor";
import { fullExportStream } from "../src/server/export/full/full-export-stream";
import { resumePoint } from "../src/server/export/full/resume-point";

/** Nothing to do: not an error. */
class Done extends Error {}

const USAGE = "Usage: npm run export -- full --org <slug> --out <file.tar> [--resume]";
const parsed = parseCli(USAGE, {
  options: {
    org: { type: "string" },
    out: { type: "string" },
    resume: { type: "boolean", default: false },
  },
  strict: true,
  allowPositionals: true,
});
const [what, ...extra] = parsed.positionals;
if (what !== "full") usageError(USAGE, what ? `unknown export: ${what} (supported: full)` : "say what to export: full");
if (extra.length) usageError(USAGE, `unexpected: ${extra.join(" ")}`);
if (!parsed.values.org) usageError(USAGE, "--org is required");
if (!parsed.values.out) usageError(USAGE, "--out is required");
const out = parsed.values.out!;
if (parsed.values.resume && !statSync(out, { throwIfNoEntry: false }))
  usageError(USAGE, `--resume: no such file: ${out}`);

const booted = await boot({ quiet: true });
let code = 0;
try {
  const found = await unsafeWithSystem((tx) =>
    tx.execute<{ id: string }>(sql`select id from orgs where lower(slug) = lower(${parsed.values.org!})`),
  );
  const orgId = found.rows[0]?.id;
  if (!orgId) {
    console.error(`no org with slug ${parsed.values.org}`);
    code = 3;
  } else {
    let from: { offset: number; cursor: string | null } = { offset: 0, cursor: null };
    if (parsed.values.resume) {
      const point = await resumePoint(out);
      if (point.complete) {
        console.error(`${out} is a complete archive: nothing to resume`);
        throw new Done();
      }
      from = point;
    }
    const cursor = from.cursor ? decodeArchiveCursor(orgId, from.cursor) : undefined;
    await withTenant(orgId, (tx) =>
      recordAudit(
        tx,
        { orgId, actorId: null, requestId: "cli-export" },
        {
          action: "export.started",
          entityType: "org",
          entityId: orgId,
          data: { kind: "full", resumed: cursor !== undefined, via: "cli" },
        },
      ),
    );
    if (cursor) {
      truncateSync(out, from.offset);
      console.error(`resuming ${out} after byte ${from.offset}`);
    }
    const body = fullExportStream(orgId, { cursor, requestId: "cli-export" });
    await pipeline(
      Readable.fromWeb(body as WebReadableStream<Uint8Array>),
      createWriteStream(out, { flags: cursor ? "r+" : "w", start: cursor ? from.offset : 0 }),
    );
    console.error(`wrote ${out} (${statSync(out).size} bytes)`);
  }
} catch (err) {
  if (!(err instanceof Done)) {
    console.error(`export: ${err instanceof Error ? err.message : String(err)}`);
    console.error(`continue with: npm run export -- full --org ${parsed.values.org} --out ${out} --resume`);
    code = 1;
  }
} finally {
  await closeDb();
  await booted.shutdown();
}
process.exit(code);
