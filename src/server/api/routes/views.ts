import "server-only";
import { z } from "zod";
import { zUuidParam } from "../../http/route";
import {
  createView,
  deleteView,
  getVersionedView,
  listViews,
  reorderViews,
  updateVersionedView,
} from "../../views/manage-views";
import { ZView, ZViewInput, ZViewOrder, ZViewPatch } from "../../views/schemas";
import { ifMatchVersions, withEtag } from "../if-match";
import { defineOperation } from "../operation";

// Saved views (SPEC §13, issue 14 item 2, docs/decisions/050-custom-fields-views-bulk.md).

const tag = "views";
export const VIEW_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/views",
    operationId: "listViews",
    summary:
      "The caller's views in sidebar order (personal, the org's, their groups'; the built-in ones included) with their ticket counts (capped at 1,001)",
    tag,
    can: "staff",
    status: 200,
    response: z.object({ data: z.array(ZView) }),
    handler: (scope) => listViews(scope),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/views",
    operationId: "createView",
    idempotent: true,
    summary:
      "Save a view: GET /tickets filters (cf.<key> included), columns and sort; personal (any agent) or shared with the org or a group (admins)",
    tag,
    can: "staff",
    body: ZViewInput,
    status: 201,
    response: ZView,
    handler: (scope, { body }) => createView(scope, body),
  }),
  defineOperation({
    method: "PUT",
    path: "/api/v1/views/order",
    operationId: "reorderViews",
    summary: "Set the order of the shared views (admins): ids lists every shared view exactly once, first to last",
    tag,
    can: "org.admin",
    body: ZViewOrder,
    status: 200,
    response: z.object({ data: z.array(ZView) }),
    handler: (scope, { body }) => reorderViews(scope, body.ids),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/views/{id}",
    operationId: "getView",
    summary: "One view the caller may see",
    tag,
    can: "staff",
    params: zUuidParam,
    status: 200,
    response: ZView,
    responseHeaders: { ETag: 'The view\'s version ("7"): send it as If-Match with a PATCH' },
    handler: async (scope, { params }) => {
      const { view, version } = await getVersionedView(scope, params.id);
      return withEtag(view, version);
    },
  }),
  defineOperation({
    method: "PATCH",
    path: "/api/v1/views/{id}",
    operationId: "updateView",
    summary: "Change a view (personal: its owner; shared: admins), or hide/show a shared one",
    tag,
    can: "staff",
    params: zUuidParam,
    body: ZViewPatch,
    requestHeaders: {
      "If-Match":
        "The ETag of the version your change is based on: 412 precondition_failed with the current version when it has changed since",
    },
    status: 200,
    response: ZView,
    responseHeaders: { ETag: "The view's version after the change" },
    handler: async (scope, { params, body, headers }) => {
      const { view, version } = await updateVersionedView(scope, params.id, body, ifMatchVersions(headers));
      return withEtag(view, version);
    },
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/views/{id}",
    operationId: "deleteView",
    summary: "Delete a view (personal: its owner; shared: admins); built-in views are hidden instead (409)",
    tag,
    can: "staff",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => deleteView(scope, params.id),
  }),
];
