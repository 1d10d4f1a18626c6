import { z } from "zod";
import type { Operation } from "../http/api-spec";
import { ZDeadLetterItem, ZListDeadLetters, ZReplayed } from "./manage-dead-letters";

/** OpenAPI entries for the org's dead letters (merged into the document by src/server/http/api-spec.ts). */
export const JOB_OPERATIONS: Operation[] = [
  { method: "GET", path: "/api/v1/jobs/dead", summary: "The org's dead letters (email notifications and webhook deliveries that failed every retry), newest first", tag: "jobs", auth: "admin", query: ZListDeadLetters, status: 200, response: z.object({ data: z.array(ZDeadLetterItem) }) },
  { method: "POST", path: "/api/v1/jobs/dead/{id}/replay", summary: "Send a dead letter again, once, with its original payload and its queue's retry policy (audited; nothing already delivered is sent twice)", tag: "jobs", auth: "admin", pathId: true, status: 200, response: ZReplayed },
  { method: "DELETE", path: "/api/v1/jobs/dead/{id}", summary: "Drop a dead letter for good (audited)", tag: "jobs", auth: "admin", pathId: true, status: 204, response: null },
];
