import "server-only";
import { Transform, type TransformCallback } from "node:stream";
import { fileTypeFromBuffer, type FileTypeResult } from "file-type";
import { AppError } from "../core/errors";
import { BINARY_KINDS, HEAD_BYTES, TAIL_BYTES, textKind, type Kind } from "./content-types";

export type Verdict = { ok: true; kind: Kind } | { ok: false; reason: string };

export const unsupported = (reason: string) =>
  new AppError("unsupported_media_type", `this file type is not accepted: ${reason}`, {
    accepted: "png, jpeg, gif, webp, pdf, zip, docx, xlsx, pptx, odt, ods, odp, UTF-8 text",
  });

/**
 * Sits between the upload and the store and judges the content as it passes, keeping only its
 * first HEAD_BYTES and last TAIL_BYTES (memory stays constant whatever the size). A type file-type
 * recognises but the allow-list lacks (an .exe, say) fails the stream as soon as the head is
 * known, so the rest is never read; everything else is judged by verdict() once the stream ends.
 */
export class ContentInspector extends Transform {
  private headChunks: Buffer[] = [];
  private headLength = 0;
  private tailChunks: Buffer[] = [];
  private tailLength = 0;
  private size = 0;
  private sniffed: FileTypeResult | undefined | null = null;
  private decoder: TextDecoder | null = new TextDecoder("utf-8", { fatal: true });
  private head: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.headLength < HEAD_BYTES) {
      // A copy: a view would keep the whole (possibly large) chunk alive.
      const part = Buffer.from(chunk.subarray(0, HEAD_BYTES - this.headLength));
      this.headChunks.push(part);
      this.headLength += part.length;
    }
    this.keepTail(chunk);
    this.checkText(chunk, false);
    if (this.sniffed === null && this.headLength >= HEAD_BYTES) {
      this.sniff()
        .then(() => cb(this.earlyRefusal(), chunk))
        .catch((err: unknown) => cb(err as Error));
      return;
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.checkText(Buffer.alloc(0), true);
    if (this.sniffed !== null) return cb();
    this.sniff()
      .then(() => cb())
      .catch((err: unknown) => cb(err as Error));
  }

  /** The judgement on the whole upload; call after the stream has ended. */
  verdict(filename: string): Verdict {
    const sample = { head: this.head, tail: Buffer.concat(this.tailChunks).subarray(-TAIL_BYTES), size: this.size };
    if (this.sniffed) {
      const kind = BINARY_KINDS[this.sniffed.ext];
      if (!kind) return { ok: false, reason: `${this.sniffed.mime} is not on the allow-list` };
      if (kind.whole && !kind.whole(sample))
        return {
          ok: false,
          reason: `the content is not a complete ${this.sniffed.ext} file (corrupt, truncated or disguised)`,
        };
      return { ok: true, kind };
    }
    if (this.decoder === null) return { ok: false, reason: "unrecognised binary content" };
    return { ok: true, kind: textKind(filename) };
  }

  private async sniff(): Promise<void> {
    this.head = Buffer.concat(this.headChunks, this.headLength);
    this.headChunks = [];
    this.sniffed = this.head.length > 0 ? await fileTypeFromBuffer(this.head) : undefined;
  }

  /** Known and not allowed, or unknown and already not text: no need to read further. */
  private earlyRefusal(): AppError | null {
    if (this.sniffed && !BINARY_KINDS[this.sniffed.ext])
      return unsupported(`${this.sniffed.mime} is not on the allow-list`);
    if (!this.sniffed && this.decoder === null) return unsupported("unrecognised binary content");
    return null;
  }

  private keepTail(chunk: Buffer): void {
    this.tailChunks.push(chunk);
    this.tailLength += chunk.length;
    while (this.tailChunks.length > 1 && this.tailLength - this.tailChunks[0]!.length >= TAIL_BYTES) {
      this.tailLength -= this.tailChunks.shift()!.length;
    }
  }

  /** Valid UTF-8 without NUL bytes, checked incrementally; stops checking once it fails. */
  private checkText(chunk: Buffer, end: boolean): void {
    if (this.decoder === null) return;
    try {
      if (chunk.includes(0)) throw new Error("NUL");
      this.decoder.decode(chunk, { stream: !end });
    } catch {
      this.decoder = null;
    }
  }
}
