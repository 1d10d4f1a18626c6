import { createHash } from "node:crypto";

/** "<abc@host>" → "abc@host"; anything without a usable id → null. Lower-cased host is not safe (ids are case-sensitive), so kept as is. */
export function cleanMessageId(raw: string | undefined | null): string | null {
  if (!raw) return null;
  const m = /<([^<>\s]{1,900})>/.exec(raw);
  const id = (m ? m[1]! : raw.trim()).trim();
  return id && id.length <= 900 && !/\s/.test(id) ? id : null;
}

/** Every Message-ID in an In-Reply-To / References value, in order. */
export function messageIdList(raw: string | string[] | undefined | null): string[] {
  const values = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const out: string[] = [];
  for (const v of values) for (const m of v.matchAll(/<([^<>\s]{1,900})>/g)) out.push(m[1]!);
  return out;
}

/**
 * The Message-ID header of a raw message, read from the header block only (the intake must not
 * parse a 25 MiB body to find it). Folded headers are unfolded first.
 */
export function headerMessageId(raw: Buffer): string | null {
  const limit = Math.min(raw.length, 256 * 1024);
  const head = raw.subarray(0, limit).toString("latin1");
  const end = head.search(/\r?\n\r?\n/);
  const block = (end === -1 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  const m = /^message-id:[ \t]*(.*)$/im.exec(block);
  return m ? cleanMessageId(m[1]) : null;
}

export const sha256Hex = (b: Buffer) => createHash("sha256").update(b).digest("hex");
