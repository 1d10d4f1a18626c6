import "server-only";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Scope } from "../core/scope";
import { AppError, notFound } from "../core/errors";
import { tickets } from "../db/schema/tickets";
import { bulkJobs } from "../db/schema/workspace";
import { recordAudit } from "../audit/record-audit";
import { auditActor } from "../authz/actor";
import { assertCan } from "../authz/permissions";
import { enqueue } from "../jobs/enqueue";
import { QUEUES } from "../jobs/queues";
import { loadFieldDefs } from "../fields/custom-values";
import { ticketFilters } from "../tickets/list-tickets";
import { visibleTo } from "../authz/visibility";
import { getMacro } from "../automation/manage-macros";
import { parsedFilters } from "../views/manage-views";
import { ZListTickets } from "../tickets/schemas";
import { MAX_BULK, type BulkInput, type BulkJobView } from "./schemas";
import { one } from "../core/one";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type Row = typeof bulkJobs.$inferSelect;

export const toBulkView = (r: Row): BulkJobView => ({
  id: r.id,
  state: r.state,
  action: r.action,
  total: r.total,
  processed: r.processed,
  changed: r.changed,
  failures: r.failures,
  createdAt: r.createdAt.toISOString(),
  finishedAt: r.finishedAt?.toISOString() ?? null,
});

/**
 * Starts a bulk change: the tickets are fixed now (the selection, or what the filter matches now,
 * as the caller may see them), the job row and its queue entry commit together, and the worker
 * applies the change in batches (run-bulk-job.ts). Staff only.
 */
export async function startBulk(scope: Scope, input: BulkInput): Promise<BulkJobView> {
  assertCan(scope.user, "ticket.assign");
  if (input.macroId) await getMacro(scope, input.macroId); // a macro the caller may use, or 404
  let ids: string[];
  if (input.ticketIds) {
    const wanted = [...new Set(input.ticketIds)];
    const found = await scope.tx
      .select({ id: tickets.id })
      .from(tickets)
      .where(and(eq(tickets.orgId, scope.user.orgId), visibleTo(scope.user), inArray(tickets.id, wanted)));
    const seen = new Set(found.map((r) => r.id));
    const unknown = wanted.filter((id) => !seen.has(id));
    if (unknown.length) {
      throw new AppError("validation_failed", `ticketIds: ${unknown.length} are not tickets of this organization`, {
        issues: unknown.slice(0, 20).map((id) => ({
          in: "body",
          path: `ticketIds.${input.ticketIds!.indexOf(id)}`,
          message: "is not a ticket of this organization",
        })),
      });
    }
    ids = wanted;
  } else {
    const parsed = ZListTickets.safeParse(input.filters);
    if (!parsed.success || ["limit", "cursor", "sort"].some((k) => k in input.filters!)) {
      const issues = parsed.success
        ? [{ in: "body", path: "filters", message: "limit, cursor and sort are not filters" }]
        : parsed.error.issues.map((i) => ({ in: "body", path: `filters.${i.path.join(".")}`, message: i.message }));
      throw new AppError("validation_failed", "invalid filters", { issues });
    }
    const filters = parsedFilters(input.filters!);
    const defs = filters.cf ? await loadFieldDefs(scope.tx) : [];
    const rows = await scope.tx
      .select({ id: tickets.id })
      .from(tickets)
      .where(and(...ticketFilters(scope, filters, defs)))
      .orderBy(asc(tickets.id))
      .limit(MAX_BULK + 1);
    if (rows.length > MAX_BULK)
      throw new AppError("validation_failed", `the filter matches more than ${MAX_BULK} tickets: narrow it`, {
        issues: [{ in: "body", path: "filters", message: `matches more than ${MAX_BULK} tickets` }],
      });
    ids = rows.map((r) => r.id);
  }
  const action = input.set ? { set: input.set } : { macroId: input.macroId! };
  const job = one(
    await scope.tx
      .insert(bulkJobs)
      .values({ orgId: scope.user.orgId, actorId: scope.user.userId, action, ticketIds: ids, total: ids.length })
      .returning(),
  );
  await recordAudit(scope.tx, auditActor(scope), {
    action: "bulk.started",
    entityType: "bulk_job",
    entityId: job.id,
    data: { action, total: ids.length },
  });
  await enqueue(scope.tx, QUEUES.bulkTickets.name, { orgId: scope.user.orgId, jobId: job.id });
  return toBulkView(job);
}

/** A bulk job of the org with its progress and failures (staff; another org's is a 404). */
export async function getBulkJob(scope: Scope, id: string): Promise<BulkJobView> {
  assertCan(scope.user, "ticket.assign");
  if (!UUID.test(id)) throw notFound("bulk job");
  const [r] = await scope.tx
    .select()
    .from(bulkJobs)
    .where(and(eq(bulkJobs.orgId, scope.user.orgId), eq(bulkJobs.id, id)))
    .limit(1);
  if (!r) throw notFound("bulk job");
  return toBulkView(r);
}
