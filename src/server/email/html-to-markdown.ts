import "server-only";
import TurndownService from "turndown";

/**
 * HTML-only mail → markdown. The markdown is then rendered like any comment (renderMarkdown: raw
 * HTML shown as text, sanitized, links hardened), so nothing of the sender's HTML reaches a page
 * as markup. Scripts, styles and the head are dropped with their content.
 */
export function htmlToMarkdown(html: string): string {
  const td = new TurndownService({ headingStyle: "atx", codeBlockStyle: "fenced", bulletListMarker: "-" });
  td.remove(["script", "style", "head", "title", "meta", "link", "iframe", "object", "embed", "form"]);
  // Tracking pixels and inline images: the file (if any) is an attachment; the tag says nothing.
  td.addRule("images", {
    filter: "img",
    replacement: (_c, node) => {
      const alt = (node as { getAttribute?: (n: string) => string | null }).getAttribute?.("alt")?.trim();
      return alt ? `[image: ${alt}]` : "";
    },
  });
  return td
    .turndown(html)
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
