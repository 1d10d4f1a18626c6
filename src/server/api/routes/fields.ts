import "server-only";
import { z } from "zod";
import { zUuidParam } from "../../http/route";
import {
  createField,
  deleteField,
  getVersionedField,
  listFields,
  updateVersionedField,
} from "../../fields/manage-fields";
import { ZField, ZFieldInput, ZFieldPatch } from "../../fields/schemas";
import { ifMatchVersions, withEtag } from "../if-match";
import { defineOperation } from "../operation";

// Custom ticket fields (SPEC §13, issue 14 item 1, docs/decisions/050-custom-fields-views-bulk.md):
// admins define them; tickets carry their values as `customFields`.

const IF_MATCH =
  "The ETag of the version your change is based on: if the field has changed since, nothing changes and the answer is " +
  "412 precondition_failed with the current version in details. Without it (or with *) the change applies whatever the version";

export const FIELD_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/fields",
    operationId: "listTicketFields",
    summary:
      "The org's custom ticket fields in display order (customers: the customer-visible ones, for their new-ticket form)",
    tag: "fields",
    can: "signed-in",
    status: 200,
    response: z.object({ data: z.array(ZField) }),
    handler: (scope) => listFields(scope),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/fields",
    operationId: "createTicketField",
    idempotent: true,
    summary:
      "Define a custom ticket field (409 when the key is taken); its values go in tickets' customFields under its key",
    tag: "fields",
    can: "org.admin",
    body: ZFieldInput,
    status: 201,
    response: ZField,
    handler: (scope, { body }) => createField(scope, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/fields/{id}",
    operationId: "getTicketField",
    summary: "One custom ticket field",
    tag: "fields",
    can: "org.admin",
    params: zUuidParam,
    status: 200,
    response: ZField,
    responseHeaders: {
      ETag: 'The field\'s version ("7"), bumped by every change to it: send it as If-Match with a PATCH',
    },
    handler: async (scope, { params }) => {
      const { field, version } = await getVersionedField(scope, params.id);
      return withEtag(field, version);
    },
  }),
  defineOperation({
    method: "PATCH",
    path: "/api/v1/fields/{id}",
    operationId: "updateTicketField",
    summary: "Change a field's label, options, flags or position (key and type are fixed; stored values are kept)",
    tag: "fields",
    can: "org.admin",
    params: zUuidParam,
    body: ZFieldPatch,
    requestHeaders: { "If-Match": IF_MATCH },
    status: 200,
    response: ZField,
    responseHeaders: { ETag: "The field's version after the change" },
    handler: async (scope, { params, body, headers }) => {
      const { field, version } = await updateVersionedField(scope, params.id, body, ifMatchVersions(headers));
      return withEtag(field, version);
    },
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/fields/{id}",
    operationId: "deleteTicketField",
    summary: "Delete a field and its values on every ticket of the org",
    tag: "fields",
    can: "org.admin",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => deleteField(scope, params.id),
  }),
];
