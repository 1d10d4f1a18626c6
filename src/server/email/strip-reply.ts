import "server-only";
import EmailReplyParser from "email-reply-parser";

// Beyond these the quoted history is left in: the parser's patterns run without RE2 here (decision
// 029) and cost quadratic time on one long line (98 000 chars of "On a a a…": 6 s), while a huge
// body or a 4 000-character line is rare enough in a reply that showing it whole is the better failure.
const MAX_PARSED_CHARS = 50_000;
const MAX_LINE_CHARS = 4_000;

/**
 * The new part of a reply: quoted history ("On … wrote:", "Le … a écrit :", "El … escribió:",
 * "Am … schrieb …:", Outlook's "From: … Sent: …" block, "-----Original Message-----", "> " lines)
 * and the signature are removed by email-reply-parser. Falls back to the whole text when that
 * would leave nothing (a message that is only a quote, or a forward).
 */
export function visibleReply(text: string): string {
  const normalized = text.replace(/\r\n?/g, "\n");
  if (normalized.length > MAX_PARSED_CHARS || normalized.split("\n").some((l) => l.length > MAX_LINE_CHARS))
    return normalized.trim();
  const visible = new EmailReplyParser().read(normalized).getVisibleText().trim();
  return visible || normalized.trim();
}
