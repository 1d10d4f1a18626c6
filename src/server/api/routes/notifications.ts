import "server-only";
import { z } from "zod";
import {
  listNotifications,
  markRead,
  ZListNotifications,
  ZMarkRead,
  ZNotification,
} from "../../notifications/list-notifications";
import { page } from "../../tickets/schemas";
import { defineOperation } from "../operation";

export const NOTIFICATION_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/notifications",
    operationId: "listNotifications",
    summary: "Your notifications, newest first, with the unread count",
    tag: "notifications",
    can: "signed-in",
    query: ZListNotifications,
    status: 200,
    response: page(ZNotification).extend({ unreadCount: z.number().int() }),
    handler: (scope, { query }) => listNotifications(scope, query),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/notifications/read",
    operationId: "markNotificationsRead",
    summary: "Mark some ({ids}) or all ({all: true}) of your notifications read",
    tag: "notifications",
    can: "signed-in",
    body: ZMarkRead,
    status: 200,
    response: z.object({ updated: z.number().int() }),
    handler: (scope, { body }) => markRead(scope, body),
  }),
];
