import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerAuthentication,
  type SMTPServerAuthenticationResponse,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from "smtp-server";
import { withTenant } from "../db/tenant";
import { env, isLoopbackHost, type Env } from "../env";
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
export function inboundSmtpListen(
  e: Pick<Env, "NODE_ENV" | "INBOUND_SMTP_HOST" | "INBOUND_SMTP_PORT">,
): SmtpListen | null {
  if (e.INBOUND_SMTP_PORT === "off") return null;
  if (e.NODE_ENV === "production" && e.INBOUND_SMTP_HOST === undefined && e.INBOUND_SMTP_PORT === undefined)
    return null;
  return { host: e.INBOUND_SMTP_HOST ?? "127.0.0.1", port: e.INBOUND_SMTP_PORT ?? 2525 };
}

type Recipient = { orgId: string; address: string };
type Session = SMTPServerSession & { beacon?: Recipient[] };

/** "::ffff:192.0.2.1" (an IPv4 client on a dual-stack socket) → "192.0.2.1". */
const clientIp = (a: string) => a.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1");

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

/** STARTTLS with this key and certificate (PEM); `require`: no mail before STARTTLS. */
export type SmtpTls = { key: string | Buffer; cert: string | Buffer; require: boolean };
/** AUTH PLAIN/LOGIN with one user, required for every message (a relay in front of Beacon). */
export type SmtpAuth = { user: string; password: string };

/** STARTTLS and AUTH as configured (INBOUND_SMTP_TLS_*, INBOUND_SMTP_AUTH_*); an unreadable key or certificate fails the start. */
export function smtpSecurityFromEnv(
  e: Pick<
    Env,
    | "INBOUND_SMTP_TLS_KEY"
    | "INBOUND_SMTP_TLS_CERT"
    | "INBOUND_SMTP_REQUIRE_TLS"
    | "INBOUND_SMTP_AUTH_USER"
    | "INBOUND_SMTP_AUTH_PASSWORD"
  > = env(),
): { tls: SmtpTls | null; auth: SmtpAuth | null } {
  const read = (name: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`${name}: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return {
    tls:
      e.INBOUND_SMTP_TLS_KEY && e.INBOUND_SMTP_TLS_CERT
        ? {
            key: read("INBOUND_SMTP_TLS_KEY", e.INBOUND_SMTP_TLS_KEY),
            cert: read("INBOUND_SMTP_TLS_CERT", e.INBOUND_SMTP_TLS_CERT),
            require: e.INBOUND_SMTP_REQUIRE_TLS,
          }
        : null,
    auth:
      e.INBOUND_SMTP_AUTH_USER && e.INBOUND_SMTP_AUTH_PASSWORD
        ? { user: e.INBOUND_SMTP_AUTH_USER, password: e.INBOUND_SMTP_AUTH_PASSWORD }
        : null,
  };
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
/** Compared as digests of equal length, so the time taken says nothing about the secret. */
const sameSecret = (given: string, want: string) => timingSafeEqual(digest(given), digest(want));

export async function startSmtpReceiver(
  listen: SmtpListen,
  opts: { maxBytes?: number; ratePerMin?: number; tls?: SmtpTls | null; auth?: SmtpAuth | null } = {},
): Promise<RunningSmtpReceiver> {
  const log = logger().child({ component: "smtp-in" });
  const maxBytes = opts.maxBytes ?? env().INBOUND_MAX_BYTES;
  const ratePerMin = opts.ratePerMin ?? env().INBOUND_RATE_PER_SENDER_PER_MIN;
  const fromEnv = opts.tls === undefined || opts.auth === undefined ? smtpSecurityFromEnv() : null;
  const tls = opts.tls === undefined ? fromEnv!.tls : opts.tls;
  const auth = opts.auth === undefined ? fromEnv!.auth : opts.auth;
  const loopback = isLoopbackHost(listen.host);
  // A password in clear text only where nobody else can listen (env.ts refuses the configuration otherwise).
  if (auth && !tls && !loopback)
    throw new Error(
      "SMTP AUTH without STARTTLS is allowed on a loopback address only: set INBOUND_SMTP_TLS_KEY and INBOUND_SMTP_TLS_CERT",
    );

  const onAuth = (
    a: SMTPServerAuthentication,
    session: Session,
    cb: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
  ) => {
    const ok =
      auth !== null &&
      (a.method === "PLAIN" || a.method === "LOGIN") &&
      sameSecret(a.username ?? "", auth.user) &&
      sameSecret(a.password ?? "", auth.password);
    if (!ok) {
      log.warn({ remote: session.remoteAddress, method: a.method, event: "smtp_auth_failed" }, "SMTP AUTH refused");
      return cb(smtpError(535, "5.7.8 Authentication credentials invalid"));
    }
    cb(null, { user: auth.user });
  };

  const onMailFrom = (address: SMTPServerAddress, session: Session, cb: (err?: Error | null) => void) => {
    if (tls?.require && !session.secure) return cb(smtpError(530, "5.7.0 Must issue a STARTTLS command first"));
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

  const onData = (
    stream: SMTPServerDataStream,
    session: Session,
    reply: (err?: Error | null, message?: string) => void,
  ) => {
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
          const r = await storeInbound({
            orgId,
            source: "smtp",
            raw,
            mailFrom,
            rcptTo,
            client: { ip: clientIp(session.remoteAddress), helo: session.hostNameAppearsAs?.slice(0, 255) || null },
          });
          if (!r.stored) return cb(smtpError(451, "4.3.2 Mail intake is paused, try again later"));
          ids.push(r.inboundId);
          log.info(
            { orgId, inboundId: r.inboundId, duplicate: r.duplicate, bytes: raw.length, event: "inbound_stored" },
            "inbound message stored",
          );
        }
        cb(null, `2.0.0 Accepted ${ids.join(" ")}`);
      })().catch((err: unknown) => {
        log.error(
          { err: err instanceof Error ? err.message : String(err) },
          "storing an inbound message failed; sender will retry",
        );
        cb(smtpError(451, "4.3.0 Temporary failure, try again later"));
      });
    });
  };

  const server = new SMTPServer({
    name: "beacon",
    banner: "Beacon inbound mail",
    size: maxBytes,
    // STARTTLS and AUTH only when configured (decision 035): a relay in front of Beacon.
    authOptional: auth === null,
    authMethods: ["PLAIN", "LOGIN"],
    allowInsecureAuth: loopback,
    disabledCommands: [...(auth ? [] : ["AUTH"]), ...(tls ? [] : ["STARTTLS"])],
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    onAuth,
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
