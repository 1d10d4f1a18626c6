import "server-only";
import { page, ZListPage } from "../../tickets/schemas";
import { zUuidParam } from "../../http/route";
import {
  createWebhook,
  deleteWebhook,
  getVersionedWebhook,
  listDeliveries,
  listWebhooks,
  updateVersionedWebhook,
  ZCreateWebhook,
  ZDelivery,
  ZListDeliveries,
  ZUpdateWebhook,
  ZWebhook,
} from "../../webhooks/manage-webhooks";
import { ifMatchVersions, withEtag } from "../if-match";
import { defineOperation } from "../operation";

export const WEBHOOK_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/webhooks",
    operationId: "listWebhooks",
    summary: "Webhooks of the org, oldest first",
    tag: "webhooks",
    can: "org.admin",
    query: ZListPage,
    status: 200,
    response: page(ZWebhook),
    handler: (scope, { query }) => listWebhooks(scope, query),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/webhooks",
    operationId: "createWebhook",
    idempotent: true,
    summary:
      "Create a webhook; its signing secret is returned once (503 feature_disabled while the webhooks feature is off)",
    tag: "webhooks",
    can: "org.admin",
    body: ZCreateWebhook,
    status: 201,
    response: ZWebhook,
    // Switched off, existing webhooks can still be read, changed, deactivated and deleted; no new one.
    feature: "webhooks",
    handler: (scope, { body }) => createWebhook(scope, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/webhooks/{id}",
    operationId: "getWebhook",
    summary: "One webhook (its secret is never shown again: only its hint)",
    tag: "webhooks",
    can: "org.admin",
    params: zUuidParam,
    status: 200,
    response: ZWebhook,
    responseHeaders: {
      ETag: 'The webhook\'s version ("7"), bumped by every change to it: send it as If-Match with a PATCH',
    },
    handler: async (scope, { params }) => {
      const { webhook, version } = await getVersionedWebhook(scope, params.id);
      return withEtag(webhook, version);
    },
  }),
  defineOperation({
    method: "PATCH",
    path: "/api/v1/webhooks/{id}",
    operationId: "updateWebhook",
    summary: "Change a webhook or rotate its secret",
    tag: "webhooks",
    can: "org.admin",
    params: zUuidParam,
    body: ZUpdateWebhook,
    requestHeaders: {
      "If-Match":
        "The ETag of the version your change is based on: if the webhook has changed since, nothing changes and the answer is " +
        "412 precondition_failed with the current version in details. Without it (or with *) the change applies whatever the version",
    },
    status: 200,
    response: ZWebhook,
    responseHeaders: { ETag: "The webhook's version after the change" },
    handler: async (scope, { params, body, headers }) => {
      const { webhook, version } = await updateVersionedWebhook(scope, params.id, body, ifMatchVersions(headers));
      return withEtag(webhook, version);
    },
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/webhooks/{id}",
    operationId: "deleteWebhook",
    summary: "Delete a webhook",
    tag: "webhooks",
    can: "org.admin",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => deleteWebhook(scope, params.id),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/webhooks/{id}/deliveries",
    operationId: "listWebhookDeliveries",
    summary: "A webhook's deliveries, newest first",
    tag: "webhooks",
    can: "org.admin",
    params: zUuidParam,
    query: ZListDeliveries,
    status: 200,
    response: page(ZDelivery),
    handler: (scope, { params, query }) => listDeliveries(scope, params.id, query),
  }),
];
