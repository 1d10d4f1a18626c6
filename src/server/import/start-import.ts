import "server-only";
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../core/errors";
import type { ApiRequest } from "../core/api-request";
import type { Scope, StreamScope } from "../core/scope";
import { assertCan } from "../authz/permissions";
import { auditActor } from "../authz/actor";
import { recordAudit } from "../audit/record-audit";
import { storage } from "../attachments/configured-storage";
import { newImportInputKey } from "../attachments/storage";
import { imports, type ImportSourceKind } from "../db/schema/imports";
import { env } from "../env";
import { enqueue } from "../jobs/enqueue";
import { QUEUES } from "../jobs/queues";
import { logger } from "../observability/logger";
import { one } from "../core/one";
import { RUNNABLE_SOURCE_KINDS } from "./run-import";
import { validateCsvImport } from "./csv/import-csv";
import { toImportView } from "./import-view";
import type { ImportView } from "./schemas";
import { receiveExport } from "./upload/receive-export";
import { inspectZip, looksLikeZip, ZIP_MAX_ENTRIES } from "./upload/zip";
import { importWorkRoot } from "./work-dir";

/** What each source kind's runner reads: a folder (uploaded as a .zip) or one file of these types. */
const ACCEPTS: Record<ImportSourceKind, { zip: boolean; file: RegExp; what: string }> = {
  zendesk: {
    zip: true,
    file: /\.(json|ndjson|jsonl)$/i,
    what: "a .zip of the export folder, or one .json, .ndjson or .jsonl file",
  },
  freshdesk: {
    zip: true,
    file: /\.(json|ndjson|jsonl)$/i,
    what: "a .zip of the export folder, or one .json, .ndjson or .jsonl file",
  },
  csv: { zip: false, file: /\.csv$/i, what: "one .csv file" },
  beacon: { zip: false, file: /\.tar$/i, what: "the .tar archive of a Beacon full export" },
};

const bad = (message: string, path: string) =>
  new AppError("validation_failed", message, { issues: [{ in: "body", path, message }] });

/** POST /imports, first step, in the admitting transaction: only an admin may import (before a byte is read). */
export async function authorizeImport(scope: Scope): Promise<void> {
  assertCan(scope.user, "org.admin");
}

function sourceKindOf(value: string | undefined): ImportSourceKind {
  const kinds = RUNNABLE_SOURCE_KINDS.join(", ");
  if (value === undefined) throw bad(`source is required (one of ${kinds})`, "source");
  if (!(RUNNABLE_SOURCE_KINDS as string[]).includes(value))
    throw bad(`source must be one of ${kinds} (got "${value.slice(0, 50)}")`, "source");
  return value as ImportSourceKind;
}

function optionsOf(value: string | undefined): Record<string, unknown> {
  if (value === undefined || value.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw bad("options must be a JSON object", "options");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw bad("options must be a JSON object", "options");
  return parsed as Record<string, unknown>;
}

/**
 * POST /imports, second step, with no transaction open: the upload streams to a local spool file
 * (the zip check needs the whole file), is checked (source kind, options, a file that is there and
 * that the kind's runner reads, a zip's entries, a CSV's mapping against its header), then stored under `imports/<org>/<uuid>`, and only then recorded: the import
 * row in state `queued` and its first job, in one short transaction. A refused upload leaves
 * nothing: no row, no job, no stored bytes (removed again on any failure after the put).
 */
export async function startImport(scope: StreamScope, upload: ApiRequest): Promise<ImportView> {
  const e = env();
  const spoolDir = path.join(importWorkRoot(), "spool");
  await mkdir(spoolDir, { recursive: true, mode: 0o700 });
  const spool = path.join(spoolDir, `${randomUUID()}.upload`);
  const store = storage();
  const key = newImportInputKey(scope.user.orgId);
  let stored = false;
  try {
    const { file, fields } = await receiveExport(upload, { maxBytes: e.IMPORT_MAX_BYTES, spool });
    const sourceKind = sourceKindOf(fields.source);
    const options = optionsOf(fields.options);
    if (!file) throw bad("send the export in a multipart field named file", "file");
    if (file.size === 0) throw bad("the file is empty", "file");
    const accepts = ACCEPTS[sourceKind];
    const zip = looksLikeZip(file.head);
    if (zip ? !accepts.zip : !accepts.file.test(file.filename))
      throw new AppError("unsupported_media_type", `a ${sourceKind} import takes ${accepts.what}`);
    if (zip) await inspectZip(spool, { maxEntries: ZIP_MAX_ENTRIES, maxUnzippedBytes: e.IMPORT_MAX_UNZIPPED_BYTES });
    // A CSV's mapping is checked against the file's header now, not when the job first reads it.
    if (sourceKind === "csv") await validateCsvImport(spool, options);
    await store.put(key, createReadStream(spool));
    stored = true;
    return await scope.withTx(async (txScope) => {
      const { tx, user } = txScope;
      const row = one(
        await tx
          .insert(imports)
          .values({
            orgId: user.orgId,
            sourceKind,
            state: "queued",
            source: file.filename,
            options,
            inputKey: key,
            inputBytes: file.size,
            createdBy: user.userId,
          })
          .returning(),
      );
      await enqueue(tx, QUEUES.importRun.name, { orgId: user.orgId, importId: row.id });
      await recordAudit(tx, auditActor(txScope), {
        action: "import.queued",
        entityType: "import",
        entityId: row.id,
        data: { sourceKind, source: row.source, inputBytes: file.size },
      });
      return toImportView(row);
    });
  } catch (err) {
    if (stored)
      await store
        .delete(key)
        .catch((e: unknown) =>
          logger().error(
            { requestId: scope.requestId, key, err: String(e) },
            "could not remove a refused import upload",
          ),
        );
    throw err;
  } finally {
    await rm(spool, { force: true });
  }
}
