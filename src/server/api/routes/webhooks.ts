import "server-only";
import { page, ZListPage } from "../../tickets/schemas";
import { zUuidParam } from "../../http/route";
import {
  createWebhook, deleteWebhook, listDeliveries, listWebhooks, updateWebhook, ZCreateWebhook, ZDelivery, ZListDeliveries, ZUpdateWebhook, ZWebhook,
} from "../../webhooks/manage-webhooks";
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
    summary: "Create a webhook; its signing secret is returned once (503 feature_disabled while the webhooks feature is off)",
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
    method: "PATCH",
    path: "/api/v1/webhooks/{id}",
    operationId: "updateWebhook",
    summary: "Change a webhook or rotate its secret",
    tag: "webhooks",
    can: "org.admin",
    params: zUuidParam,
    body: ZUpdateWebhook,
    status: 200,
    response: ZWebhook,
    handler: (scope, { params, body }) => updateWebhook(scope, params.id, body),
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
