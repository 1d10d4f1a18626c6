import "server-only";
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import { withTenant } from "../db/tenant";
import { env, type Env } from "../env";
import { isFeatureEnabled } from "../flags/flags";
import { logger } from "../observability/logger";
import { limiter } from "../ratelimit/limiters";
import { normalizeAddress, unsafeFindSupportAddress } from "./addresses";
import { countInbound } from "./email-metrics";
import { storeInbound } from "./store-inbound";

// The SMTP intake (SPEC §11, decision 029). Every refusal happens as early as the protocol allows
// (550 at RCPT TO, 552 on size, 451 while switched off or over the sender's rate), and 250 is
// said only once the raw message and its apply job are committed: a crash before that makes the
// sending server retry, a crash after it leaves a job that the worker will run.

export type SmtpListen = { host: string; port: number };
export type RunningSmtpReceiver = { host: string; port: number; close: () => Promise<void> };

/** Where the receiver listens: outside production 127.0.0.1:2525 by default; in production only when configured. */
export function inboundSmtpListen(e: Pick<Env, "NODE_ENV" | "INBOUND_SMTP_HOST" | "INBOUND_SMTP_PORT">): SmtpListen | null {
  if (e.INBOUND_SMTP_PORT === "off") return null;
  if (e.NODE_ENV === "production" && e.INBOUND_SMTP_HOST === undefined && e.INBOUND_SMTP_PORT === undefined) return null;
  return { host: e.INBOUND_SMTP_HOST ?? "127.0.0.1", port: e.INBOUND_SMTP_PORT ?? 2525 };
}

type Recipient = { orgId: string; address: string };
type Session = SMTPServerSession & { beacon?: Recipient[] };

/** "::ffff:192.0.2.1" (an IPv4 client on a dual-stack socket) → "192.0.2.1". */
const clientIp = (a: string) => a.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1");

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export async function startSmtpReceiver(listen: SmtpListen, opts: { maxBytes?: number; ratePerMin?: number } = {}): Promise<RunningSmtpReceiver> {
  const log = logger().child({ component: "smtp-in" });
  const maxBytes = opts.maxBytes ?? env().INBOUND_MAX_BYTES;
  const ratePerMin = opts.ratePerMin ?? env().INBOUND_RATE_PER_SENDER_PER_MIN;

  const onMailFrom = (address: SMTPServerAddress, session: Session, cb: (err?: Error | null) => void) => {
    const sender = normalizeAddress(address.address) ?? `<>@${session.remoteAddress}`;
    void limiter({ name: "smtp-sender", points: ratePerMin, durationSec: 60 })
      .then((l) => l.consume(sender))
      .then(() => cb())
      .catch((err: unknown) => {
        if (err instanceof Error) log.error({ err: err.message }, "sender rate limiter failed; accepting");
        else log.warn({ sender, event: "smtp_rate_limited" }, "sender over its rate; asked to retry later");
        cb(err instanceof Error ? null : smtpError(451, "4.7.1 Too many messages from this sender, try again later"));
      });
  };

  const onRcptTo = (address: SMTPServerAddress, session: Session, cb: (err?: Error | null) => void) => {
    const rcpt = normalizeAddress(address.address);
    void (async () => {
      const found = rcpt ? await unsafeFindSupportAddress(rcpt) : null;
      if (!found) {
        countInbound("smtp", "rejected");
        return cb(smtpError(550, "5.1.1 No such mailbox here"));
      }
      const on = await withTenant(found.orgId, (tx) => isFeatureEnabled(tx, found.orgId, "email_inbound"));
      if (!on) return cb(smtpError(451, "4.3.2 Mail intake is paused, try again later"));
      // The recipient as addressed: a plus-address keeps its reply token for the apply job (decision 031).
      session.beacon = [...(session.beacon ?? []), { orgId: found.orgId, address: rcpt ?? found.address }];
      cb();
    })().catch((err: unknown) => {
      log.error({ err: err instanceof Error ? err.message : String(err) }, "recipient lookup failed");
      cb(smtpError(451, "4.3.0 Temporary failure, try again later"));
    });
  };

  const onData = (stream: SMTPServerDataStream, session: Session, reply: (err?: Error | null, message?: string) => void) => {
    // A stream error may be followed by its end: answer the client once.
    let answered = false;
    const cb = (err?: Error | null, message?: string) => {
      if (answered) return;
      answered = true;
      reply(err, message);
    };
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and thrown away (the client is still sending it).
      if (size <= maxBytes) chunks.push(chunk);
    });
    stream.on("error", (err: Error) => cb(smtpError(451, `4.3.0 ${err.message}`)));
    stream.on("end", () => {
      if (stream.sizeExceeded || size > maxBytes) {
        countInbound("smtp", "rejected");
        return cb(smtpError(552, `5.3.4 Message too large (limit ${maxBytes} bytes)`));
      }
      const raw = Buffer.concat(chunks, size);
      const mailFrom = session.envelope.mailFrom ? normalizeAddress(session.envelope.mailFrom.address) : null;
      // One copy per org addressed (a message to two orgs' addresses is two orgs' business).
      const byOrg = new Map<string, string>();
      for (const r of session.beacon ?? []) if (!byOrg.has(r.orgId)) byOrg.set(r.orgId, r.address);
      void (async () => {
        const ids: string[] = [];
        for (const [orgId, rcptTo] of byOrg) {
          // The client as we saw it: the apply job checks SPF against it (decision 035).
          const r = await storeInbound({ orgId, source: "smtp", raw, mailFrom, rcptTo, client: { ip: clientIp(session.remoteAddress), helo: session.hostNameAppearsAs?.slice(0, 255) || null } });
          if (!r.stored) return cb(smtpError(451, "4.3.2 Mail intake is paused, try again later"));
          ids.push(r.inboundId);
          log.info({ orgId, inboundId: r.inboundId, duplicate: r.duplicate, bytes: raw.length, event: "inbound_stored" }, "inbound message stored");
        }
        cb(null, `2.0.0 Accepted ${ids.join(" ")}`);
      })().catch((err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, "storing an inbound message failed; sender will retry");
        cb(smtpError(451, "4.3.0 Temporary failure, try again later"));
      });
    });
  };

  const server = new SMTPServer({
    name: "beacon",
    banner: "Beacon inbound mail",
    size: maxBytes,
    authOptional: true,
    // STARTTLS and AUTH for a relay in front of Beacon come with the next part (decision 029).
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onMailFrom,
    onRcptTo,
    onData,
  });
  server.on("error", (err) => log.error({ err: err.message }, "smtp receiver error"));
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.server.off("error", reject);
      resolve();
    });
  });
  const addr = server.server.address() as AddressInfo;
  log.info({ host: addr.address, port: addr.port }, "smtp receiver listening");
  return {
    host: addr.address,
    port: addr.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
