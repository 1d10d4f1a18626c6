import "server-only";
import type { ImportRunOptions, ImportRunResult } from "../import-run";
import { runPasses } from "../run-passes";
import { sourcePasses } from "../source-files";
import { writeOrganizations, writeUsers } from "./write-people";
import { prepareTickets, writeTickets, zendeskTicketFiles } from "./write-tickets";
import { writeTicketFields } from "./write-fields";
import { writeGroupMemberships, writeGroups } from "./write-groups";

/** The record types of a Zendesk export, in the order they are imported (tickets name fields, groups and users; memberships name groups and users). */
export const ZENDESK_TYPES = [
  { type: "ticket_field", key: "ticket_fields" },
  { type: "group", key: "groups" },
  { type: "organization", key: "organizations" },
  { type: "user", key: "users" },
  { type: "group_membership", key: "group_memberships" },
  { type: "ticket", key: "tickets" },
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
    const { passes, ignored } = await sourcePasses(opts.input, ZENDESK_TYPES, { unnamed: "pages" });
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
      },
      files: { ticket: { owner: "ticket", wanted: zendeskTicketFiles } },
      prepare: { ticket: prepareTickets },
    };
  });
}
