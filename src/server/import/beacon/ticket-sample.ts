import "server-only";
import type { Tally } from "../import-run";
import { TICKET_SAMPLE_SIZE } from "../ticket-sample";
import type { ZTicketRow } from "./rows";
import type { z } from "zod";

/** Keeps what the archive says of one of the first imported tickets, compared field by field when the run ends (compareTicketSample). */
export function compareSource(tally: Tally, t: z.infer<typeof ZTicketRow>, ticketId: string, number: number): void {
  const sample = (tally.report.ticketSample ??= []);
  if (sample.length >= TICKET_SAMPLE_SIZE) return;
  sample.push({
    sourceId: t.id,
    ticketId,
    source: {
      number,
      subject: t.subject,
      status: t.status,
      priority: t.priority,
      tags: [...t.tags].sort(),
      createdAt: new Date(t.created_at).toISOString(),
    },
  });
}
