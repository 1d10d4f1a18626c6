import "server-only";
import { simpleParser, type AddressObject, type EmailAddress } from "mailparser";
import { normalizeAddress } from "./addresses";
import { cleanMessageId, messageIdList } from "./message-id";

export type InboundAttachment = { filename: string | undefined; contentType: string; content: Buffer; inline: boolean };

export type InboundMail = {
  from: { address: string; name: string } | null;
  to: string[];
  cc: string[];
  subject: string;
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  /** Lower-cased header name → raw value(s) as text, for the automatic-mail checks. */
  header: (name: string) => string | undefined;
  contentType: string;
  text: string | null;
  html: string | null;
  attachments: InboundAttachment[];
};

function flatten(list: AddressObject | AddressObject[] | undefined): EmailAddress[] {
  const out: EmailAddress[] = [];
  const walk = (a: EmailAddress) => (a.group ? a.group.forEach(walk) : out.push(a));
  for (const obj of Array.isArray(list) ? list : list ? [list] : []) obj.value.forEach(walk);
  return out;
}

const addresses = (list: AddressObject | AddressObject[] | undefined) => [
  ...new Set(
    flatten(list)
      .map((a) => normalizeAddress(a.address))
      .filter((a): a is string => a !== null),
  ),
];

/**
 * Parses a raw RFC 5322 message with mailparser: charsets (ISO-8859-1, Windows-1252, ISO-2022-JP…),
 * transfer encodings, RFC 2047 words and RFC 2231 file names are decoded there. HTML is kept as
 * HTML (converted to markdown later, never shown raw); mailparser's own HTML→text is skipped.
 */
export async function parseMessage(raw: Buffer): Promise<InboundMail> {
  const m = await simpleParser(raw, {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
  });
  const fromList = flatten(m.from);
  const fromAddr = fromList[0] ? normalizeAddress(fromList[0].address) : null;
  const headerText = (name: string): string | undefined => {
    const v = m.headers.get(name.toLowerCase());
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string") return v;
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map(String).join(", ");
    if (typeof v === "object" && "value" in v) {
      const params =
        "params" in v && v.params
          ? Object.entries(v.params as Record<string, string>)
              .map(([k, p]) => `; ${k}=${p}`)
              .join("")
          : "";
      return `${String((v as { value: unknown }).value)}${params}`;
    }
    return String(v);
  };
  return {
    from: fromAddr ? { address: fromAddr, name: (fromList[0]!.name ?? "").trim() } : null,
    to: addresses(m.to),
    cc: addresses(m.cc),
    subject: (m.subject ?? "").replace(/\s+/g, " ").trim(),
    messageId: cleanMessageId(m.messageId),
    inReplyTo: messageIdList(m.inReplyTo),
    references: messageIdList(m.references),
    header: headerText,
    contentType: (headerText("content-type") ?? "text/plain").toLowerCase(),
    text: m.text && m.text.trim() ? m.text : null,
    html: typeof m.html === "string" && m.html.trim() ? m.html : null,
    attachments: m.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content,
      inline: a.contentDisposition === "inline" || a.related === true,
    })),
  };
}
