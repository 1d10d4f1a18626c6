import "server-only";
import type { ConnectionOptions } from "node:tls";
import ipaddr from "ipaddr.js";
import { ImapFlow } from "imapflow";
import { env } from "../env";
import { parseCidrList } from "../outbound/address-policy";
import { guardedLookup, outboundRefusal, resolveAllowed } from "../outbound/guard";

// The one way Beacon opens an IMAP connection to a host an org admin entered (decision 034): the
// host is resolved and checked by the outbound guard (decision 021), and the socket connects only
// to an address the guard's lookup checked, so a name that changes its answer gains nothing.

export type ImapTlsMode = "tls" | "starttls" | "none";
export type ImapAccount = { host: string; port: number; tlsMode: ImapTlsMode; username: string; password: string };

/** Why an IMAP step failed: the metric's reason, the input field an admin must fix, and a message without secrets. */
export type ImapFailureReason =
  | "refused"
  | "unreachable"
  | "timeout"
  | "tls"
  | "auth"
  | "folder"
  | "protocol"
  | "decrypt"
  | "internal";
export class ImapFailure extends Error {
  constructor(
    readonly reason: ImapFailureReason,
    readonly field: "host" | "tlsMode" | "password" | "folder" | "moveTo",
    message: string,
  ) {
    super(message);
    this.name = "ImapFailure";
  }
}

let tlsForTests: ConnectionOptions | undefined;
/** Tests trust their own self-signed certificate authority here; production uses the system's. */
export function setImapTlsOptionsForTests(options: ConnectionOptions | undefined): void {
  tlsForTests = options;
}

const inRanges = (address: string, ranges: ReturnType<typeof parseCidrList>) => {
  const a = ipaddr.process(address);
  return ranges.some(([net, bits]) => a.kind() === net.kind() && a.match([net, bits] as never));
};

/**
 * The guard's verdict on the host, before any byte is sent. TLS "none" sends the password in the
 * clear, so it is accepted only for hosts whose every address the operator allowed on purpose
 * (OUTBOUND_ALLOW_PRIVATE: a mail server on the operator's own network).
 */
export async function checkImapHost(host: string, tlsMode: ImapTlsMode): Promise<void> {
  try {
    const addresses = await resolveAllowed(host);
    if (tlsMode !== "none") return;
    const allowed = parseCidrList(env().OUTBOUND_ALLOW_PRIVATE);
    if (allowed.length === 0 || !addresses.every((a) => inRanges(a.address, allowed))) {
      throw new ImapFailure(
        "refused",
        "tlsMode",
        "tlsMode none (no encryption) is allowed only for hosts inside OUTBOUND_ALLOW_PRIVATE; use tls or starttls",
      );
    }
  } catch (err) {
    if (err instanceof ImapFailure) throw err;
    const refusal = outboundRefusal(err);
    if (refusal) throw new ImapFailure("refused", "host", `host is refused: ${refusal.reason}`);
    throw classifyImapError(err);
  }
}

/** A connected, logged-in client. Errors arrive as ImapFailure. */
export async function openImap(account: ImapAccount, opts: { timeoutMs?: number } = {}): Promise<ImapFlow> {
  await checkImapHost(account.host, account.tlsMode);
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const client = new ImapFlow({
    host: account.host,
    port: account.port,
    secure: account.tlsMode === "tls",
    // starttls: required, never a silent fall back to cleartext; none: never attempted.
    doSTARTTLS: account.tlsMode === "starttls" ? true : account.tlsMode === "none" ? false : undefined,
    auth: { user: account.username, pass: account.password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: 10 * 60_000,
    // net/tls connect with this lookup: the address connected to is the one the guard checked.
    tls: { lookup: guardedLookup, ...tlsForTests },
  });
  // Failures surface through the awaited calls and 'close'; an unhandled 'error' would end the process.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (err) {
    client.close();
    throw classifyImapError(err);
  }
  return client;
}

type ImapErr = {
  code?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  responseStatus?: string;
  responseText?: string;
  executedCommand?: string;
  message?: string;
};

/** An ImapFailure naming what went wrong, never echoing a server line that could carry the user name or password. */
export function classifyImapError(err: unknown): ImapFailure {
  if (err instanceof ImapFailure) return err;
  const refusal = outboundRefusal(err);
  if (refusal) return new ImapFailure("refused", "host", `host is refused: ${refusal.reason}`);
  const e = (err ?? {}) as ImapErr;
  const code = typeof e.code === "string" ? e.code : "";
  if (e.authenticationFailed)
    return new ImapFailure("auth", "password", "the server refused the user name or password");
  if (
    e.tlsFailed ||
    /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH)/.test(code) ||
    /STARTTLS/i.test(e.message ?? "")
  ) {
    return new ImapFailure(
      "tls",
      "tlsMode",
      `TLS failed (${code || "handshake"}): check the TLS mode and the server's certificate`,
    );
  }
  if (/TIMEOUT|ETIMEDOUT/.test(code))
    return new ImapFailure("timeout", "host", `the server did not answer in time (${code})`);
  if (
    [
      "ECONNREFUSED",
      "ENOTFOUND",
      "EAI_AGAIN",
      "EHOSTUNREACH",
      "ENETUNREACH",
      "ECONNRESET",
      "NoConnection",
      "EPIPE",
    ].includes(code)
  ) {
    return new ImapFailure("unreachable", "host", `cannot reach the server (${code})`);
  }
  return new ImapFailure("protocol", "host", `the IMAP server answered unexpectedly${code ? ` (${code})` : ""}`);
}

/** SELECTs the folder; a folder the server does not have is the admin's `folder` to fix. */
export async function selectFolder(client: ImapFlow, folder: string, field: "folder" | "moveTo" = "folder") {
  try {
    return await client.mailboxOpen(folder);
  } catch (err) {
    const e = err as ImapErr;
    if (e.responseStatus === "NO" || e.responseStatus === "BAD")
      throw new ImapFailure("folder", field, `the server has no folder "${folder}" for this user`);
    throw classifyImapError(err);
  }
}

/** Logs out politely, but never waits long for a server that stopped answering. */
export async function closeImap(client: ImapFlow, waitMs = 2_000): Promise<void> {
  if (!client.usable) return client.close();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.logout().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
  clearTimeout(timer);
  client.close();
}
