import "server-only";
import type { ImportRunOptions, ImportRunResult } from "../import-run";
import { readRecords } from "../read-records";
import { runPasses } from "../run-passes";
import { zendeskPasses } from "./source-files";
import { writeOrganizations, writeUsers } from "./write-people";
import { writeTickets, zendeskTicketFiles } from "./write-tickets";
import { writeTicketFields } from "./write-fields";
import { writeGroupMemberships, writeGroups } from "./write-groups";

/** A Zendesk export: a directory of JSON/NDJSON files, or one file. */
export type ZendeskImportOptions = ImportRunOptions;

/**
 * Imports a Zendesk export into one org, resumably (runPasses): ticket fields, groups,
 * organizations, users, memberships, then tickets with their comments and attachments.
 */
export function runZendeskImport(opts: ZendeskImportOptions): Promise<ImportRunResult> {
  return runPasses(opts, "zendesk", async () => {
    const { passes, ignored } = await zendeskPasses(opts.input);
    return {
      passes: passes.map((p) => ({ ...p, read: () => readRecords(p.file, p.key, p.bare) })),
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
    };
  });
}
