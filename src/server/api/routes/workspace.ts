import "server-only";
import { z } from "zod";
import { zUuidParam } from "../../http/route";
import { mergeTicket, ZMergeResult, ZMergeTicket } from "../../tickets/merge-ticket";
import { linkTicket, listTicketLinks, unlinkTicket, ZCreateTicketLink, ZTicketLink, ZTicketLinks } from "../../tickets/ticket-links";
import { defineOperation } from "../operation";

// Merge and link (issue 14 item 4, SPEC §13, docs/decisions/051-merge-customer-context-csat.md).
// Agents and admins only; a ticket of another org is a 404 like a made-up id.

const zTicketPair = z.object({ id: z.uuid({ message: "must be a UUID" }), otherId: z.uuid({ message: "must be a UUID" }) });

const MERGE_OPERATIONS = [
  defineOperation({
    method: "POST", path: "/api/v1/tickets/{id}/merge", operationId: "mergeTicket", idempotent: true,
    summary: "Merge this ticket (a duplicate) into another ticket of the org, named by ticketId or number: its comments, files, CCs and email threading move there; it is closed pointing at the target",
    description:
      "Both tickets are audited (ticket.merged, ticket.merge_received). With notifyRequesters, each requester is emailed the org's \"merged\" template " +
      "(when the org sends email). 400 when the target is the ticket itself or neither/both of ticketId and number are given; 409 when either ticket is closed.",
    tag: "tickets", can: "staff", params: zUuidParam, body: ZMergeTicket, status: 200, response: ZMergeResult, errors: ["not_found", "conflict"],
    handler: (scope, { params, body }) => mergeTicket(scope, params.id, body),
  }),
  defineOperation({
    method: "GET", path: "/api/v1/tickets/{id}/links", operationId: "listTicketLinks",
    summary: "Related tickets (linked either way), the ticket this one was merged into, and the tickets merged into it",
    tag: "tickets", can: "staff", params: zUuidParam, status: 200, response: ZTicketLinks,
    handler: (scope, { params }) => listTicketLinks(scope, params.id),
  }),
  defineOperation({
    method: "POST", path: "/api/v1/tickets/{id}/links", operationId: "linkTicket", idempotent: true,
    summary: "Link a related ticket of the org (by ticketId or number); both tickets show the link; already linked: the same link",
    tag: "tickets", can: "staff", params: zUuidParam, body: ZCreateTicketLink, status: 201, response: ZTicketLink, errors: ["not_found", "conflict"],
    handler: (scope, { params, body }) => linkTicket(scope, params.id, body),
  }),
  defineOperation({
    method: "DELETE", path: "/api/v1/tickets/{id}/links/{otherId}", operationId: "unlinkTicket",
    summary: "Remove the link between two tickets (404 when they are not linked)",
    tag: "tickets", can: "staff", params: zTicketPair, status: 204, response: null,
    handler: (scope, { params }) => unlinkTicket(scope, params.id, params.otherId),
  }),
];

export const WORKSPACE_OPERATIONS = [...MERGE_OPERATIONS];
