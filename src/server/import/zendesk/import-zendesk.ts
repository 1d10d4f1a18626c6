import "server-only";
import path from "node:path";
import type { ImportRunOptions, ImportRunResult } from "../import-run";
import { ATTACHMENTS_DIR, exportFilesRoot, withExportFiles } from "../export-files";
import { runPasses } from "../run-passes";
import { sourcePasses } from "../source-files";
import { writeOrganizations, writeUsers } from "./write-people";
import { prepareTickets, writeTickets, zendeskTicketFiles } from "./write-tickets";
import { writeTicketFields } from "./write-fields";
import { writeGroupMemberships, writeGroups } from "./write-groups";
import { writeMetricEvents, writeMetricSets, writeSatisfactionRatings, writeTicketMetrics } from "./write-history";

/** The record types of a Zendesk export, in the order they are imported (tickets name fields, groups and users; memberships name groups and users). */
export const ZENDESK_TYPES = [
  { type: "ticket_field", key: "ticket_fields" },
  { type: "group", key: "groups" },
  { type: "organization", key: "organizations" },
  { type: "user", key: "users" },
  { type: "group_membership", key: "group_memberships" },
  { type: "ticket", key: "tickets" },
  // Recorded history names its tickets, so it comes after them (decision 061).
  { type: "sla_event", key: "ticket_metric_events" },
  { type: "ticket_metric", key: "ticket_metrics" },
  // The incremental ticket export's sideload (include=metric_sets): the same records under another key.
  { type: "metric_set", key: "metric_sets" },
  { type: "satisfaction_rating", key: "satisfaction_ratings" },
] as const;

/** A Zendesk export: a directory of JSON/NDJSON files, or one file. */
export type ZendeskImportOptions = ImportRunOptions;

/**
 * Imports a Zendesk export into one org, resumably (runPasses): ticket fields, groups,
 * organizations, users, memberships, then tickets with their comments and attachments.
 */
export function runZendeskImport(opts: ZendeskImportOptions): Promise<ImportRunResult> {
  return runPasses(opts, "zendesk", async () => {
    // Unnamed JSON files are incremental export pages, read once per type for what they sideload.
    // Attachment files given in the export (attachments/<id>/<name>) are stored instead of downloaded, and not read as records.
    const filesRoot = await exportFilesRoot(opts.input);
    const { passes, ignored } = await sourcePasses(opts.input, ZENDESK_TYPES, {
      unnamed: "pages",
      skipDirs: filesRoot ? [path.relative(path.resolve(opts.input), path.join(filesRoot, ATTACHMENTS_DIR))] : [],
    });
    return {
      passes,
      ignored,
      writers: {
        ticket_field: writeTicketFields,
        group: writeGroups,
        organization: writeOrganizations,
        user: writeUsers,
        group_membership: writeGroupMemberships,
        ticket: writeTickets,
        sla_event: writeMetricEvents,
        ticket_metric: writeTicketMetrics,
        metric_set: writeMetricSets,
        satisfaction_rating: writeSatisfactionRatings,
      },
      files: {
        ticket: {
          owner: "ticket",
          wanted: (recs) => {
            const wanted = zendeskTicketFiles(recs);
            return filesRoot && wanted.length ? withExportFiles(filesRoot, wanted) : wanted;
          },
        },
      },
      prepare: { ticket: prepareTickets },
    };
  });
}
