import "server-only";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { PassThrough } from "node:stream";
import { attachments } from "../db/schema/tickets";
import type { Tx } from "../db/tenant";
import { env } from "../env";
import { recordAudit } from "../audit/record-audit";
import { storage } from "../attachments/configured-storage";
import { ContentInspector } from "../attachments/content-inspector";
import { sanitizeFilename } from "../attachments/filename";
import { newStorageKey } from "../attachments/storage";
import { logger } from "../observability/logger";
import { AppError } from "../core/errors";
import type { InboundAttachment } from "./parse-message";
import { one } from "../core/one";

export type StoredMailFile = { key: string; filename: string; contentType: string; size: number; sha256: string };
export type RefusedMailFile = { filename: string; reason: string };

/**
 * Puts a message's attachments (inline cid: images included) through the upload rules: the size
 * limit, then the same content inspector (sniffing + allow-list) on the way into storage. A refused
 * file is reported with its name and why, to be listed on the comment; nothing is dropped silently.
 * Runs before the applying transaction (bytes are not written inside one); `discard` removes what
 * was stored when that transaction fails.
 */
export async function storeMailAttachments(
  orgId: string,
  files: InboundAttachment[],
): Promise<{ stored: StoredMailFile[]; refused: RefusedMailFile[]; discard: () => Promise<void> }> {
  const store = storage();
  const max = env().ATTACHMENT_MAX_BYTES;
  const stored: StoredMailFile[] = [];
  const refused: RefusedMailFile[] = [];
  for (const f of files) {
    const filename = sanitizeFilename(f.filename ?? defaultName(f.contentType));
    if (f.content.length === 0) {
      refused.push({ filename, reason: "the file is empty" });
      continue;
    }
    if (f.content.length > max) {
      refused.push({ filename, reason: `larger than the ${max}-byte limit` });
      continue;
    }
    const key = newStorageKey(orgId);
    const inspector = new ContentInspector();
    const through = new PassThrough();
    const [put, piped] = await Promise.allSettled([
      store.put(key, through),
      pipeline(Readable.from([f.content]), inspector, through),
    ]);
    if (piped.status === "rejected" || put.status === "rejected") {
      await store.delete(key).catch(() => undefined);
      // The inspector refusing early (a known type not on the allow-list) is a verdict; anything else is trouble, retried.
      if (
        piped.status === "rejected" &&
        piped.reason instanceof AppError &&
        piped.reason.code === "unsupported_media_type"
      ) {
        refused.push({ filename, reason: piped.reason.message });
        continue;
      }
      throw piped.status === "rejected" ? piped.reason : (put as PromiseRejectedResult).reason;
    }
    const verdict = inspector.verdict(filename);
    if (!verdict.ok) {
      await store.delete(key);
      refused.push({ filename, reason: `this file type is not accepted: ${verdict.reason}` });
      continue;
    }
    stored.push({ key, filename, contentType: verdict.kind.mime, size: put.value.size, sha256: put.value.sha256 });
  }
  // A calendar invite carries the same file as an alternative part and as an attachment: say it once.
  const seen = new Set<string>();
  const unique = refused.filter(
    (r) => !seen.has(`${r.filename}\n${r.reason}`) && seen.add(`${r.filename}\n${r.reason}`),
  );
  return {
    stored,
    refused: unique,
    discard: async () => {
      for (const s of stored)
        await store
          .delete(s.key)
          .catch((e: unknown) =>
            logger().warn({ key: s.key, err: String(e) }, "could not remove an inbound attachment"),
          );
    },
  };
}

function defaultName(contentType: string): string {
  if (contentType === "text/calendar") return "invite.ics";
  const sub = contentType.split("/")[1]?.replace(/[^a-z0-9]/gi, "") || "bin";
  return `attachment.${sub}`;
}

/** The attachment rows of stored files, on the comment, by its author, with their audit events. */
export async function recordMailAttachments(
  tx: Tx,
  at: { orgId: string; ticketId: string; commentId: string; uploaderId: string; requestId: string },
  files: StoredMailFile[],
): Promise<void> {
  for (const f of files) {
    const row = one(
      await tx
        .insert(attachments)
        .values({
          orgId: at.orgId,
          ticketId: at.ticketId,
          commentId: at.commentId,
          uploaderId: at.uploaderId,
          filename: f.filename,
          contentType: f.contentType,
          sizeBytes: f.size,
          sha256: f.sha256,
          storageKey: f.key,
        })
        .returning({ id: attachments.id }),
    );
    await recordAudit(
      tx,
      { orgId: at.orgId, actorId: at.uploaderId, requestId: at.requestId },
      {
        action: "attachment.added",
        entityType: "ticket",
        entityId: at.ticketId,
        data: {
          attachmentId: row.id,
          commentId: at.commentId,
          filename: f.filename,
          contentType: f.contentType,
          sizeBytes: f.size,
          sha256: f.sha256,
          internal: false,
          via: "email",
        },
      },
    );
  }
}
