import "server-only";
import { randomUUID } from "node:crypto";
import { sql, type SQL } from "drizzle-orm";
import { comments, tickets } from "../db/schema/tickets";
import { slaEvents } from "../db/schema/sla";
import { auditAppendCtes } from "../audit/record-audit";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { runTriggers } from "../automation/run-triggers";
import { renderMarkdown } from "../markdown/render";
import { enqueueCte } from "../jobs/enqueue";
import { QUEUES } from "../jobs/queues";
import { slaCheckStatement, slaEventRows } from "../sla/apply";
import { slaOnCreate } from "../sla/transitions";
import { nextCheckAt } from "../sla/next-check";
import { auditActor } from "../authz/actor";
import { publishTicketChange } from "../live/publish";
import { assertCan, assertMayCreateTicketWith } from "../authz/permissions";
import { leadSecondsOf, readOrgState } from "./org-state";
import type { AnyTicketView, CreateTicket } from "./schemas";
import type { CommentVia } from "./comment-via";
import { viewerFor, type TicketRow } from "../ticket-model/ticket-view";
import { snapshotJson } from "./write-sql";
import { applyCustomFields } from "../fields/custom-values";
import { executePrepared } from "../db/prepared";

/**
 * Opens a ticket with its first message. Customers are always their own requester and may not set
 * priority or tags (403 naming the fields, before anything is written); agents and admins may open
 * one for any user of the org. Number, ticket, first comment, SLA due dates and the audit event
 * commit together.
 *
 * Each write once (issue 16, decision 047): the org's state (settings, SLA policies, triggers, and
 * the requester) is one statement, cached per process; the SLA dues, the next SLA check and the
 * search vector are computed before the ONE insert of the ticket, which goes with the comment, the
 * SLA events and check, the audit event and the notification job in one statement whose per-org
 * serialization points (the ticket number, the audit chain head) are taken in it, just before commit.
 */
export async function createTicket(scope: Scope, input: CreateTicket, via: CommentVia = {}): Promise<AnyTicketView> {
  const { tx, user } = scope;
  assertCan(user, "ticket.create");
  assertMayCreateTicketWith(user, input);
  const forOther = input.requesterId !== undefined && input.requesterId !== user.userId;
  if (forOther)
    assertCan(user, "ticket.create.for_other_requester", undefined, "customers open tickets for themselves only");
  const requesterId = forOther ? input.requesterId! : user.userId;
  const state = await readOrgState(tx, user.orgId, requesterId);
  if (forOther && !state.triggers.extras.requester) {
    throw new AppError("validation_failed", "requesterId is not a user of this organization", {
      issues: [{ in: "body", path: "requesterId", message: "is not a user of this organization" }],
    });
  }

  // Checked against the org's field definitions; mail has no form, so required fields are not asked of it.
  const custom = await applyCustomFields(scope, {
    current: {},
    input: input.customFields,
    creating: via.channel !== "email",
    defs: state.config.fields,
  });
  const now = new Date();
  const orgId = user.orgId;
  const priority = input.priority ?? "normal";
  const p = state.config.policies.get(priority) ?? null;
  const sla = p ? slaOnCreate(p.policy, p.clock, { createdAt: now, priority }) : null;
  const ticket: TicketRow = {
    orgId,
    id: randomUUID(),
    number: 0,
    subject: input.subject,
    requesterId,
    assigneeId: null,
    groupId: null,
    customerOrgId: null,
    status: "new",
    priority,
    tags: input.tags ?? [],
    slaPolicyId: p?.policy.id ?? null,
    firstResponseDue: sla?.changes.firstResponseDue ?? null,
    firstResponseAt: null,
    nextResponseDue: null,
    resolveDue: sla?.changes.resolveDue ?? null,
    resolvedAt: null,
    slaPausedAt: null,
    slaPausedSeconds: 0,
    closedAt: null,
    customFields: custom?.values ?? {},
    mergedIntoId: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const commentId = via.commentId ?? randomUUID();
  const number = sql`(select ticket_seq from n)`;
  const events = sla ? slaEventRows(ticket, ticket.slaPolicyId, sla.events) : [];
  const check = nextCheckAt(ticket, leadSecondsOf(state.config), now, "after-write");
  const { number: _n, ...values } = ticket;
  const parts: SQL[] = [
    sql`n as (update orgs set ticket_seq = ticket_seq + 1 where id = ${orgId} returning ticket_seq)`,
    // The comment's text goes into the ticket's search vector with the insert (the BEFORE trigger
    // puts the subject first); the comment trigger is told not to add it again (drizzle/0022).
    sql`fed as (select set_config('beacon.ticket_search_fed', ${commentId}, true) as v)`,
    sql`t as (${tx
      .insert(tickets)
      .values({ ...values, number, searchVector: sql`to_tsvector('english', ${input.body})` })
      .getSQL()})`,
    sql`c as (${tx
      .insert(comments)
      .values({
        orgId,
        id: commentId,
        ticketId: ticket.id,
        authorId: user.userId,
        body: input.body,
        bodyHtml: renderMarkdown(input.body),
        internal: false,
        channel: via.channel ?? "web",
        email: via.email ?? null,
        createdAt: now,
      })
      .getSQL()})`,
  ];
  if (events.length) parts.push(sql`e as (${tx.insert(slaEvents).values(events).getSQL()})`);
  if (check) parts.push(sql`k as (${slaCheckStatement(tx, orgId, ticket.id, check)})`);
  parts.push(
    auditAppendCtes(
      auditActor(scope),
      {
        action: "ticket.created",
        entityType: "ticket",
        entityId: ticket.id,
        data: {
          subject: ticket.subject,
          priority,
          requesterId,
          tags: ticket.tags,
          commentId,
          ...(custom && Object.keys(custom.values).length ? { customFields: custom.values } : {}),
        },
      },
      { key: "number", value: number },
      sql`n`,
    ),
  );
  const notify = { orgId, kind: "ticket.created", ticketId: ticket.id, actorId: user.userId };
  parts.push(
    sql`j as (${await enqueueCte(sql`json_build_array(json_build_object('name', ${QUEUES.notify.name}::text, 'data',
    ${JSON.stringify(notify)}::jsonb || jsonb_build_object('snapshot', ${snapshotJson(ticket, { number })})))`)})`,
  );
  const r = await executePrepared<{ number: number; fed: string }>(
    tx,
    sql`with ${sql.join(parts, sql`, `)} select (select ticket_seq from n) as number, (select v from fed) as fed`,
  );
  ticket.number = r.rows[0]!.number;
  publishTicketChange(tx, auditActor(scope), ticket.id, "ticket.created");

  // The org's triggers run last, in this transaction, on the ticket as written (SPEC §12).
  const auto = await runTriggers(scope, {
    ticketId: ticket.id,
    event: "created",
    channel: via.channel,
    body: input.body,
    ticket,
    preloaded: state.triggers,
  });
  // A customer sees the customer-visible custom fields (from the cached definitions: no statement).
  const visible = new Set(state.config.fields.filter((f) => f.customerVisible).map((f) => f.key));
  return viewerFor(user, state.config.settings.showSlaToCustomers === true, visible)(auto?.ticket ?? ticket, now);
}
