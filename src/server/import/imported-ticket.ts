import type { TicketPriority, TicketStatus } from "../db/schema/enums";
import type { commentChannel } from "../db/schema/enums";

// A ticket as every source's reader hands it to the shared writer (write-imported-tickets.ts):
// the source's own words already mapped to Beacon's (status, priority, channel), people, groups
// and fields still named by the source's references, resolved in the batch's transaction.

export type ImportedAttachment = { id: string | null; name: string; url: string | null; size: number | null };

export type ImportedComment = {
  id: string;
  /** A person reference (a source user id, or an email for a CSV); null: the requester. */
  authorRef: string | null;
  /** Plain text: HTML from a source is never stored, Beacon renders this as Markdown. */
  body: string;
  public: boolean;
  createdAt: Date;
  channel: (typeof commentChannel.enumValues)[number];
  email: { from: string; to: string[] } | null;
  messageId: string | null;
  attachments: ImportedAttachment[];
};

export type ImportedTicket = {
  id: string;
  /** The source's ticket number, kept where the org has no ticket with it; null: the next free one. */
  number: string | null;
  subject: string | null;
  /** The subject's fallback: its first line. */
  description: string | null;
  status: TicketStatus;
  /** The source's own status, kept in the audit event. */
  sourceStatus: string | number;
  priority: TicketPriority;
  requesterRef: string | null;
  assigneeRef: string | null;
  groupRef: string | null;
  /** The customer company the ticket is for, by the source's company id (the id map's `organization`); absent: none said. */
  customerOrgRef?: string | null;
  /** People copied on the ticket, by reference, and addresses the source gives as they are. */
  ccRefs: string[];
  ccEmails: string[];
  tags: string[];
  customFields: { id: string; value: unknown }[];
  createdAt: Date;
  updatedAt: Date | null;
  /** In time order. */
  comments: ImportedComment[];
  /**
   * Times the source recorded (decision 061): the first reply where no imported comment shows it,
   * and the resolution and close of a solved or closed ticket instead of the estimate (its last update).
   */
  recorded?: { firstResponseAt: Date | null; resolvedAt: Date | null; closedAt: Date | null };
};
