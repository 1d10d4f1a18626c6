import "server-only";
import { sql } from "drizzle-orm";
import { comments } from "../db/schema/tickets";
import { csatRatings } from "../db/schema/customers";
import type { Tx } from "../db/tenant";
import { toTicketView } from "../ticket-model/ticket-view";
import { ByteWriter } from "./byte-writer";
import { isoFromUtcJson, streamTicketBatch, utcJson, type BatchOptions, type Position } from "./ticket-batches";
import { streamTextRows, type TextRow } from "./text-rows";

const NEEDS_ESCAPE = /["\\\u0000-\u001f]/; // eslint-disable-line no-control-regex

/** A JSON string literal, as JSON.stringify writes it (PostgreSQL text holds no lone surrogates). */
function jsonString(out: ByteWriter, s: string) {
  if (NEEDS_ESCAPE.test(s)) out.text(JSON.stringify(s));
  else {
    out.byte(34);
    out.text(s);
    out.byte(34);
  }
}

/** One comment in the API's comment shape: {id, ticketId, authorId, body, bodyHtml, internal, channel, email, createdAt}. */
function writeComment(out: ByteWriter, c: TextRow) {
  const [, id, ticketId, authorId, body, bodyHtml, internal, createdAt, channel, email] = c;
  out.ascii(`{"id":"${id}","ticketId":"${ticketId}","authorId":"${authorId}","body":`);
  jsonString(out, body!);
  out.ascii(`,"bodyHtml":`);
  jsonString(out, bodyHtml!);
  // channel is an enum label; email is PostgreSQL's jsonb text, which is JSON already.
  out.ascii(
    internal === "t"
      ? `,"internal":true,"channel":"${channel}","email":`
      : `,"internal":false,"channel":"${channel}","email":`,
  );
  if (email === null || email === undefined) out.ascii("null");
  else out.text(email);
  out.ascii(`,"createdAt":"`);
  if (!out.isoFromUtcJson(createdAt!, 0, createdAt!.length)) out.text(isoFromUtcJson(createdAt!));
  out.ascii(`"}`);
}

/**
 * One ndjson batch: each ticket as the API shows it with its whole conversation (internal notes
 * included), `{...ticket, "comments": [...]}`, one a line. The comments are read in the batch's
 * ticket order (the position of their ticket in the batch, then oldest first) and written as they
 * arrive: they are most of the export's bytes (three a ticket on the bench data), and holding a
 * batch's comments as objects, then strings, then bytes kept the garbage collector busy for most
 * of the CPU time. Only body and bodyHtml need JSON escaping; the rest are UUIDs, a boolean and
 * an ISO timestamp. tests/integration/export.test.ts compares the result with the comment API.
 */
export async function readNdjsonBatch(
  tx: Tx,
  orgId: string,
  opts: BatchOptions,
): Promise<{ bytes: Uint8Array; count: number; last: Position | undefined }> {
  // Each ticket is turned into its JSON as it arrives; only that text is kept for the comments.
  const now = new Date();
  const tickets: string[] = [];
  const ids: string[] = [];
  let last: Position | undefined;
  await streamTicketBatch(tx, orgId, opts, (r) => {
    tickets.push(JSON.stringify(toTicketView(r.ticket, now)).slice(0, -1));
    ids.push(r.ticket.id);
    last = r.position;
  });
  if (tickets.length === 0) return { bytes: new Uint8Array(0), count: 0, last };
  // The requester's satisfaction rating (decision 051): {rating, comment} or null, one query a batch.
  const ratings = new Map<string, string>();
  await streamTextRows(
    tx,
    sql`select ${csatRatings.ticketId}, ${csatRatings.rating}::text, ${csatRatings.comment} from ${csatRatings}
    where ${csatRatings.orgId} = ${orgId} and ${csatRatings.ticketId} = any(${`{${ids.join(",")}}`}::uuid[])`,
    (r) => {
      ratings.set(r[0]!, JSON.stringify({ rating: r[1], comment: r[2] }));
    },
  );
  for (let i = 0; i < tickets.length; i++) tickets[i] += `,"satisfaction":${ratings.get(ids[i]!) ?? "null"}`;
  const out = new ByteWriter(tickets.length * 3000);
  let next = 0; // the next ticket to write
  const open = () => {
    out.text(tickets[next++]!);
    out.ascii(`,"comments":[`);
  };
  const close = () => out.ascii("]}\n");
  const withoutComments = () => {
    open();
    close();
  };

  const idArray = `{${ids.join(",")}}`;
  await streamTextRows(
    tx,
    sql`select b.ord, ${comments.id}, ${comments.ticketId}, ${comments.authorId}, ${comments.body}, ${comments.bodyHtml},
      ${comments.internal}, ${utcJson(comments.createdAt)}, ${comments.channel},
      case when ${comments.email} is null then null else
        jsonb_build_object('from', ${comments.email}->'from', 'to', ${comments.email}->'to', 'cc', ${comments.email}->'cc', 'messageId', ${comments.email}->'messageId')
        || case when jsonb_array_length(coalesce(${comments.email}->'refused', '[]')) > 0 then jsonb_build_object('refused', ${comments.email}->'refused') else '{}' end
        || case when ${comments.email} ? 'auth' then jsonb_build_object('auth', ${comments.email}->'auth') else '{}' end
      end
    from unnest(${idArray}::uuid[]) with ordinality as b(id, ord)
    join ${comments} on ${comments.orgId} = ${orgId} and ${comments.ticketId} = b.id
    order by b.ord, ${comments.createdAt}, ${comments.id}`,
    (c) => {
      const ticket = Number(c[0]); // 1-based position in the batch
      if (ticket === next) out.byte(44);
      else {
        if (next > 0) close();
        while (next < ticket - 1) withoutComments();
        open();
      }
      writeComment(out, c);
    },
  );
  if (next > 0) close();
  while (next < tickets.length) withoutComments();
  return { bytes: out.slice(), count: tickets.length, last };
}
