import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { PgInsertValue } from "drizzle-orm/pg-core";
import { ticketCcs } from "../../db/schema/email";
import { tickets } from "../../db/schema/tickets";
import type { Tx } from "../../db/tenant";
import { loadFieldDefs, valueSchema } from "../../fields/custom-values";
import { auditImported, type BatchContext, type BatchRecord } from "../batch";
import { recordIds } from "../id-map";
import { compareSource } from "./ticket-sample";
import { freshRows, parseRows, refs, skipRow } from "./parse-rows";
import { ts, ZTicketRow } from "./rows";

const MAX_TICKET_NUMBER = 2_147_483_647;

/**
 * Tickets as they were: number (where no ticket of the org has it), requester, assignee, group,
 * status, priority, tags, custom field values, the SLA columns as recorded, times, and CCs.
 * Written straight into the table (no trigger, SLA policy, notification or webhook: history);
 * merges come later (ticket_merges), once every ticket exists. No SLA policy is attached, so the
 * SLA scan never computes a breach for an imported ticket: its SLA history is the recorded events.
 */
export async function writeTickets(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const fresh = await freshRows(tx, ctx, "ticket", parseRows(ctx, "ticket", recs, ZTicketRow), (v) => v.id);
  if (!fresh.length) return;
  const { people, teams, companies } = await refs(tx, ctx, {
    people: ["user", fresh.flatMap((p) => [p.value.requester_id, p.value.assignee_id])],
    teams: ["group", fresh.map((p) => p.value.group_id)],
    companies: ["customer_org", fresh.map((p) => p.value.customer_org_id)],
  });
  const writable = fresh.filter((p) => {
    if (people.has(p.value.requester_id)) return true;
    skipRow(ctx, "ticket", p, "its requester was not imported");
    return false;
  });
  if (!writable.length) return;
  const defs = new Map((await loadFieldDefs(tx)).map((d) => [d.key, d]));
  const numbers = await allocateNumbers(
    tx,
    ctx.space.orgId,
    writable.map((p) => p.value.number),
  );
  const rows: PgInsertValue<typeof tickets>[] = [];
  const ccs: PgInsertValue<typeof ticketCcs>[] = [];
  const pairs: [string, string][] = [];
  const audits: { id: string; data: Record<string, unknown> }[] = [];
  for (const [i, { value: t }] of writable.entries()) {
    const id = randomUUID();
    const values: Record<string, string | number | boolean | string[]> = {};
    const leftOver: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(t.custom_fields)) {
      const def = defs.get(key);
      const r = def ? valueSchema(def).safeParse(raw) : undefined;
      if (r?.success && r.data !== null && r.data !== undefined)
        values[key] = r.data as string | number | boolean | string[];
      else leftOver[key] = raw;
    }
    if (Object.keys(leftOver).length)
      ctx.tally.note("ticket", "custom values no field here takes: kept in the audit event");
    if (t.assignee_id && !people.has(t.assignee_id)) ctx.tally.note("ticket", "assignee not imported: left unassigned");
    const number = numbers[i]!;
    if (number !== t.number) ctx.tally.note("ticket", "number taken here: given the next free number");
    rows.push({
      orgId: ctx.space.orgId,
      id,
      number,
      subject: t.subject,
      requesterId: people.get(t.requester_id)!,
      assigneeId: (t.assignee_id && people.get(t.assignee_id)) || null,
      groupId: (t.group_id && teams.get(t.group_id)) || null,
      customerOrgId: (t.customer_org_id && companies.get(t.customer_org_id)) || null,
      status: t.status,
      priority: t.priority,
      tags: t.tags,
      customFields: values,
      firstResponseDue: ts(t.first_response_due),
      firstResponseAt: ts(t.first_response_at),
      nextResponseDue: ts(t.next_response_due),
      resolveDue: ts(t.resolve_due),
      resolvedAt: ts(t.resolved_at),
      slaPausedAt: ts(t.sla_paused_at),
      slaPausedSeconds: t.sla_paused_seconds,
      closedAt: ts(t.closed_at),
      createdAt: ts(t.created_at)!,
      updatedAt: ts(t.updated_at)!,
    });
    for (const c of t.ccs)
      ccs.push({
        orgId: ctx.space.orgId,
        ticketId: id,
        email: c.email,
        bouncingAt: ts(c.bouncing_at),
        bouncingReason: c.bouncing_reason ?? null,
        createdAt: ts(c.created_at)!,
      });
    pairs.push([t.id, id]);
    audits.push({
      id,
      data: {
        importId: ctx.space.importId,
        source: "beacon",
        sourceId: t.id,
        number,
        ...(Object.keys(leftOver).length ? { sourceCustomFields: leftOver } : {}),
      },
    });
    compareSource(ctx.tally, t, id, number);
    ctx.tally.add("ticket", "imported");
  }
  await tx.insert(tickets).values(rows);
  if (ccs.length) await tx.insert(ticketCcs).values(ccs).onConflictDoNothing();
  await recordIds(tx, ctx.space, "ticket", pairs);
  await auditImported(
    tx,
    ctx.actor,
    audits.map((a) => ({ action: "ticket.imported", entityType: "ticket", entityId: a.id, data: a.data })),
  );
}

/**
 * Keeps each source number no ticket of the org has; the others get numbers past every number
 * kept so far, and the org's counter moves past all of them, so later tickets never collide.
 */
async function allocateNumbers(tx: Tx, orgId: string, wanted: number[]): Promise<number[]> {
  const taken = new Set(
    (
      await tx
        .select({ n: tickets.number })
        .from(tickets)
        .where(and(eq(tickets.orgId, orgId), inArray(tickets.number, wanted)))
    ).map((r) => r.n),
  );
  const seen = new Set<number>();
  const keep = wanted.map((n) => {
    const ok = !taken.has(n) && !seen.has(n) && n <= MAX_TICKET_NUMBER;
    seen.add(n);
    return ok;
  });
  const others = keep.filter((k) => !k).length;
  const top = Math.max(0, ...wanted.filter((_, i) => keep[i]));
  const r = await tx.execute<{ seq: number }>(
    sql`update orgs set ticket_seq = greatest(ticket_seq, ${top}) + ${others} where id = ${orgId} returning ticket_seq as seq`,
  );
  let next = Number(r.rows[0]!.seq) - others + 1;
  return wanted.map((n, i) => (keep[i] ? n : next++));
}
