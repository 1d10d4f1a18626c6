import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { AppError } from "../core/errors";
import type { Principal } from "../core/principal";
import { withTenant, type Tx } from "../db/tenant";
import { tickets } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import { bulkJobs } from "../db/schema/workspace";
import { applyMacro } from "../automation/manage-macros";
import { updateVersionedTicket } from "../tickets/update-ticket";
import { ZUpdateTicket } from "../tickets/schemas";
import { logger } from "../observability/logger";

/** Tickets per transaction: each batch commits its changes and the progress together, so locks last one batch. */
export const BULK_BATCH = 100;

type Failure = { ticketId: string; number: number | null; code: string; message: string };

/** The job's actor as they are now (a demoted or blocked agent's job changes nothing more). */
async function actorNow(tx: Tx, orgId: string, actorId: string): Promise<Principal | null> {
  const [u] = await tx
    .select()
    .from(users)
    .where(and(eq(users.orgId, orgId), eq(users.id, actorId)))
    .limit(1);
  if (!u || u.blockedAt || (u.role !== "agent" && u.role !== "admin")) return null;
  return {
    userId: u.id,
    orgId,
    role: u.role,
    email: u.email,
    name: u.name,
    mustChangePassword: false,
    sessionVersion: u.sessionVersion,
    via: "session",
  };
}

/**
 * The ticket-bulk job: applies the job's change to its tickets, BULK_BATCH at a time, each in the
 * actor's name exactly as a PATCH (or a macro apply) would, so each ticket is checked, audited and
 * triggers run. A ticket that cannot change (closed, gone, a refused value) is rolled back alone
 * (a savepoint) and listed with why; the rest go on. Progress is committed with each batch, so a
 * retried job resumes after the last batch that committed.
 */
export async function runBulkJob(job: {
  orgId: string;
  jobId: string;
}): Promise<{ processed: number; changed: number }> {
  const log = logger();
  for (;;) {
    const step = await withTenant(job.orgId, async (tx) => {
      const [row] = await tx
        .select()
        .from(bulkJobs)
        .where(and(eq(bulkJobs.orgId, job.orgId), eq(bulkJobs.id, job.jobId)))
        .limit(1)
        .for("update");
      if (!row || row.state === "done" || row.state === "failed") return { done: true, row };
      const user = await actorNow(tx, job.orgId, row.actorId);
      const batch = row.ticketIds.slice(row.processed, row.processed + BULK_BATCH);
      if (!user) {
        await tx
          .update(bulkJobs)
          .set({
            state: "failed",
            finishedAt: sql`now()`,
            failures: sql`${bulkJobs.failures} || ${JSON.stringify([{ ticketId: row.ticketIds[row.processed] ?? row.id, number: null, code: "forbidden", message: "the job's agent may no longer change tickets" }])}::jsonb`,
          })
          .where(eq(bulkJobs.id, row.id));
        return { done: true, row };
      }
      const scope = { user, requestId: `bulk-${row.id}-${randomUUID().slice(0, 8)}` };
      const set = row.action.set ? ZUpdateTicket.parse(row.action.set) : undefined;
      const macroId = typeof row.action.macroId === "string" ? row.action.macroId : undefined;
      const failures: Failure[] = [];
      let changed = 0;
      for (const ticketId of batch) {
        try {
          await tx.transaction(async (sp) => {
            if (set) await updateVersionedTicket({ ...scope, tx: sp }, ticketId, set);
            else await applyMacro({ ...scope, tx: sp }, macroId!, ticketId);
          });
          changed++;
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          failures.push({ ticketId, number: null, code: err.code, message: err.message });
        }
      }
      if (failures.length) {
        const numbers = new Map(
          (
            await tx
              .select({ id: tickets.id, number: tickets.number })
              .from(tickets)
              .where(
                inArray(
                  tickets.id,
                  failures.map((f) => f.ticketId),
                ),
              )
          ).map((t) => [t.id, t.number]),
        );
        for (const f of failures) f.number = numbers.get(f.ticketId) ?? null;
      }
      const processed = row.processed + batch.length;
      const finished = processed >= row.total;
      const [next] = await tx
        .update(bulkJobs)
        .set({
          processed,
          changed: sql`${bulkJobs.changed} + ${changed}`,
          state: finished ? "done" : "running",
          failures: failures.length ? sql`${bulkJobs.failures} || ${JSON.stringify(failures)}::jsonb` : undefined,
          finishedAt: finished ? sql`now()` : undefined,
        })
        .where(eq(bulkJobs.id, row.id))
        .returning();
      return { done: finished, row: next };
    });
    if (step.done) {
      log.info(
        { orgId: job.orgId, bulkJobId: job.jobId, processed: step.row?.processed, changed: step.row?.changed },
        "bulk job finished",
      );
      return { processed: step.row?.processed ?? 0, changed: step.row?.changed ?? 0 };
    }
  }
}
