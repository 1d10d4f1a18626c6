import "server-only";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { z } from "zod";
import { assertCan } from "../authz/permissions";
import { notFound } from "../core/errors";
import type { Scope } from "../core/scope";
import { inboundMessages } from "../db/schema/email";
import { db } from "../db/client";
import { BOSS_SCHEMA } from "../jobs/boss";
import { QUEUES } from "../jobs/queues";
import { emlDownload } from "./original-message";

// Inbound mail an admin has to know about (issue 12, decision 040): messages held by the hourly
// sender cap (applied by themselves later) and messages whose apply job failed every retry
// (dead-lettered; the raw message stays stored). Listed on /admin/jobs and by
// GET /api/v1/email/inbound; each can be downloaded as the .eml it arrived as.

export const WAITING_STATUSES = ["held", "failed"] as const;

export const ZListInbound = z.strictObject({
  status: z.enum(WAITING_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListInbound = z.infer<typeof ZListInbound>;

export const ZInboundItem = z.object({
  id: z.uuid(),
  status: z.enum(WAITING_STATUSES),
  source: z.enum(["smtp", "imap", "webhook"]),
  /** The header From (else the envelope sender); null when the message has neither. */
  from: z.string().nullable(),
  subject: z.string().nullable(),
  receivedAt: z.iso.datetime(),
  /** Held: when its job runs again (the cap's window has room then); failed: null. */
  releaseAt: z.iso.datetime().nullable(),
  reason: z.string().nullable(),
  error: z.string().nullable(),
  sizeBytes: z.number().int(),
});
export type InboundItem = z.infer<typeof ZInboundItem>;

/** At most this much of a message is read to show its From and Subject (the header block). */
const HEADER_BYTES = 64 * 1024;

async function headerSummary(raw: Buffer): Promise<{ from: string | null; subject: string | null }> {
  const head = raw.subarray(0, HEADER_BYTES);
  const end = head.indexOf("\r\n\r\n") >= 0 ? head.indexOf("\r\n\r\n") : head.indexOf("\n\n");
  try {
    const parsed = await simpleParser(
      Buffer.concat([end >= 0 ? head.subarray(0, end) : head, Buffer.from("\r\n\r\n")]),
      { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true },
    );
    return {
      from: parsed.from?.value[0]?.address?.toLowerCase() ?? null,
      subject: parsed.subject ? [...parsed.subject].slice(0, 300).join("") : null,
    };
  } catch {
    return { from: null, subject: null };
  }
}

/** GET /email/inbound (admin): the org's held and failed inbound messages, newest first. */
export async function listWaitingInbound(scope: Scope, query: ListInbound): Promise<{ data: InboundItem[] }> {
  assertCan(scope.user, "org.admin");
  const { tx, user } = scope;
  const rows = await tx
    .select({
      id: inboundMessages.id,
      status: inboundMessages.status,
      source: inboundMessages.source,
      fromAddress: inboundMessages.fromAddress,
      mailFrom: inboundMessages.mailFrom,
      receivedAt: inboundMessages.receivedAt,
      reason: inboundMessages.reason,
      error: inboundMessages.error,
      sizeBytes: inboundMessages.sizeBytes,
      head: sql<Buffer>`substring(${inboundMessages.raw} from 1 for ${HEADER_BYTES})`,
    })
    .from(inboundMessages)
    .where(
      and(
        eq(inboundMessages.orgId, user.orgId),
        inArray(inboundMessages.status, query.status ? [query.status] : [...WAITING_STATUSES]),
      ),
    )
    .orderBy(desc(inboundMessages.receivedAt), desc(inboundMessages.id))
    .limit(query.limit);
  // When a held message's job runs again: its pending email-inbound job (pgboss has no RLS; scoped by the payload's orgId and id).
  const held = rows.filter((r) => r.status === "held").map((r) => r.id);
  const releaseOf = new Map<string, string>();
  if (held.length) {
    // The latest pending job is the re-run the hold queued. Read on the owner's connection, like the dead letters (src/server/jobs/dead-letters.ts): beacon_app may not read jobs.
    const jobs = await db().execute<{ inbound_id: string; start_after: string }>(sql`
      select data->>'inboundId' as inbound_id, max(start_after)::text as start_after from ${sql.raw(BOSS_SCHEMA)}.job
       where name = ${QUEUES.inboundEmail.name} and state in ('created', 'retry') and data->>'orgId' = ${user.orgId}
         and data->>'inboundId' in (${sql.join(
           held.map((h) => sql`${h}`),
           sql`, `,
         )})
       group by 1`);
    for (const j of jobs.rows) releaseOf.set(j.inbound_id, new Date(j.start_after).toISOString());
  }
  const data: InboundItem[] = [];
  for (const r of rows) {
    const h = await headerSummary(Buffer.from(r.head));
    data.push({
      id: r.id,
      status: r.status as InboundItem["status"],
      source: r.source,
      from: r.fromAddress ?? h.from ?? r.mailFrom ?? null,
      subject: h.subject,
      receivedAt: r.receivedAt.toISOString(),
      releaseAt: releaseOf.get(r.id) ?? null,
      reason: r.reason,
      error: r.error,
      sizeBytes: r.sizeBytes,
    });
  }
  return { data };
}

/**
 * GET /email/inbound/{id}/raw (admin): a stored inbound message of the org, byte for byte, as a
 * download (like the staff "original" of an email comment, decision 039). Another org's id is the
 * same 404 as an unknown one.
 */
export async function downloadInboundMessage(scope: Scope, id: string): Promise<Response> {
  assertCan(scope.user, "org.admin");
  const [m] = await scope.tx
    .select({ raw: inboundMessages.raw })
    .from(inboundMessages)
    .where(and(eq(inboundMessages.orgId, scope.user.orgId), eq(inboundMessages.id, id)))
    .limit(1);
  if (!m) throw notFound("inbound message");
  return emlDownload(m.raw, `inbound-${id.slice(0, 8)}.eml`);
}
