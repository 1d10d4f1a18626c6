// Words for attachments, shared by the server-rendered list and the reply box's uploader.
// Pure: no I/O.

/** What the server accepts (it decides by the bytes, see docs/decisions/010); said once, the same everywhere. */
export const ACCEPTED_TYPES_TEXT =
  "images (PNG, JPEG, GIF, WebP), PDF, ZIP, Word, Excel, PowerPoint, OpenDocument and plain-text files";

/** 1536 → "1.5 KB", 10485760 → "10 MB" (binary multiples, as file managers show them). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "";
  if (n < 1024) return `${n} ${n === 1 ? "byte" : "bytes"}`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = v >= 100 ? Math.round(v).toString() : (Math.round(v * 10) / 10).toString();
  return `${s} ${units[i]}`;
}

const TYPE_NAMES: Record<string, string> = {
  "image/png": "PNG image",
  "image/jpeg": "JPEG image",
  "image/gif": "GIF image",
  "image/webp": "WebP image",
  "application/pdf": "PDF",
  "application/zip": "ZIP archive",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint presentation",
  "application/vnd.oasis.opendocument.text": "OpenDocument text",
  "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
  "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation",
  "text/plain": "Text",
  "text/csv": "CSV",
  "text/markdown": "Markdown",
};

const bytes = (n: number) => `${n.toLocaleString("en-US")} bytes`;

/** "image/png" → "PNG image"; "text/plain; charset=utf-8" → "Text". */
export function typeLabel(contentType: string): string {
  const base = contentType.split(";")[0]!.trim().toLowerCase();
  return TYPE_NAMES[base] ?? base;
}

/** Why a file cannot be sent, before a byte leaves the browser; null when it may go. */
export function precheckFile(file: { name: string; size: number }, maxBytes: number): string | null {
  if (file.size === 0) return `“${file.name}” is empty, so there is nothing to attach.`;
  if (file.size > maxBytes) {
    // Just over the limit rounds to the limit ("10 MB; at most 10 MB"): then the bytes say it.
    const [size, max] =
      formatBytes(file.size) === formatBytes(maxBytes)
        ? [bytes(file.size), `${bytes(maxBytes)} (${formatBytes(maxBytes)})`]
        : [formatBytes(file.size), formatBytes(maxBytes)];
    return `“${file.name}” is ${size}; files can be at most ${max}.`;
  }
  return null;
}

export type UploadFailure = { status: number; code: string; message: string };

/** True when sending the same file again could work (the connection, the server, a rate limit). */
export function retryable(f: UploadFailure): boolean {
  return f.status === 0 || f.status === 429 || f.status >= 500;
}

/**
 * One sentence for a person about a refused upload. 413 and 415 are the two anyone meets: the
 * server's limit, and a type it does not take (it judges by content, so renaming does not help).
 */
export function describeUploadFailure(fileName: string, f: UploadFailure, maxBytes: number): string {
  const name = `“${fileName}”`;
  switch (f.status) {
    case 0:
      return `The upload of ${name} was interrupted. Check your connection and try again.`;
    case 401:
      return `Your session has ended, so ${name} was not attached. Sign in again and attach it once more.`;
    case 404:
      return `${name} could not be attached: the ticket or message is no longer available to you.`;
    case 409:
      return `${name} could not be attached: the ticket is closed.`;
    case 413:
      return `${name} is too large. Files can be at most ${formatBytes(maxBytes)}.`;
    case 415:
      return `${name} is a kind of file that cannot be attached. You can attach ${ACCEPTED_TYPES_TEXT}.`;
    case 429:
      return `Too many uploads right now, so ${name} was not attached. Wait a moment and try again.`;
    case 503:
      return f.code === "feature_disabled"
        ? `File attachments are switched off right now, so ${name} was not attached.`
        : `Beacon is briefly unavailable, so ${name} was not attached. Try again in a moment.`;
    default:
      if (f.status === 400 && /empty/i.test(f.message)) return `${name} is empty, so there is nothing to attach.`;
      if (f.status === 400 && f.message) return `${name} could not be attached: ${f.message}.`;
      return `${name} could not be attached because of a problem on our side. Try again in a moment.`;
  }
}
