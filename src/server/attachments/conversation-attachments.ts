import "server-only";
import { env } from "../env";
import { isFeatureEnabled } from "../flags/flags";
import type { Scope } from "../core/scope";
import { listAttachments } from "./list-attachments";
import type { AttachmentView } from "./schemas";

/** More than a conversation plausibly holds; past it the page shows the first ones only. */
export const MAX_CONVERSATION_ATTACHMENTS = 2_000;

export type ConversationAttachments =
  | { enabled: false }
  | { enabled: true; maxBytes: number; data: AttachmentView[]; truncated: boolean };

/**
 * What the ticket page shows and offers about files: every attachment the caller may see (through
 * listAttachments, so the same visibility rules as the API: 404 for a ticket they may not see,
 * internal notes' files for staff only), and the upload limit for the reply box. When the
 * `attachments` feature is off for the org the page gets nothing — no list, no upload control —
 * because the API would answer 503 to both.
 */
export async function conversationAttachments(scope: Scope, ticketId: string): Promise<ConversationAttachments> {
  const maxBytes = await attachmentUploadLimit(scope);
  if (maxBytes === null) return { enabled: false };
  const data: AttachmentView[] = [];
  let cursor: string | undefined;
  let truncated = false;
  do {
    const page = await listAttachments(scope, ticketId, { limit: 100, cursor });
    data.push(...page.data);
    cursor = page.nextCursor ?? undefined;
    if (cursor && data.length >= MAX_CONVERSATION_ATTACHMENTS) truncated = true;
  } while (cursor && !truncated);
  return { enabled: true, maxBytes, data, truncated };
}

/**
 * The largest file the caller may upload now, or null when the `attachments` feature is off for
 * their org (flag or FEATURES_DISABLED): forms offer a file input only when it is a number.
 */
export async function attachmentUploadLimit(scope: Scope): Promise<number | null> {
  return (await isFeatureEnabled(scope.tx, scope.user.orgId, "attachments")) ? env().ATTACHMENT_MAX_BYTES : null;
}
