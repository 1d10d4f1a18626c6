import "server-only";
import { zUuidParam } from "../../http/route";
import { addComment } from "../../tickets/add-comment";
import { createTicket } from "../../tickets/create-ticket";
import { getVersionedTicket } from "../../tickets/get-ticket";
import { listComments } from "../../tickets/list-comments";
import { LIST_TICKETS_ADMISSION, listTickets } from "../../tickets/list-tickets";
import {
  page,
  ZComment,
  ZCreateComment,
  ZCreateTicket,
  ZListPage,
  ZListTickets,
  ZTicketEvent,
  ZTicketForCaller,
  ZUpdateTicket,
} from "../../tickets/schemas";
import { ticketEvents } from "../../tickets/ticket-events";
import { updateVersionedTicket } from "../../tickets/update-ticket";
import { ifMatchVersions, withEtag } from "../if-match";
import { defineOperation } from "../operation";

// Tickets and their conversation. Every one admits any signed-in caller: what they may see and
// change is the domain's rule, applied after the ticket is found (so another's ticket is a 404).

const ETAG =
  'The ticket\'s version ("7"), bumped by every change to it: send it as If-Match with a PATCH so it applies only to this version';

export const TICKET_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/tickets",
    operationId: "listTickets",
    summary:
      "List tickets you may see (filters, sort, full-text q, keyset cursor). Customers get the customer view (no priority, tags, assignee; " +
      "SLA fields only when the org shows them) and a 403 for filters or sorts on those fields",
    description:
      "Custom fields: `cf.<key>=<value>` (one parameter per field, e.g. `?cf.plan=pro&cf.seats=5`) keeps the tickets whose field `key` " +
      "(GET /api/v1/fields) has that value, read by the field's type: a number, `true`/`false`, a date `YYYY-MM-DD`, one of its options " +
      "(multiselect: tickets whose selection includes it). An unknown field or a value of the wrong type is 400; customers may filter on " +
      "customer-visible fields only (403).",
    tag: "tickets",
    can: "signed-in",
    query: ZListTickets,
    status: 200,
    response: page(ZTicketForCaller),
    ...LIST_TICKETS_ADMISSION,
    handler: (scope, { query }) => listTickets(scope, query),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/tickets",
    operationId: "createTicket",
    idempotent: true,
    summary:
      "Open a ticket with its first message (priority and tags are staff-only: a customer sending them gets 403 naming the fields)",
    tag: "tickets",
    can: "signed-in",
    body: ZCreateTicket,
    status: 201,
    response: ZTicketForCaller,
    handler: (scope, { body }) => createTicket(scope, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/tickets/{id}",
    operationId: "getTicket",
    summary:
      "A ticket with its SLA state (customers: the customer view; SLA state only when the org shows it to customers)",
    tag: "tickets",
    can: "signed-in",
    params: zUuidParam,
    status: 200,
    response: ZTicketForCaller,
    responseHeaders: { ETag: ETAG },
    handler: async (scope, { params }) => {
      const { ticket, version } = await getVersionedTicket(scope, params.id);
      return withEtag(ticket, version);
    },
  }),
  defineOperation({
    method: "PATCH",
    path: "/api/v1/tickets/{id}",
    operationId: "updateTicket",
    summary:
      "Change status, priority, assignee, subject or tags (per role). tags replaces the whole list; addTags/removeTags change the tags as they are " +
      "when the change applies (so concurrent tag edits all survive) and cannot be combined with tags (400)",
    tag: "tickets",
    can: "signed-in",
    params: zUuidParam,
    body: ZUpdateTicket,
    requestHeaders: {
      "If-Match":
        "The ETag of the version your change is based on: if the ticket has changed since, nothing changes and the answer is " +
        "412 precondition_failed with the current version in details. Without it (or with *) the change applies whatever the version",
    },
    status: 200,
    response: ZTicketForCaller,
    responseHeaders: { ETag: "The ticket's version after the change" },
    handler: async (scope, { params, body, headers }) => {
      const { ticket, version } = await updateVersionedTicket(scope, params.id, body, ifMatchVersions(headers));
      return withEtag(ticket, version);
    },
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/tickets/{id}/comments",
    operationId: "listComments",
    summary: "The conversation (internal notes for staff only)",
    tag: "tickets",
    can: "signed-in",
    params: zUuidParam,
    query: ZListPage,
    status: 200,
    response: page(ZComment),
    handler: (scope, { params, query }) => listComments(scope, params.id, query),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/tickets/{id}/comments",
    operationId: "addComment",
    idempotent: true,
    summary: "Reply publicly or add an internal note (staff)",
    tag: "tickets",
    can: "signed-in",
    params: zUuidParam,
    body: ZCreateComment,
    status: 201,
    response: ZComment,
    handler: (scope, { params, body }) => addComment(scope, params.id, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/tickets/{id}/events",
    operationId: "listTicketEvents",
    summary: "Audit and SLA history of a ticket",
    tag: "tickets",
    can: "signed-in",
    // Staff only (ticket.events), checked once the ticket is found: a ticket a customer cannot see stays a 404.
    domainCan: "staff",
    params: zUuidParam,
    query: ZListPage,
    status: 200,
    response: page(ZTicketEvent),
    handler: (scope, { params, query }) => ticketEvents(scope, params.id, query),
  }),
];
