import { z } from "zod";
import type { attachments } from "../db/schema/tickets";
import { downloadFilename } from "./filename";
import { kindOf } from "./content-types";

export const ZAttachment = z.object({
  id: z.uuid(),
  ticketId: z.uuid(),
  commentId: z.uuid().nullable(),
  uploaderId: z.uuid(),
  /** The uploaded name, sanitised for display. */
  filename: z.string(),
  /** The name a download is saved under (its extension matches the sniffed type). */
  downloadFilename: z.string(),
  /** Sniffed from the content, never the client's claim. */
  contentType: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  /** True when it belongs to an internal note (staff only). */
  internal: z.boolean(),
  createdAt: z.iso.datetime(),
  url: z.string(),
});
export type AttachmentView = z.infer<typeof ZAttachment>;

export const zCommentId = z.uuid({ message: "commentId must be a UUID" });

export function toAttachmentView(a: typeof attachments.$inferSelect, internal: boolean): AttachmentView {
  return {
    id: a.id,
    ticketId: a.ticketId,
    commentId: a.commentId,
    uploaderId: a.uploaderId,
    filename: a.filename,
    downloadFilename: downloadFilename(a.filename, kindOf(a.contentType)),
    contentType: a.contentType,
    sizeBytes: a.sizeBytes,
    sha256: a.sha256,
    internal,
    createdAt: a.createdAt.toISOString(),
    url: `/api/v1/attachments/${a.id}`,
  };
}
