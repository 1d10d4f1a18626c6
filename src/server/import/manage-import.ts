import "server-only";
import { rm } from "node:fs/promises";
import { and, eq, sql } from "drizzle-orm";
import type { Scope } from "../core/scope";
import { AppError, notFound } from "../core/errors";
import { assertCan } from "../authz/permissions";
import { auditActor } from "../authz/actor";
import { recordAudit } from "../audit/record-audit";
import { storage } from "../attachments/configured-storage";
import { importIdMap, imports } from "../db/schema/imports";
import { toImportView } from "./import-view";
import type { ImportView } from "./schemas";
import { importWorkDir } from "./work-dir";

// Cancelling and deleting an import (issue 17, decision 062). Both lock the import's row first, so
// they are ordered with the job's own state changes and with each batch's commit (commitBatch locks
// the same row and reads the cancel flag there).

async function lockOwn(scope: Scope, id: string) {
  assertCan(scope.user, "org.admin");
  const [row] = await scope.tx
    .select()
    .from(imports)
    .where(and(eq(imports.orgId, scope.user.orgId), eq(imports.id, id)))
    .for("update");
  if (!row) throw notFound("import");
  return row;
}

/**
 * POST /imports/{id}/cancel. A running import is asked to stop: the flag is read by the next
 * batch's commit, which then writes nothing, and the run marks the import `cancelled` (the job then
 * removes its stored export and work directory). A queued import, or a failed one waiting for a
 * replay, is cancelled at once (nothing runs it; a job that comes later finds it cancelled and only
 * cleans up); a failed one's stored export is removed here. A done or cancelled import is a 409.
 * What was imported stays, in whole batches.
 */
export async function cancelImport(scope: Scope, id: string): Promise<ImportView> {
  const row = await lockOwn(scope, id);
  if (row.state === "done" || row.state === "cancelled")
    throw new AppError("conflict", `the import is ${row.state === "done" ? "done" : "cancelled"} already`);
  const now = new Date();
  const immediate = row.state !== "running";
  if (row.state === "failed" && row.inputKey) await storage().delete(row.inputKey);
  const [after] = await scope.tx
    .update(imports)
    .set({
      cancelRequestedAt: row.cancelRequestedAt ?? now,
      updatedAt: now,
      ...(immediate ? { state: "cancelled" as const, finishedAt: now } : {}),
      ...(row.state === "failed" ? { inputKey: null } : {}),
    })
    .where(and(eq(imports.orgId, scope.user.orgId), eq(imports.id, id)))
    .returning();
  if (row.state === "failed") await rm(importWorkDir(id), { recursive: true, force: true });
  // Asked twice while it stops: one event.
  if (!row.cancelRequestedAt)
    await recordAudit(scope.tx, auditActor(scope), {
      action: "import.cancelled",
      entityType: "import",
      entityId: id,
      data: { sourceKind: row.sourceKind, source: toImportView(row).source, state: row.state, immediate },
    });
  return toImportView(after!);
}

/**
 * DELETE /imports/{id}: the import's stored export, its work directory on this machine and its row
 * go; what it imported (tickets, people, companies) stays, and the id map keeps its rows (with the
 * import's id cleared) so a later import of the same export still writes nothing twice. A queued or
 * running import is a 409: cancel it first (a cancelled one stops at its next batch).
 */
export async function deleteImport(scope: Scope, id: string): Promise<void> {
  const row = await lockOwn(scope, id);
  if (row.state === "running" || row.state === "queued")
    throw new AppError(
      "conflict",
      row.cancelRequestedAt
        ? "the import is stopping: delete it once it is cancelled"
        : `the import is ${row.state}: cancel it first`,
    );
  // Bytes first: if the row's delete then fails, the import is still listed and can be deleted
  // again (a missing stored file is not an error); the other order could leave bytes no row names.
  if (row.inputKey) await storage().delete(row.inputKey);
  await rm(importWorkDir(id), { recursive: true, force: true });
  await scope.tx.execute(
    sql`update ${importIdMap} set import_id = null where org_id = ${scope.user.orgId} and import_id = ${id}`,
  );
  await scope.tx.delete(imports).where(and(eq(imports.orgId, scope.user.orgId), eq(imports.id, id)));
  await recordAudit(scope.tx, auditActor(scope), {
    action: "import.deleted",
    entityType: "import",
    entityId: id,
    data: { sourceKind: row.sourceKind, source: toImportView(row).source, state: row.state },
  });
}
