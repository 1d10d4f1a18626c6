import "server-only";
import { open } from "node:fs/promises";
import { CURSOR_PAX_KEY } from "./archive-cursor";

const BLOCK = 512;
const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/** Where an interrupted archive file can be continued: after its last complete member that carries a cursor. */
export type ResumePoint = { complete: true } | { complete: false; offset: number; cursor: string | null };

/**
 * Walks a (possibly cut-off) archive's tar headers without reading member bodies: a file the
 * export wrote up to any byte. The archive is complete when its end-of-archive block is there;
 * otherwise the answer is the end offset of the last whole member with a cursor in its pax header
 * (truncate the file there and append the stream that cursor starts), or offset 0 and no cursor
 * when not even the manifest arrived whole.
 */
export async function resumePoint(file: string): Promise<ResumePoint> {
  const fh = await open(file, "r");
  try {
    const fileSize = (await fh.stat()).size;
    const header = Buffer.alloc(BLOCK);
    let pos = 0;
    let pax: Record<string, string> = {};
    let last: { offset: number; cursor: string } | null = null;
    for (;;) {
      const { bytesRead } = await fh.read(header, 0, BLOCK, pos);
      if (bytesRead < BLOCK) break;
      if (header.every((b) => b === 0)) return { complete: true };
      const size = sizeOf(header);
      const type = String.fromCharCode(header[156]!);
      const end = pos + BLOCK + padded(size);
      if (end > fileSize) break;
      if (type === "x") {
        const data = Buffer.alloc(size);
        await fh.read(data, 0, size, pos + BLOCK);
        pax = parsePax(data);
      } else {
        const cursor = pax[CURSOR_PAX_KEY];
        if (cursor) last = { offset: end, cursor };
        pax = {};
      }
      pos = end;
    }
    return last ? { complete: false, ...last } : { complete: false, offset: 0, cursor: null };
  } finally {
    await fh.close();
  }
}

/** The size field: octal text, or (for members over 8 GiB) base-256 with the high bit set. */
function sizeOf(h: Buffer): number {
  if (h[124]! & 0x80) {
    let n = 0;
    for (let i = 125; i < 136; i++) n = n * 256 + h[i]!;
    return n;
  }
  const text = h
    .toString("latin1", 124, 136)
    .replace(/[\0 ]+$/, "")
    .trim();
  return text ? parseInt(text, 8) : 0;
}

/** POSIX pax records: "<length> <key>=<value>\n", the length counting the whole record. */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const len = parseInt(data.toString("latin1", at, space), 10);
    if (!Number.isInteger(len) || len <= 0) break;
    const record = data.toString("utf8", space + 1, at + len - 1);
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}
