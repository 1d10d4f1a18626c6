import { normalizeAddress } from "./addresses";
import { headerMessageId, messageIdList } from "./message-id";

// Delivery status notifications (RFC 3462/3464, RFC 6533 for the internationalized kind):
// `multipart/report; report-type=delivery-status` with a machine-readable `message/delivery-status`
// part and, usually, the returned message or its headers. mailparser folds the status part into
// the text body, so the report is read from the raw MIME structure here: only its top level,
// which is where RFC 3462 puts the parts.

export type FailedRecipient = { address: string; status: string; diagnostic: string | null };

export type DeliveryReport = {
  /** Recipients whose delivery failed for good (Action: failed, Status 5.x.x). */
  failed: FailedRecipient[];
  /** Recipients only delayed or otherwise not failed for good (4.x.x): nothing is marked for them. */
  notFailed: number;
  /** Message-IDs of the message the report is about: the returned headers' first, then the report's own In-Reply-To/References. */
  aboutMessageIds: string[];
};

const MAX_PARTS = 20;

type Part = { headers: Map<string, string>; body: Buffer };

function splitHead(buf: Buffer): Part {
  const text = buf.toString("latin1");
  const m = /\r?\n\r?\n/.exec(text);
  const headText = m ? text.slice(0, m.index) : text;
  const bodyStart = m ? m.index + m[0].length : buf.length;
  const headers = new Map<string, string>();
  for (const line of headText.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(i + 1).trim());
  }
  return { headers, body: buf.subarray(bodyStart) };
}

function param(value: string, name: string): string | null {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, "i").exec(value);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

function decode(part: Part): Buffer {
  const cte = (part.headers.get("content-transfer-encoding") ?? "").toLowerCase();
  if (cte === "base64") return Buffer.from(part.body.toString("latin1").replace(/[^A-Za-z0-9+/=]/g, ""), "base64");
  if (cte === "quoted-printable") {
    const s = part.body.toString("latin1").replace(/=\r?\n/g, "");
    return Buffer.from(
      s.replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      "latin1",
    );
  }
  return part.body;
}

function bodyParts(msg: Part, boundary: string): Part[] {
  const text = msg.body.toString("latin1");
  const delim = `--${boundary}`;
  const out: Part[] = [];
  let at = text.indexOf(delim);
  while (at !== -1 && out.length < MAX_PARTS) {
    const lineEnd = text.indexOf("\n", at);
    if (lineEnd === -1 || text.startsWith(`${delim}--`, at)) break;
    const next = text.indexOf(`\n${delim}`, lineEnd);
    const end = next === -1 ? text.length : next;
    out.push(splitHead(Buffer.from(text.slice(lineEnd + 1, end).replace(/\r$/, ""), "latin1")));
    at = next === -1 ? -1 : next + 1;
  }
  return out;
}

/** The field groups of a delivery-status body: the per-message group first, then one per recipient. */
function fieldGroups(text: string): Map<string, string>[] {
  return text
    .replace(/\r\n?/g, "\n")
    .split(/\n\s*\n/)
    .map((block) => {
      const fields = new Map<string, string>();
      for (const line of block.replace(/\n[ \t]+/g, " ").split("\n")) {
        const i = line.indexOf(":");
        if (i > 0) fields.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
      }
      return fields;
    })
    .filter((f) => f.size > 0);
}

/** "rfc822; Gone@Customer.test" → "gone@customer.test". */
const recipientOf = (v: string | undefined) =>
  v ? normalizeAddress(v.includes(";") ? v.slice(v.indexOf(";") + 1) : v) : null;

/**
 * The delivery report in a raw message, or null when it is not one (then it is treated as any
 * other automatic mail). The recipient is the Original-Recipient when the reporter kept it (the
 * address Beacon sent to), else the Final-Recipient.
 */
export function parseDeliveryReport(raw: Buffer): DeliveryReport | null {
  const msg = splitHead(raw.subarray(0, Math.min(raw.length, 2 * 1024 * 1024)));
  const ct = msg.headers.get("content-type") ?? "";
  if (!/^\s*multipart\/report\b/i.test(ct) || !/delivery-status/i.test(param(ct, "report-type") ?? "")) return null;
  const boundary = param(ct, "boundary");
  if (!boundary) return null;
  const parts = bodyParts(msg, boundary);
  const type = (p: Part) => (p.headers.get("content-type") ?? "text/plain").split(";")[0]!.trim().toLowerCase();
  const status = parts.find(
    (p) => type(p) === "message/delivery-status" || type(p) === "message/global-delivery-status",
  );
  if (!status) return null;

  const failed: FailedRecipient[] = [];
  let notFailed = 0;
  for (const g of fieldGroups(decode(status).toString("utf8")).slice(1)) {
    const address = recipientOf(g.get("original-recipient")) ?? recipientOf(g.get("final-recipient"));
    if (!address) continue;
    const action = (g.get("action") ?? "").toLowerCase();
    const code = /\b([245])\.\d{1,3}\.\d{1,3}\b/.exec(g.get("status") ?? "")?.[0] ?? "";
    if (action === "failed" && code.startsWith("5"))
      failed.push({ address, status: code, diagnostic: g.get("diagnostic-code")?.slice(0, 300) ?? null });
    else notFailed += 1;
  }

  const returned = parts.find((p) =>
    ["message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers"].includes(type(p)),
  );
  const returnedId = returned ? headerMessageId(decode(returned)) : null;
  const own = [...messageIdList(msg.headers.get("in-reply-to")), ...messageIdList(msg.headers.get("references"))];
  return {
    failed,
    notFailed,
    aboutMessageIds: [...new Set([...(returnedId ? [returnedId] : []), ...own])].slice(0, 20),
  };
}
