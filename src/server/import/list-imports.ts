import "server-only";
import { and, desc, eq, sql } from "drizzle-orm";
import type { Scope } from "../core/scope";
import { assertCan } from "../authz/permissions";
import { decodeCursor, isKeyCursor, keysetPage, type KeyCursor } from "../core/cursor";
import type { ListPage } from "../core/list-page";
import { notFound } from "../core/errors";
import { imports } from "../db/schema/imports";
import { formatCheckReport } from "./check-report";
import { toImportView } from "./import-view";
import type { ImportReportView, ImportView } from "./schemas";

const keysetBefore = (c: KeyCursor) =>
  sql`(${imports.createdAt}, ${imports.id}) < (${c.v}::timestamptz, ${c.id}::uuid)`;

/** The org's imports, newest first (uploads and the operator's CLI runs alike). */
export async function listImports(
  scope: Scope,
  page: ListPage,
): Promise<{ data: ImportView[]; nextCursor: string | null }> {
  assertCan(scope.user, "org.admin");
  const rows = await scope.tx
    .select({ i: imports, v: sql<string>`${imports.createdAt}::text` })
    .from(imports)
    .where(
      and(
        eq(imports.orgId, scope.user.orgId),
        page.cursor ? keysetBefore(decodeCursor("imports", page.cursor, isKeyCursor)) : undefined,
      ),
    )
    .orderBy(desc(imports.createdAt), desc(imports.id))
    .limit(page.limit + 1);
  const { rows: pageRows, nextCursor } = keysetPage("imports", rows, page.limit, (last) => ({
    v: last.v,
    id: last.i.id,
  }));
  return { data: pageRows.map((r) => toImportView(r.i)), nextCursor };
}

async function loadOwn(scope: Scope, id: string) {
  assertCan(scope.user, "org.admin");
  const [row] = await scope.tx
    .select()
    .from(imports)
    .where(and(eq(imports.orgId, scope.user.orgId), eq(imports.id, id)));
  if (!row) throw notFound("import");
  return row;
}

export async function getImport(scope: Scope, id: string): Promise<ImportView> {
  return toImportView(await loadOwn(scope, id));
}

/** The check report as JSON, or (format text) as the text the CLI prints, for download. */
export async function getImportReport(
  scope: Scope,
  id: string,
  format: "json" | "text" = "json",
): Promise<ImportReportView | Response> {
  const row = await loadOwn(scope, id);
  if (format === "text") {
    const text = `import ${row.id} ${row.state}\n${formatCheckReport(row.counts, row.report)}\n`;
    return new Response(text, {
      status: 200,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "content-disposition": `attachment; filename="import-${row.id}-report.txt"`,
      },
    });
  }
  return {
    importId: row.id,
    state: row.state,
    counts: row.counts,
    skippedSample: row.report.skippedSample ?? [],
    ticketSample: row.report.ticketSample ?? [],
  };
}
