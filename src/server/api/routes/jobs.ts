import "server-only";
import { z } from "zod";
import { zUuidParam } from "../../http/route";
import {
  dropOrgDeadLetter,
  listOrgDeadLetters,
  replayOrgDeadLetter,
  ZDeadLetterItem,
  ZListDeadLetters,
  ZReplayed,
} from "../../jobs/manage-dead-letters";
import { defineOperation } from "../operation";

export const JOB_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/jobs/dead",
    operationId: "listDeadLetters",
    summary:
      "The org's dead letters (email notifications and webhook deliveries that failed every retry), newest first",
    tag: "jobs",
    can: "org.admin",
    query: ZListDeadLetters,
    status: 200,
    response: z.object({
      data: z.array(ZDeadLetterItem),
      hasMore: z.boolean().meta({
        description:
          "More dead letters wait behind these (the list has no cursor: replay or drop these, or narrow by queue)",
      }),
    }),
    handler: (scope, { query }) => listOrgDeadLetters(scope, query),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/jobs/dead/{id}/replay",
    operationId: "replayDeadLetter",
    summary:
      "Send a dead letter again, once, with its original payload and its queue's retry policy (audited; nothing already delivered is sent twice)",
    tag: "jobs",
    can: "org.admin",
    params: zUuidParam,
    status: 200,
    response: ZReplayed,
    handler: (scope, { params }) => replayOrgDeadLetter(scope, params.id),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/jobs/dead/{id}",
    operationId: "dropDeadLetter",
    summary: "Drop a dead letter for good (audited)",
    tag: "jobs",
    can: "org.admin",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => dropOrgDeadLetter(scope, params.id),
  }),
];
