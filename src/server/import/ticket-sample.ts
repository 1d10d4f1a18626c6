import "server-only";
import { sql } from "drizzle-orm";
import type { ImportReport, ImportSampleTicket } from "../db/schema/imports";
import { withTenant } from "../db/tenant";
import type { Tally } from "./import-run";
import type { ImportedTicket } from "./imported-ticket";

export const TICKET_SAMPLE_SIZE = 20;

/** Keeps what the source says of one of the first imported tickets, to be compared when the run ends. */
export function sampleTicket(tally: Tally, t: ImportedTicket, ticketId: string): void {
  const sample = (tally.report.ticketSample ??= []);
  if (sample.length >= TICKET_SAMPLE_SIZE) return;
  sample.push({
    sourceId: t.id,
    ticketId,
    source: {
      // A source without ticket numbers (a CSV without a number column) has none to compare.
      ...(t.number !== null ? { number: Number(t.number) } : {}),
      subject: t.subject,
      status: t.status,
      priority: t.priority,
      tags: [...new Set(t.tags.map((x) => x.toLowerCase()))].sort(),
      createdAt: t.createdAt.toISOString(),
      comments: t.comments.length,
      internalComments: t.comments.filter((c) => !c.public).length,
      attachments: t.comments.reduce((n, c) => n + c.attachments.length, 0),
    },
  });
}

/** Comments written later than their ticket (a separate conversations file) count in the sampled ticket's source numbers too. */
export function sampleAddComment(
  tally: Tally,
  ticketSourceId: string,
  c: { public: boolean; attachments: number },
): void {
  const s = tally.report.ticketSample?.find((t) => t.sourceId === ticketSourceId);
  if (!s) return;
  const add = (k: string, n: number) => (s.source[k] = Number(s.source[k] ?? 0) + n);
  add("comments", 1);
  if (!c.public) add("internalComments", 1);
  add("attachments", c.attachments);
}

/**
 * Reads the sampled tickets back as Beacon holds them now and compares each field with the source:
 * the check report's proof that what was counted as imported is what the source said.
 */
export async function compareTicketSample(orgId: string, report: ImportReport): Promise<ImportSampleTicket[]> {
  const sample = report.ticketSample ?? [];
  if (!sample.length) return sample;
  const ids = sample.map((s) => s.ticketId);
  const rows = await withTenant(
    orgId,
    async (tx) =>
      (
        await tx.execute<{
          id: string;
          number: number;
          subject: string;
          status: string;
          priority: string;
          tags: string[];
          created_at: string;
          comments: number;
          internal_comments: number;
          attachments: number;
        }>(sql`
      select t.id, t.number, t.subject, t.status::text, t.priority::text, t.tags, to_json(t.created_at)#>>'{}' as created_at,
        (select count(*)::int from comments c where c.org_id = t.org_id and c.ticket_id = t.id) as comments,
        (select count(*)::int from comments c where c.org_id = t.org_id and c.ticket_id = t.id and c.internal) as internal_comments,
        (select count(*)::int from attachments a where a.org_id = t.org_id and a.ticket_id = t.id) as attachments
      from tickets t where t.org_id = ${orgId} and t.id in ${ids}`)
      ).rows,
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return sample.map((s) => {
    const r = byId.get(s.ticketId);
    const beacon: Record<string, unknown> = r
      ? {
          number: r.number,
          subject: r.subject,
          status: r.status,
          priority: r.priority,
          tags: [...r.tags].sort(),
          createdAt: new Date(r.created_at).toISOString(),
          comments: r.comments,
          internalComments: r.internal_comments,
          attachments: r.attachments,
        }
      : {};
    const compared = Object.fromEntries(
      Object.entries(s.source).map(([k, v]) => [
        k,
        { source: v, beacon: beacon[k] ?? null, equal: JSON.stringify(v) === JSON.stringify(beacon[k] ?? null) },
      ]),
    );
    return { ...s, compared };
  });
}
