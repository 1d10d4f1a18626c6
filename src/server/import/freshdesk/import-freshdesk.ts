import "server-only";
import type { ImportRunOptions, ImportRunResult } from "../import-run";
import { runPasses } from "../run-passes";
import { sourcePasses } from "../source-files";
import { writeAgents, writeCompanies, writeContacts } from "./write-people";
import { writeGroups } from "./write-groups";
import { writeSatisfactionRatings } from "./write-ratings";
import { writeTicketFields } from "./write-fields";
import { freshdeskConversationFiles, freshdeskTicketFiles, writeConversations, writeTickets } from "./write-tickets";

/**
 * The files of a Freshdesk export, named for what they hold, in the order they are imported:
 * fields first (tickets carry their values), people before groups (groups list their agents) and
 * tickets, conversations last (they name their tickets).
 */
export const FRESHDESK_TYPES = [
  { type: "ticket_field", key: "ticket_fields" },
  { type: "company", key: "companies" },
  { type: "contact", key: "contacts" },
  { type: "agent", key: "agents" },
  { type: "group", key: "groups" },
  { type: "ticket", key: "tickets" },
  { type: "comment", key: "conversations" },
  { type: "satisfaction_rating", key: "satisfaction_ratings" },
] as const;

/**
 * Imports a Freshdesk export (API v2 JSON as a migration tool saves it: arrays, API pages, NDJSON)
 * into one org, resumably (runPasses). Files not named for a type are listed, not read.
 */
export function runFreshdeskImport(opts: ImportRunOptions): Promise<ImportRunResult> {
  return runPasses(opts, "freshdesk", async () => {
    const { passes, ignored } = await sourcePasses(opts.input, FRESHDESK_TYPES, {
      unnamed: "ignore",
      keyed: ["comment"],
    });
    return {
      passes,
      ignored,
      writers: {
        ticket_field: writeTicketFields,
        company: writeCompanies,
        contact: writeContacts,
        agent: writeAgents,
        group: writeGroups,
        ticket: writeTickets,
        comment: writeConversations,
        satisfaction_rating: writeSatisfactionRatings,
      },
      files: {
        ticket: { owner: "ticket", wanted: freshdeskTicketFiles },
        comment: { owner: "comment", wanted: freshdeskConversationFiles },
      },
    };
  });
}
