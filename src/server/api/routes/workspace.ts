import "server-only";
import { z } from "zod";
import { zUuidParam } from "../../http/route";
import { mergeTicket, ZMergeResult, ZMergeTicket } from "../../tickets/merge-ticket";
import {
  linkTicket,
  listTicketLinks,
  unlinkTicket,
  ZCreateTicketLink,
  ZTicketLink,
  ZTicketLinks,
} from "../../tickets/ticket-links";
import {
  addCustomerNote,
  createCustomerOrg,
  customerContext,
  deleteCustomerNote,
  deleteCustomerOrg,
  getCustomerOrg,
  listCustomerOrgs,
  updateCustomerOrg,
  ZCreateCustomerNote,
  ZCustomerContext,
  ZCustomerNote,
  ZCustomerOrg,
  ZCustomerOrgInput,
  ZCustomerOrgPatch,
} from "../../customers/customer-orgs";
import {
  rateByLink,
  rateTicket,
  ratingByLink,
  ticketSatisfaction,
  ZLinkSatisfaction,
  ZRate,
  ZRatingToken,
  ZSatisfaction,
} from "../../csat/ratings";
import { ifMatchVersions, withEtag } from "../if-match";
import { defineOperation } from "../operation";

// Merge and link (issue 14 item 4, SPEC §13, docs/decisions/051-merge-customer-context-csat.md).
// Agents and admins only; a ticket of another org is a 404 like a made-up id.

const zTicketPair = z.object({
  id: z.uuid({ message: "must be a UUID" }),
  otherId: z.uuid({ message: "must be a UUID" }),
});

const MERGE_OPERATIONS = [
  defineOperation({
    method: "POST",
    path: "/api/v1/tickets/{id}/merge",
    operationId: "mergeTicket",
    idempotent: true,
    summary:
      "Merge this ticket (a duplicate) into another ticket of the org, named by ticketId or number: its comments, files, CCs and email threading move there; it is closed pointing at the target",
    description:
      'Both tickets are audited (ticket.merged, ticket.merge_received). With notifyRequesters, each requester is emailed the org\'s "merged" template ' +
      "(when the org sends email). 400 when the target is the ticket itself or neither/both of ticketId and number are given; 409 when either ticket is closed.",
    tag: "tickets",
    can: "staff",
    params: zUuidParam,
    body: ZMergeTicket,
    status: 200,
    response: ZMergeResult,
    errors: ["not_found", "conflict"],
    handler: (scope, { params, body }) => mergeTicket(scope, params.id, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/tickets/{id}/links",
    operationId: "listTicketLinks",
    summary: "Related tickets (linked either way), the ticket this one was merged into, and the tickets merged into it",
    tag: "tickets",
    can: "staff",
    params: zUuidParam,
    status: 200,
    response: ZTicketLinks,
    handler: (scope, { params }) => listTicketLinks(scope, params.id),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/tickets/{id}/links",
    operationId: "linkTicket",
    idempotent: true,
    summary:
      "Link a related ticket of the org (by ticketId or number); both tickets show the link; already linked: the same link",
    tag: "tickets",
    can: "staff",
    params: zUuidParam,
    body: ZCreateTicketLink,
    status: 201,
    response: ZTicketLink,
    errors: ["not_found", "conflict"],
    handler: (scope, { params, body }) => linkTicket(scope, params.id, body),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/tickets/{id}/links/{otherId}",
    operationId: "unlinkTicket",
    summary: "Remove the link between two tickets (404 when they are not linked)",
    tag: "tickets",
    can: "staff",
    params: zTicketPair,
    status: 204,
    response: null,
    handler: (scope, { params }) => unlinkTicket(scope, params.id, params.otherId),
  }),
];

// Customer companies (domain matching) and notes about customers (issue 14 item 6).
const CUSTOMER_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/customer-orgs",
    operationId: "listCustomerOrgs",
    summary:
      "The org's customer organizations (companies) by name, with their email domains and how many customers match them",
    tag: "customers",
    can: "staff",
    status: 200,
    response: z.object({ data: z.array(ZCustomerOrg) }),
    handler: (scope) => listCustomerOrgs(scope),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/customer-orgs",
    operationId: "createCustomerOrg",
    idempotent: true,
    summary:
      "Create a customer organization; customers whose email domain is one of its domains belong to it (409 when a domain or the name is taken)",
    tag: "customers",
    can: "org.admin",
    body: ZCustomerOrgInput,
    status: 201,
    response: ZCustomerOrg,
    errors: ["conflict"],
    handler: (scope, { body }) => createCustomerOrg(scope, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/customer-orgs/{id}",
    operationId: "getCustomerOrg",
    summary: "One customer organization",
    tag: "customers",
    can: "staff",
    params: zUuidParam,
    status: 200,
    response: ZCustomerOrg,
    responseHeaders: {
      ETag: 'The organization\'s version ("7"), bumped by every change to it: send it as If-Match with a PATCH',
    },
    handler: async (scope, { params }) => {
      const { org, version } = await getCustomerOrg(scope, params.id);
      return withEtag(org, version);
    },
  }),
  defineOperation({
    method: "PATCH",
    path: "/api/v1/customer-orgs/{id}",
    operationId: "updateCustomerOrg",
    summary: "Change a customer organization's name, domains (the whole list) or notes",
    tag: "customers",
    can: "org.admin",
    params: zUuidParam,
    body: ZCustomerOrgPatch,
    requestHeaders: {
      "If-Match":
        "The ETag of the version your change is based on: if the organization has changed since, nothing changes and the answer is " +
        "412 precondition_failed with the current version in details. Without it (or with *) the change applies whatever the version",
    },
    status: 200,
    response: ZCustomerOrg,
    errors: ["conflict"],
    responseHeaders: { ETag: "The organization's version after the change" },
    handler: async (scope, { params, body, headers }) => {
      const { org, version } = await updateCustomerOrg(scope, params.id, body, ifMatchVersions(headers));
      return withEtag(org, version);
    },
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/customer-orgs/{id}",
    operationId: "deleteCustomerOrg",
    summary: "Delete a customer organization (its customers stay, without an organization)",
    tag: "customers",
    can: "org.admin",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => deleteCustomerOrg(scope, params.id),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/customers/{id}/context",
    operationId: "getCustomerContext",
    summary:
      "What staff see beside a requester's ticket: the person, their organization (by email domain), notes about them, their recent tickets",
    tag: "customers",
    can: "staff",
    params: zUuidParam,
    status: 200,
    response: ZCustomerContext,
    handler: (scope, { params }) => customerContext(scope, params.id),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/customers/{id}/notes",
    operationId: "addCustomerNote",
    idempotent: true,
    summary: "Add a staff-only note about a person (customers never see notes)",
    tag: "customers",
    can: "staff",
    params: zUuidParam,
    body: ZCreateCustomerNote,
    status: 201,
    response: ZCustomerNote,
    handler: (scope, { params, body }) => addCustomerNote(scope, params.id, body),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/customers/{id}/notes/{noteId}",
    operationId: "deleteCustomerNote",
    summary: "Delete a note about a person (its author or an admin)",
    tag: "customers",
    can: "staff",
    params: z.object({ id: z.uuid({ message: "must be a UUID" }), noteId: z.uuid({ message: "must be a UUID" }) }),
    status: 204,
    response: null,
    handler: (scope, { params }) => deleteCustomerNote(scope, params.id, params.noteId),
  }),
];

// Satisfaction ratings (issue 14 item 7): by the signed link of the solve email, or in the portal.
const CSAT_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/satisfaction/{token}",
    operationId: "getRatingByLink",
    summary:
      "The ticket a rating link is for and its rating now, with the link for the next change (no sign-in: the signed link is the credential)",
    tag: "satisfaction",
    can: "public",
    params: ZRatingToken,
    status: 200,
    response: ZLinkSatisfaction,
    errors: ["not_found"],
    handler: (_call, { params }) => ratingByLink(params.token),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/satisfaction/{token}",
    operationId: "rateByLink",
    summary:
      "Rate a solved ticket good or bad (optional comment) by its signed link; each link changes the rating once and the answer carries the next link",
    description:
      "404 when the link is altered, forged or of another deployment; 409 when the link was used already, or the ticket is not solved or closed.",
    tag: "satisfaction",
    can: "public",
    params: ZRatingToken,
    body: ZRate,
    status: 200,
    response: ZLinkSatisfaction,
    errors: ["not_found", "conflict"],
    handler: (call, { params, body }) => rateByLink(params.token, body, call.requestId),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/tickets/{id}/satisfaction",
    operationId: "getTicketSatisfaction",
    summary: "A ticket's satisfaction rating (its requester and staff)",
    tag: "satisfaction",
    can: "signed-in",
    params: zUuidParam,
    status: 200,
    response: ZSatisfaction,
    handler: (scope, { params }) => ticketSatisfaction(scope, params.id),
  }),
  defineOperation({
    method: "PUT",
    path: "/api/v1/tickets/{id}/satisfaction",
    operationId: "rateTicket",
    summary:
      "The requester rates their solved ticket good or bad, with an optional comment, or changes the rating (staff: 403; not solved or closed: 409)",
    tag: "satisfaction",
    can: "signed-in",
    params: zUuidParam,
    body: ZRate,
    status: 200,
    response: ZSatisfaction,
    errors: ["conflict"],
    handler: (scope, { params, body }) => rateTicket(scope, params.id, body),
  }),
];

export const WORKSPACE_OPERATIONS = [...MERGE_OPERATIONS, ...CUSTOMER_OPERATIONS, ...CSAT_OPERATIONS];
