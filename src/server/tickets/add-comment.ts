import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, sql, type SQL } from "drizzle-orm";
import { comments, tickets } from "../db/schema/tickets";
import { slaEvents } from "../db/schema/sla";
import { auditAppendCtes } from "../audit/record-audit";
import { notFound } from "../core/errors";
import type { Scope } from "../core/scope";
import { runTriggers } from "../automation/run-triggers";
import { renderMarkdown } from "../markdown/render";
import { enqueueCte } from "../jobs/enqueue";
import { QUEUES } from "../jobs/queues";
import { commentWithPolicy, slaCheckStatement, slaEventRows } from "../sla/apply";
import { nextCheckAt } from "../sla/next-check";
import { auditActor } from "../authz/actor";
import { publishTicketChange } from "../live/publish";
import { visibleTo } from "../authz/visibility";
import { orgStateQuery, leadSecondsOf, type OrgStateRow } from "./org-state";
import type { CommentVia } from "./comment-via";
import { assertCan, isStaff } from "../authz/permissions";
import type { CommentView, CreateComment } from "./schemas";
import { ticketColumns, type TicketRow } from "../ticket-model/ticket-view";
import { toCommentView } from "./comment-view";
import { REPLY_EMAIL_DELAY_SECONDS } from "../email/outbound-reply";
import { snapshotJson } from "./write-sql";
import { assertNotFinal, statusAfterComment } from "../lifecycle/ticket-lifecycle";
import { executePrepared, named } from "../db/prepared";

/**
 * Adds a public reply or an internal note (SPEC §5): the first public staff reply stamps
 * firstResponseAt once and moves new → open; the requester's reply reopens a pending or solved
 * ticket; a closed ticket takes no comments (409). Comment, SLA stamps and audit event commit
 * together.
 *
 * Each write once (issue 16, decision 047): the ticket is read and locked with the org's state (one
 * statement); the comment, the ONE update of the ticket (SLA stamps, status, search vector, version),
 * the SLA events and next check, the audit event and the jobs are then one statement.
 */
export async function addComment(
  scope: Scope,
  ticketId: string,
  input: CreateComment,
  via: CommentVia = {},
): Promise<CommentView> {
  const { tx, user } = scope;
  const orgId = user.orgId;
  // A CC replying by email is a participant the requester invited (SPEC §11), not the requester.
  const participant = via.ccParticipant && !input.internal;
  const state = orgStateQuery(orgId, sql.raw(`"tickets"."requester_id"`));
  const [row] = await named(
    tx
      .select({
        ...ticketColumns,
        state: sql<OrgStateRow>`(select row_to_json(s) from (select ${state.columns}
        from orgs o left join automation_versions v on v.org_id = o.id where o.id = "tickets"."org_id") s)`,
      })
      .from(tickets)
      .where(and(eq(tickets.orgId, orgId), eq(tickets.id, ticketId), participant ? undefined : visibleTo(user)))
      .limit(1)
      .for("update"),
  ).execute();
  if (!row) throw notFound("ticket");
  const { state: stateRow, ...t } = row as TicketRow & { state: OrgStateRow };
  assertNotFinal(t.status, "closed tickets are final; open a new ticket instead");
  if (!via.ccParticipant) assertCan(user, input.internal ? "ticket.comment.internal" : "ticket.comment.public", t);
  const org = state.read(stateRow);

  const now = new Date();
  const staff = isStaff(user);
  const set: Partial<TicketRow> = {};
  const next = statusAfterComment(t.status, { staff, internal: input.internal });
  if (next) set.status = next;
  const p = org.config.policies.get(t.priority) ?? null;
  const sla = commentWithPolicy(
    p,
    t,
    { publicStaffReply: staff && !input.internal, customerReply: !staff, nextStatus: set.status },
    now,
  );
  const after = { ...t, ...set, ...sla.changes };
  const check = nextCheckAt(after, leadSecondsOf(org.config), now, "after-write");
  const comment = {
    orgId,
    id: randomUUID(),
    ticketId: t.id,
    authorId: user.userId,
    body: input.body,
    bodyHtml: renderMarkdown(input.body),
    internal: input.internal,
    channel: via.channel ?? "web",
    email: via.email ?? null,
    createdAt: now,
  } as const;
  const version = sql`(select version from t)`;
  const parts: SQL[] = [sql`c as (${tx.insert(comments).values(comment).getSQL()})`];
  if (!input.internal) {
    // The reply's text goes into the ticket's search vector with the ticket's one update; the comment trigger is told not to add it again.
    parts.push(sql`fed as (select set_config('beacon.ticket_search_fed', ${comment.id}, true) as v)`);
  }
  parts.push(
    sql`t as (${tx
      .update(tickets)
      .set({
        ...set,
        ...sla.changes,
        updatedAt: now,
        version: sql`${tickets.version} + 1`,
        ...(input.internal
          ? {}
          : {
              searchVector: sql`coalesce(${tickets.searchVector}, ''::tsvector) || to_tsvector('english', ${input.body})`,
            }),
      })
      .where(and(eq(tickets.orgId, orgId), eq(tickets.id, t.id)))
      .returning({ version: tickets.version })
      .getSQL()})`,
  );
  if (sla.events.length)
    parts.push(
      sql`e as (${tx
        .insert(slaEvents)
        .values(slaEventRows(t, p?.policy.id ?? null, sla.events))
        .getSQL()})`,
    );
  parts.push(sql`k as (${slaCheckStatement(tx, orgId, t.id, check)})`);
  parts.push(
    auditAppendCtes(
      auditActor(scope),
      {
        action: input.internal ? "ticket.note_added" : "ticket.replied",
        entityType: "ticket",
        entityId: t.id,
        data: {
          commentId: comment.id,
          internal: input.internal,
          ...(set.status ? { status: { from: t.status, to: set.status } } : {}),
        },
      },
      undefined,
      sql`t`,
    ),
  );
  if (!input.internal) {
    const notify = { orgId, kind: "ticket.replied", ticketId: t.id, actorId: user.userId, commentId: comment.id };
    const snapshot = snapshotJson(after, { version }, set.status ? { status: [t.status, set.status] } : undefined);
    const jobs = [
      sql`select json_build_object('name', ${QUEUES.notify.name}::text, 'data', ${JSON.stringify(notify)}::jsonb || jsonb_build_object('snapshot', ${snapshot})) as j`,
    ];
    // The reply itself goes to the requester and CCs by email, whatever channel it was written in
    // (decision 031), when the org sends mail (has a support address).
    if (staff) {
      const reply = {
        name: QUEUES.replyEmail.name,
        data: { orgId, ticketId: t.id, commentId: comment.id },
        startAfter: new Date(now.getTime() + REPLY_EMAIL_DELAY_SECONDS * 1000).toISOString(),
      };
      jobs.push(
        sql`select ${JSON.stringify(reply)}::json where exists (select 1 from email_addresses a where a.org_id = ${orgId})`,
      );
    }
    parts.push(
      sql`j as (${await enqueueCte(sql`(select coalesce(json_agg(q.j), '[]'::json) from (${sql.join(jobs, sql` union all `)}) q)`)})`,
    );
  }
  const r = await executePrepared<{ version: number }>(
    tx,
    sql`with ${sql.join(parts, sql`, `)} select ${version} as version${input.internal ? sql`` : sql`, (select v from fed) as fed`}`,
  );
  const written: TicketRow = { ...after, updatedAt: now, version: r.rows[0]!.version };
  publishTicketChange(tx, auditActor(scope), t.id, input.internal ? "ticket.note_added" : "ticket.replied", {
    internal: input.internal,
  });

  // The org's triggers run last, in this transaction (SPEC §12).
  const event = input.internal ? "internal_note" : staff ? "staff_comment" : "customer_comment";
  await runTriggers(scope, {
    ticketId: t.id,
    event,
    channel: via.channel,
    body: input.body,
    before: t,
    ticket: written,
    preloaded: org.triggers,
  });
  return toCommentView({ ...comment, searchVector: null });
}
