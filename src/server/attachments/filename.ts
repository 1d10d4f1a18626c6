import { extensionOf, type Kind } from "./content-types";

export const MAX_FILENAME_CHARS = 200;
const FALLBACK = "attachment";

// C0/C1 controls, DEL, zero-width and bidirectional controls (an RLO can make "exe.pdf" read as
// "fdp.exe"), the BOM, and characters Windows refuses in names.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
const WINDOWS_RESERVED = /[<>:"|?*]/g;

/**
 * The name shown for an upload: the last path component only (no `../`), NFC, without control or
 * direction characters, no leading dots (hidden files) or trailing dots/spaces, at most
 * MAX_FILENAME_CHARS code points with the extension kept. Unicode letters stay.
 */
export function sanitizeFilename(raw: string | undefined): string {
  let name = (raw ?? "").normalize("NFC");
  name = name.split(/[/\\]/).pop() ?? "";
  name = name.replace(UNSAFE, "").replace(WINDOWS_RESERVED, "_").trim();
  name = name
    .replace(/^\.+/, "")
    .replace(/[. ]+$/, "")
    .trim();
  const chars = [...name];
  if (chars.length > MAX_FILENAME_CHARS) {
    const ext = extensionOf(name);
    const suffix = ext ? [...`.${ext}`] : [];
    name =
      chars
        .slice(0, MAX_FILENAME_CHARS - suffix.length)
        .join("")
        .replace(/[. ]+$/, "") + suffix.join("");
  }
  return name === "" ? FALLBACK : name;
}

/**
 * The name a download is saved under: the extension must belong to the sniffed type, so a PDF
 * named `invoice.pdf.exe` is saved as `invoice.pdf` and text named `page.html` as `page.txt` —
 * the desktop opens what the server checked, never something the name claims.
 */
export function downloadFilename(name: string, kind: Kind): string {
  const ext = extensionOf(name);
  if (ext !== undefined && kind.exts.includes(ext)) return name;
  const base = ext !== undefined ? name.slice(0, -(ext.length + 1)) : name;
  const inner = extensionOf(base);
  if (inner !== undefined && kind.exts.includes(inner)) return base;
  return `${base || FALLBACK}.${kind.exts[0]}`;
}

/** RFC 6266: an ASCII fallback for old clients plus the exact name as RFC 5987 UTF-8. */
export function contentDisposition(name: string): string {
  const ascii = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\x20-\x7e]/g, "_")
    .replace(/["\\%]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
