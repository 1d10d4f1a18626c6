import "server-only";
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import tar from "tar-stream";
import type { ImportReport, ImportCounts } from "../../db/schema/imports";
import type { Tx } from "../../db/tenant";
import { AppError } from "../../core/errors";
import { withTenant } from "../../db/tenant";
import type { BatchContext, BatchRecord } from "../batch";
import type { FetchedFile } from "../fetch-attachment";
import { mappedIds } from "../id-map";
import {
  commitBatch,
  commitOrSplit,
  finishImport,
  loadImport,
  markRunning,
  Tally,
  type ImportRunOptions,
  type ImportRunResult,
} from "../import-run";
import type { SourceRecord } from "../read-records";
import { compareTicketSample } from "../ticket-sample";
import { discardUnusedFiles } from "../ticket-files";
import { ArchiveChain } from "./archive-chain";
import { storeArchiveFile } from "./store-file";
import {
  writeCustomerNotes,
  writeCustomerOrgs,
  writeGroupMembers,
  writeGroups,
  writeTicketFields,
  writeUserCompanies,
  writeUsers,
} from "./write-people";
import { writeTickets } from "./write-tickets";
import {
  writeAttachments,
  writeComments,
  writeCsatRatings,
  writeMessageIds,
  writeSlaEvents,
  writeTicketLinks,
  writeTicketMerges,
} from "./write-conversation";

type Writer = (tx: Tx, ctx: BatchContext, recs: BatchRecord[]) => Promise<void>;

/** Each section of the archive (docs/export-format.md): the record type the report counts it as, and its writer. */
const SECTIONS: Record<string, { type: string; write: Writer | null }> = {
  users: { type: "user", write: writeUsers },
  customer_orgs: { type: "customer_org", write: writeCustomerOrgs },
  user_companies: { type: "user_company", write: writeUserCompanies },
  customer_notes: { type: "customer_note", write: writeCustomerNotes },
  groups: { type: "group", write: writeGroups },
  group_members: { type: "group_member", write: writeGroupMembers },
  ticket_fields: { type: "ticket_field", write: writeTicketFields },
  tickets: { type: "ticket", write: writeTickets },
  ticket_merges: { type: "ticket_merge", write: writeTicketMerges },
  ticket_links: { type: "ticket_link", write: writeTicketLinks },
  comments: { type: "comment", write: writeComments },
  email_message_ids: { type: "message_id", write: writeMessageIds },
  attachments: { type: "attachment", write: writeAttachments },
  sla_events: { type: "sla_event", write: writeSlaEvents },
  csat_ratings: { type: "csat_rating", write: writeCsatRatings },
  // The source's chain is checked, not copied: this org's own chain records the import.
  audit_events: { type: "audit_event", write: null },
};

const FORMAT = "beacon-org-export";
const KNOWN_VERSION = 1;
const MAX_JSON_MEMBER = 1024 * 1024;
const INCOMPLETE =
  "the archive ends before summary.json: it is incomplete (finish it with npm run export -- full … --resume, then resume this import)";
const MEMBER = /^([a-z_]+)\/\d{6}\.ndjson$/;

type Unit = {
  key: string;
  section: string;
  recs: SourceRecord[];
  files: Map<string, FetchedFile>;
  want: Set<string>;
  done: boolean;
};

/**
 * Reads a Beacon org export (a tar archive, docs/export-format.md) back into an org, streaming:
 * each NDJSON member is one committed batch with its own checkpoint (keyed by the member's name),
 * an attachments batch is committed with the files that follow it (stored through the upload rules
 * first), and the id map makes a rerun, or an import of the same archive again, write nothing twice.
 * The source's audit chain is recomputed while reading and checked against the archive's proof.
 */
export async function runBeaconImport(opts: ImportRunOptions): Promise<ImportRunResult> {
  const { orgId, importId } = opts;
  const imp = await loadImport(orgId, importId);
  if (imp.sourceKind !== "beacon")
    throw new AppError("validation_failed", `import ${importId} is a ${imp.sourceKind} import`);
  if (imp.state === "failed") await markRunning(orgId, importId);
  let counts: ImportCounts = imp.counts;
  let report: ImportReport = imp.report;
  let batches = 0;
  const ignored: string[] = [];
  const space = { orgId, sourceKind: "beacon" as const, importId };
  const actor = { orgId, actorId: imp.createdBy, requestId: `import-${importId}` };
  let chain: ArchiveChain | null = null;
  let summary: { audit?: Record<string, unknown> } | null = null;
  let unit: Unit | null = null;

  const commit = async (
    key: string,
    type: string,
    write: Writer | null,
    recs: SourceRecord[],
    files?: Map<string, FetchedFile>,
  ) => {
    const from = imp.checkpoint.files[key] ?? 0;
    const todo = recs.filter((r) => r.index >= from);
    if (!todo.length) return;
    const attempt = async (part: SourceRecord[], a: number, b: number, failed?: string) => {
      const tally = new Tally(counts, report);
      const good: BatchRecord[] = [];
      for (const r of part) {
        tally.source(type);
        const at = { sourceId: "error" in r ? null : idOf(r.value), file: key, record: r.index };
        if ("error" in r) tally.skip(type, at, "not valid JSON", r.error);
        else if (failed) tally.skip(type, at, "could not be written", failed);
        else if (!write) tally.skip(type, at, "checked, not copied: this org's own audit chain records the import");
        else good.push(r);
      }
      await commitBatch(orgId, importId, { fileKey: key, from: a, to: b }, tally, (tx) =>
        good.length && write ? write(tx, { space, tally, actor, file: key, files }, good) : Promise.resolve(),
      );
      counts = tally.counts;
      report = tally.report;
    };
    const to = recs[recs.length - 1]!.index + 1;
    try {
      await commitOrSplit(todo, from, to, attempt);
    } finally {
      if (files) await discardUnusedFiles(orgId, files).catch(() => undefined);
    }
    batches++;
    opts.onProgress?.({ file: key, type, records: to, counts });
  };

  const finishUnit = async () => {
    if (!unit) return;
    const u = unit;
    unit = null;
    if (!u.done) await commit(u.key, "attachment", writeAttachments, u.recs, u.files);
  };
  const stopped = () => !!opts.maxBatches && batches >= opts.maxBatches;

  const extract = tar.extract();
  const input = createReadStream(opts.input);
  input.on("error", (err) => extract.destroy(err));
  let inputEnded = false;
  input.once("end", () => (inputEnded = true));
  input.pipe(extract);
  try {
    for await (const entry of extract) {
      const name = entry.header.name;
      const body = entry as unknown as Readable;
      if (unit && !name.startsWith("files/")) {
        await finishUnit();
        if (stopped()) return { finished: false, counts, report, ignoredFiles: ignored };
      }
      if (name === "manifest.json" || name === "summary.json") {
        const doc = await jsonMember(body, name);
        if (name === "summary.json") summary = doc as typeof summary;
        else {
          const m = doc as { format?: unknown; version?: unknown; org?: { id?: unknown } };
          if (m.format !== FORMAT)
            throw new AppError("validation_failed", "not a Beacon org export (manifest.json's format)");
          if (m.version !== KNOWN_VERSION)
            throw new AppError(
              "validation_failed",
              `export format version ${String(m.version)} is not one this Beacon reads (${KNOWN_VERSION})`,
            );
          chain = new ArchiveChain(String(m.org?.id ?? ""));
        }
        continue;
      }
      if (!chain)
        throw new AppError("validation_failed", "not a Beacon org export: it does not begin with manifest.json");
      const member = MEMBER.exec(name);
      const section = member ? SECTIONS[member[1]!] : undefined;
      if (section) {
        const recs = await ndjsonMember(body);
        if (member![1] === "audit_events") for (const r of recs) if (!("error" in r)) chain.add(r.value);
        if (member![1] === "attachments") {
          const want = new Set(
            recs.flatMap((r) => ("error" in r ? [] : [String((r.value as { file?: unknown }).file)])),
          );
          const done = (imp.checkpoint.files[name] ?? 0) >= recs.length;
          unit = { key: name, section: "attachments", recs, files: new Map(), want, done };
          continue;
        }
        await commit(name, section.type, section.write, recs);
        if (stopped()) return { finished: false, counts, report, ignoredFiles: ignored };
      } else if (name.startsWith("files/") && unit?.want.has(name)) {
        const attachmentId = name.slice("files/".length);
        const meta = unit.recs.find((r) => !("error" in r) && (r.value as { id?: unknown }).id === attachmentId);
        const known =
          unit.done || (await withTenant(orgId, (tx) => mappedIds(tx, space, "attachment", [attachmentId]))).size > 0;
        if (known || (entry.header as { pax?: Record<string, string> }).pax?.["BEACON.missing"] === "1")
          await drain(body);
        else {
          const filename = String(
            (meta && !("error" in meta) && (meta.value as { filename?: unknown }).filename) || "attachment",
          );
          unit.files.set(attachmentId, await storeArchiveFile(orgId, filename, body, entry.header.size ?? 0));
        }
      } else {
        await drain(body);
        ignored.push(name);
      }
    }
    await finishUnit();
  } catch (err) {
    // A file cut off mid-member (an export that was interrupted): what came before it is committed.
    if (inputEnded && err instanceof Error && /unexpected end of data|stream was destroyed/i.test(err.message))
      throw new AppError("validation_failed", INCOMPLETE);
    throw err;
  } finally {
    input.destroy();
  }
  if (!chain) throw new AppError("validation_failed", "not a Beacon org export: no manifest.json");
  if (!summary) throw new AppError("validation_failed", INCOMPLETE);
  const verdict = (chain as ArchiveChain).check((summary as { audit?: Record<string, unknown> }).audit);
  // The verdict is noted once: its own checkpoint entry makes a rerun of a finished import skip it.
  if (!imp.checkpoint.files["summary.json"]) {
    const tally = new Tally(counts, report);
    tally.note(
      "audit_event",
      verdict === "verified" ? "the archive's audit chain verified against its proof" : verdict,
    );
    await commitBatch(orgId, importId, { fileKey: "summary.json", from: 0, to: 1 }, tally, () => Promise.resolve());
    counts = tally.counts;
    report = tally.report;
  }
  report = { ...report, ticketSample: await compareTicketSample(orgId, report) };
  await finishImport(orgId, importId, "done", null, report);
  return { finished: true, counts, report, ignoredFiles: ignored };
}

const idOf = (v: unknown): string | null => {
  const x = v as { id?: unknown; ticket_id?: unknown; message_id?: unknown; seq?: unknown };
  for (const k of [x?.id, x?.ticket_id, x?.message_id, x?.seq])
    if (typeof k === "string" || typeof k === "number") return String(k);
  return null;
};

async function jsonMember(body: Readable, name: string): Promise<unknown> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_JSON_MEMBER) throw new AppError("validation_failed", `${name} is larger than ${MAX_JSON_MEMBER} bytes`);
    chunks.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    throw new AppError("validation_failed", `${name} is not JSON`);
  }
}

/** A member's lines (one export batch: bounded by the exporter's batch size); a line that is not JSON is a record with an error. */
async function ndjsonMember(body: Readable): Promise<SourceRecord[]> {
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) chunks.push(c);
  const out: SourceRecord[] = [];
  let index = 0;
  for (const line of Buffer.concat(chunks).toString("utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push({ index, value: JSON.parse(line) as unknown });
    } catch {
      out.push({ index, error: "the line is not JSON" });
    }
    index++;
  }
  return out;
}

async function drain(body: Readable): Promise<void> {
  for await (const c of body as AsyncIterable<Buffer>) void c;
}
