import { z } from "zod";
import { ZEventSnapshot } from "./event-snapshot";
import { TICKET_PRIORITIES } from "../db/schema/enums";

// Every job kind, its payload contract and its retry policy. Payloads are validated with zod when
// a job is handled, like any other input crossing a boundary.

export const ZNotifyJob = z.object({
  orgId: z.uuid(),
  kind: z.enum(["sla.warning", "sla.breach", "ticket.created", "ticket.assigned", "ticket.replied"]),
  ticketId: z.uuid(),
  actorId: z.uuid().nullable().optional(),
  metric: z.enum(["first_response", "next_response", "resolution"]).optional(),
  dueAt: z.iso.datetime().optional(),
  commentId: z.uuid().optional(),
  assigneeId: z.uuid().optional(),
  /** The ticket at the event, taken in the causing transaction (decision 043); jobs queued before it have none. */
  snapshot: ZEventSnapshot.optional(),
});
export type NotifyJob = z.infer<typeof ZNotifyJob>;

export const ZEmailJob = z.object({ orgId: z.uuid(), notificationId: z.uuid() });
export const ZWebhookJob = z.object({ orgId: z.uuid(), deliveryId: z.uuid() });
export const ZInboundEmailJob = z.object({ orgId: z.uuid(), inboundId: z.uuid() });
export const ZReplyEmailJob = z.object({ orgId: z.uuid(), ticketId: z.uuid(), commentId: z.uuid() });
/** A customer-facing template email (decision 040): `key` makes each event one email (the inbound id for an acknowledgement, the ticket version for a solve). */
export const ZCustomerMailJob = z.object({
  orgId: z.uuid(),
  ticketId: z.uuid(),
  kind: z.enum(["acknowledgement", "solved", "merged"]),
  key: z.string().min(1).max(100),
  actorId: z.uuid().nullable().optional(),
  /** "merged": who is told (either ticket's requester) and which ticket was merged into ticketId (decision 051). */
  recipientId: z.uuid().optional(),
  mergedTicketId: z.uuid().optional(),
});
/** A bulk change of tickets (decision 050): the bulk_jobs row holds the tickets, the change and the progress. */
export const ZBulkJob = z.object({ orgId: z.uuid(), jobId: z.uuid() });
/** One slice of an uploaded import (decision 055): the imports row holds the input, the options and the checkpoint. */
export const ZImportJob = z.object({ orgId: z.uuid(), importId: z.uuid() });
export const ZReapplyJob = z.object({ orgId: z.uuid(), priority: z.enum(TICKET_PRIORITIES) });

type QueueDef = {
  name: string;
  retryLimit: number;
  retryDelay: number;
  retryBackoff: boolean;
  expireInSeconds: number;
  deadLetter?: string;
  /** How long a job may wait unstarted before pg-boss archives it (pg-boss default: 14 days). */
  retentionMinutes?: number;
  cron?: string;
};

/**
 * Dead letters stay until a person replays or drops them (decision 022). pg-boss gives a dead
 * letter the failed job's keep_until plus its retention again, ignoring the dead queue's own
 * setting, so the queues that dead-letter keep their jobs ten years too (pg-boss computes
 * retention_minutes * 60 in a 32-bit integer: at most about 68 years).
 */
export const DEAD_LETTER_RETENTION_MINUTES = 10 * 365 * 24 * 60;
const keep = DEAD_LETTER_RETENTION_MINUTES;

const dead = (name: string): QueueDef => ({
  name,
  retryLimit: 0,
  retryDelay: 0,
  retryBackoff: false,
  expireInSeconds: 60,
  retentionMinutes: keep,
});

export const QUEUES = {
  slaScan: {
    name: "sla-scan",
    retryLimit: 1,
    retryDelay: 5,
    retryBackoff: false,
    expireInSeconds: 120,
    cron: "* * * * *",
  },
  /** Time rules (src/server/automation/time-rules.ts): a pass per minute over tickets whose time has come. */
  automationScan: {
    name: "automation-scan",
    retryLimit: 1,
    retryDelay: 5,
    retryBackoff: false,
    expireInSeconds: 300,
    cron: "* * * * *",
  },
  uploadSweep: {
    name: "upload-sweep",
    retryLimit: 2,
    retryDelay: 300,
    retryBackoff: true,
    expireInSeconds: 3600,
    cron: "17 3 * * *",
  },
  /** Idempotency-Key rows past their 24 hours (decision 043). */
  idempotencySweep: {
    name: "idempotency-sweep",
    retryLimit: 2,
    retryDelay: 60,
    retryBackoff: true,
    expireInSeconds: 600,
    cron: "23 * * * *",
  },
  notify: {
    name: "notify",
    retryLimit: 5,
    retryDelay: 2,
    retryBackoff: true,
    expireInSeconds: 120,
    deadLetter: "notify-dead",
    retentionMinutes: keep,
  },
  email: {
    name: "email",
    retryLimit: 6,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: 120,
    deadLetter: "email-dead",
    retentionMinutes: keep,
  },
  webhook: {
    name: "webhook",
    retryLimit: 8,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: 60,
    deadLetter: "webhook-dead",
    retentionMinutes: keep,
  },
  slaReapply: {
    name: "sla-reapply",
    retryLimit: 3,
    retryDelay: 10,
    retryBackoff: true,
    expireInSeconds: 900,
    deadLetter: "sla-reapply-dead",
    retentionMinutes: keep,
  },
  inboundEmail: {
    name: "email-inbound",
    retryLimit: 6,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: 300,
    deadLetter: "email-inbound-dead",
    retentionMinutes: keep,
  },
  replyEmail: {
    name: "email-reply",
    retryLimit: 6,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: 300,
    deadLetter: "email-reply-dead",
    retentionMinutes: keep,
  },
  /** The acknowledgement and solve emails (templates, decision 040). */
  customerEmail: {
    name: "email-customer",
    retryLimit: 6,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: 300,
    deadLetter: "email-customer-dead",
    retentionMinutes: keep,
  },
  /** Bulk ticket changes: batches of 100, each its own transaction, resuming after the last committed batch on retry. */
  bulkTickets: { name: "ticket-bulk", retryLimit: 3, retryDelay: 5, retryBackoff: true, expireInSeconds: 3600 },
  /**
   * An uploaded import, one slice (a bounded number of batches) per job; each slice enqueues the
   * next, so a drain waits for one slice. A failed slice is retried from the checkpoint.
   */
  importRun: {
    name: "import",
    retryLimit: 4,
    retryDelay: 15,
    retryBackoff: true,
    expireInSeconds: 1800,
    deadLetter: "import-dead",
    retentionMinutes: keep,
  },
  notifyDead: dead("notify-dead"),
  emailDead: dead("email-dead"),
  webhookDead: dead("webhook-dead"),
  slaReapplyDead: dead("sla-reapply-dead"),
  inboundEmailDead: dead("email-inbound-dead"),
  replyEmailDead: dead("email-reply-dead"),
  customerEmailDead: dead("email-customer-dead"),
  importDead: dead("import-dead"),
} satisfies Record<string, QueueDef>;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES]["name"];
export const WORK_QUEUES = [
  QUEUES.notify,
  QUEUES.email,
  QUEUES.webhook,
  QUEUES.slaReapply,
  QUEUES.inboundEmail,
  QUEUES.replyEmail,
  QUEUES.customerEmail,
  QUEUES.slaScan,
  QUEUES.automationScan,
  QUEUES.uploadSweep,
  QUEUES.idempotencySweep,
  QUEUES.bulkTickets,
  QUEUES.importRun,
];
/**
 * Queues an older version had, deleted (with their jobs and cron schedule) when the job schema is
 * prepared, so no cron keeps filling a queue nobody works: `auto-close` became each org's default
 * time rule, run by automation-scan (decision 042).
 */
export const RETIRED_QUEUES = ["auto-close"] as const;
export const DEAD_QUEUES = [
  QUEUES.notifyDead,
  QUEUES.emailDead,
  QUEUES.webhookDead,
  QUEUES.slaReapplyDead,
  QUEUES.inboundEmailDead,
  QUEUES.replyEmailDead,
  QUEUES.customerEmailDead,
  QUEUES.importDead,
];
