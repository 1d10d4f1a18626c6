import "server-only";
import { zUuidParam } from "../../http/route";
import { getBulkJob, startBulk } from "../../bulk/start-bulk";
import { ZBulkInput, ZBulkJob } from "../../bulk/schemas";
import { defineOperation } from "../operation";

// Bulk ticket changes from the list (SPEC §13, issue 14 item 3, docs/decisions/050-custom-fields-views-bulk.md).

export const BULK_OPERATIONS = [
  defineOperation({
    method: "POST",
    path: "/api/v1/tickets/bulk",
    operationId: "startBulkTicketChange",
    idempotent: true,
    summary:
      "Change many tickets as one background job: the selected ticketIds or every ticket matching filters (at most 10,000), set as a PATCH body or a macro's actions",
    description:
      "Answers the job at once (state queued); GET /api/v1/bulk-jobs/{id} shows its progress and, per ticket that could not change, why. Each ticket is changed, checked and audited as its own PATCH would be.",
    tag: "tickets",
    can: "staff",
    body: ZBulkInput,
    status: 201,
    response: ZBulkJob,
    // A macroId the caller may not use (another org's, someone else's personal one, none at all).
    errors: ["not_found"],
    handler: (scope, { body }) => startBulk(scope, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/bulk-jobs/{id}",
    operationId: "getBulkTicketChange",
    summary: "A bulk change's progress (processed of total, changed) and the tickets that could not change, with why",
    tag: "tickets",
    can: "staff",
    params: zUuidParam,
    status: 200,
    response: ZBulkJob,
    handler: (scope, { params }) => getBulkJob(scope, params.id),
  }),
];
