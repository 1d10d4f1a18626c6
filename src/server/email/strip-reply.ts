import "server-only";
import EmailReplyParser from "email-reply-parser";

// Beyond this the quoted history is left in: the parser's patterns run without RE2 here (decision
// 029), and a huge body is rare enough that showing it whole is the better failure.
const MAX_PARSED_CHARS = 100_000;

/**
 * The new part of a reply: quoted history ("On … wrote:", "Le … a écrit :", "El … escribió:",
 * "Am … schrieb …:", Outlook's "From: … Sent: …" block, "-----Original Message-----", "> " lines)
 * and the signature are removed by email-reply-parser. Falls back to the whole text when that
 * would leave nothing (a message that is only a quote, or a forward).
 */
export function visibleReply(text: string): string {
  const normalized = text.replace(/\r\n?/g, "\n");
  if (normalized.length > MAX_PARSED_CHARS) return normalized.trim();
  const visible = new EmailReplyParser().read(normalized).getVisibleText().trim();
  return visible || normalized.trim();
}
