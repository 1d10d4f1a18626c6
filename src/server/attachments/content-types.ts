import { crc32 } from "node:zlib";

// The allow-list of attachment types (SPEC §1, issue 6). A type is recognised by its magic bytes
// (file-type) and then has to look whole: a PNG signature on an HTML body, or a PDF cut off
// mid-upload, is refused. Text has no magic bytes: it is accepted when file-type finds nothing and
// every byte is valid UTF-8 with no NUL.

/** What the inspector kept of an upload: its first and last bytes and its size. */
export type Sample = { head: Buffer; tail: Buffer; size: number };

export type Kind = {
  mime: string;
  /** Extensions a download may keep; the first is added when the name has none of them. */
  exts: readonly string[];
  /** Structure check beyond the magic bytes: false means corrupt, truncated or disguised. */
  whole?: (s: Sample) => boolean;
};

const ZIP_EXTS = {
  zip: ["zip"],
  docx: ["docx"],
  xlsx: ["xlsx"],
  pptx: ["pptx"],
  odt: ["odt"],
  ods: ["ods"],
  odp: ["odp"],
} as const;

/** Binary kinds by file-type's `ext`. */
export const BINARY_KINDS: Record<string, Kind> = {
  png: { mime: "image/png", exts: ["png"], whole: pngWhole },
  jpg: { mime: "image/jpeg", exts: ["jpg", "jpeg", "jpe"], whole: jpegWhole },
  gif: { mime: "image/gif", exts: ["gif"], whole: gifWhole },
  webp: { mime: "image/webp", exts: ["webp"], whole: webpWhole },
  pdf: { mime: "application/pdf", exts: ["pdf"], whole: pdfWhole },
  zip: { mime: "application/zip", exts: ZIP_EXTS.zip, whole: zipWhole },
  docx: {
    mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    exts: ZIP_EXTS.docx,
    whole: zipWhole,
  },
  xlsx: {
    mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    exts: ZIP_EXTS.xlsx,
    whole: zipWhole,
  },
  pptx: {
    mime: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    exts: ZIP_EXTS.pptx,
    whole: zipWhole,
  },
  odt: { mime: "application/vnd.oasis.opendocument.text", exts: ZIP_EXTS.odt, whole: zipWhole },
  ods: { mime: "application/vnd.oasis.opendocument.spreadsheet", exts: ZIP_EXTS.ods, whole: zipWhole },
  odp: { mime: "application/vnd.oasis.opendocument.presentation", exts: ZIP_EXTS.odp, whole: zipWhole },
};

// Text is labelled by its name's extension among these; anything else is text/plain. Extensions a
// desktop would run or render as a page (.html, .svg, .js, .bat …) are never kept on text.
const TEXT_KINDS: readonly Kind[] = [
  { mime: "text/csv; charset=utf-8", exts: ["csv"] },
  { mime: "text/markdown; charset=utf-8", exts: ["md", "markdown"] },
  {
    mime: "text/plain; charset=utf-8",
    exts: ["txt", "text", "log", "json", "yaml", "yml", "ini", "cfg", "conf", "tsv", "diff", "patch"],
  },
];
const PLAIN_TEXT = TEXT_KINDS[TEXT_KINDS.length - 1]!;

export function textKind(filename: string): Kind {
  const ext = extensionOf(filename);
  return TEXT_KINDS.find((k) => ext !== undefined && k.exts.includes(ext)) ?? PLAIN_TEXT;
}

export function extensionOf(filename: string): string | undefined {
  const m = /\.([^.]{1,16})$/.exec(filename);
  return m ? m[1]!.toLowerCase() : undefined;
}

// --- structure checks -------------------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_IEND = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/** Signature, a well-formed IHDR (length 13, right CRC) first, and IEND as the last chunk. */
function pngWhole({ head, tail }: Sample): boolean {
  if (head.length < 33 || !head.subarray(0, 8).equals(PNG_SIGNATURE)) return false;
  if (head.readUInt32BE(8) !== 13 || head.toString("latin1", 12, 16) !== "IHDR") return false;
  if (crc32(head.subarray(12, 29)) !== head.readUInt32BE(29)) return false;
  return tail.length >= 12 && tail.subarray(tail.length - 12).equals(PNG_IEND);
}

/** SOI, well-formed marker segments up to the first scan, and an EOI at the end. */
function jpegWhole({ head, tail, size }: Sample): boolean {
  if (head.length < 4 || head[0] !== 0xff || head[1] !== 0xd8) return false;
  let i = 2;
  let sawScan = false;
  while (i + 4 <= head.length) {
    if (head[i] !== 0xff) return false;
    const marker = head[i + 1]!;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (marker === 0xda) {
      sawScan = true;
      break;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    const len = head.readUInt16BE(i + 2);
    if (len < 2) return false;
    i += 2 + len;
  }
  // The whole file fitted in the head and no scan started: there is no image.
  if (!sawScan && head.length >= size) return false;
  let end = tail.length;
  while (end > 0 && tail[end - 1] === 0x00) end--;
  return end >= 2 && tail[end - 2] === 0xff && tail[end - 1] === 0xd9;
}

function gifWhole({ head, tail }: Sample): boolean {
  const sig = head.toString("latin1", 0, 6);
  return (sig === "GIF87a" || sig === "GIF89a") && head.length >= 14 && tail[tail.length - 1] === 0x3b;
}

/** RIFF's length field must match the bytes received, with a known WebP chunk first. */
function webpWhole({ head, size }: Sample): boolean {
  if (head.length < 16 || head.toString("latin1", 0, 4) !== "RIFF" || head.toString("latin1", 8, 12) !== "WEBP")
    return false;
  const chunk = head.toString("latin1", 12, 16);
  return head.readUInt32LE(4) + 8 === size && (chunk === "VP8 " || chunk === "VP8L" || chunk === "VP8X");
}

function pdfWhole({ head, tail }: Sample): boolean {
  return (
    /^%PDF-[12]\.\d/.test(head.toString("latin1", 0, 8)) &&
    tail.subarray(Math.max(0, tail.length - 1024)).includes("%%EOF", 0, "latin1")
  );
}

const EOCD = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

/** A zip ends with its end-of-central-directory record, whose directory lies inside the file. */
function zipWhole({ head, tail, size }: Sample): boolean {
  if (head.length < 4 || head.readUInt32LE(0) !== 0x04034b50) return false;
  const at = tail.lastIndexOf(EOCD);
  if (at < 0 || at + 22 > tail.length) return false;
  const eocdOffset = size - tail.length + at;
  const cdSize = tail.readUInt32LE(at + 12);
  const cdOffset = tail.readUInt32LE(at + 16);
  if (cdOffset === 0xffffffff || cdSize === 0xffffffff) return true; // zip64: sizes live in another record
  return cdOffset + cdSize <= eocdOffset;
}

/** Bytes of the end a structure check needs: a zip's EOCD can sit up to 64 KiB + 22 bytes from the end. */
export const TAIL_BYTES = 65_557;
/** Bytes of the start given to file-type (OOXML needs to see its first zip entries). */
export const HEAD_BYTES = 64 * 1024;

/** The kind of a stored content type (for the download name); unknown types keep no extension but .bin. */
export function kindOf(mime: string): Kind {
  return (
    Object.values(BINARY_KINDS).find((k) => k.mime === mime) ??
    TEXT_KINDS.find((k) => k.mime === mime) ?? { mime, exts: ["bin"] }
  );
}
