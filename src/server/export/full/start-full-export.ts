import "server-only";
import { z } from "zod";
import { recordAudit } from "../../audit/record-audit";
import { auditActor } from "../../authz/actor";
import type { Scope } from "../../core/scope";
import { consumeExportBudget } from "../export-limit";
import { decodeArchiveCursor } from "./archive-cursor";
import { fullExportStream } from "./full-export-stream";

export const ZFullExportQuery = z.strictObject({
  /** The cursor from the pax header of the last complete member of an interrupted archive (docs/export-format.md). */
  cursor: z.string().min(1).max(4096).optional(),
});
export type FullExportQuery = z.infer<typeof ZFullExportQuery>;

/**
 * GET /export/full (admin): the whole org as a tar archive, or, with a cursor, the rest of an
 * interrupted one. The cursor is checked (signed, this org's) before anything is recorded, so a bad
 * one is a 400 that changes nothing; export.started is written in the request's transaction and
 * the stream reads after it commits, each batch in a transaction of its own.
 */
export async function startFullExport(scope: Scope, query: FullExportQuery): Promise<Response> {
  const orgId = scope.user.orgId;
  const cursor = query.cursor ? decodeArchiveCursor(orgId, query.cursor) : undefined;
  await consumeExportBudget(scope.user);
  await recordAudit(scope.tx, auditActor(scope), {
    action: "export.started",
    entityType: "org",
    entityId: orgId,
    data: { kind: "full", resumed: cursor !== undefined },
  });
  const body = fullExportStream(orgId, { cursor, requestId: scope.requestId });
  const date = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": "application/x-tar",
      "Content-Disposition": `attachment; filename="org-export-${date}${cursor ? "-continued" : ""}.tar"`,
      "X-Content-Type-Options": "nosniff",
    },
  });
}
