// The outside world the workers talk to: a real SMTP server (smtp-server) and a webhook receiver,
// each recording every delivery it accepted with its idempotency key, and each able to go down
// and come back on the same port.
import http from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export type MailRecord = {
  at: number;
  notificationId: string | null;
  messageId: string | null;
  to: string[];
  subject: string;
};

/** Header value from a raw message's header block (folded lines unfolded). */
function header(raw: string, name: string): string | null {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? "";
  const unfolded = head.replace(/\r?\n[ \t]+/g, " ");
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, "im").exec(unfolded);
  return m ? m[1]!.trim() : null;
}

export async function startMailSink() {
  const accepted: MailRecord[] = [];
  let attempts = 0;
  let holdMs = 0;
  let inFlight = 0;
  let server: SMTPServer | null = null;
  let port = 0;
  const closed = new Set<string>();

  const listen = async () => {
    const s = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      // A reverse DNS lookup of 127.0.0.1 per connection made this server, not Beacon, the bottleneck.
      disableReverseLookup: true,
      logger: false,
      onClose(session) {
        closed.add(session.id);
      },
      onData(stream, session, callback) {
        attempts++;
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          const hold = holdMs;
          inFlight++;
          setTimeout(() => {
            inFlight--;
            // A client that went away before our 250 never had its message accepted.
            if (closed.has(session.id)) return callback(new Error("client gone"));
            accepted.push({
              at: Date.now(),
              notificationId: header(raw, "X-Beacon-Notification"),
              messageId: header(raw, "Message-ID"),
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: header(raw, "Subject") ?? "",
            });
            callback();
          }, hold).unref();
        });
      },
    });
    s.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      s.server.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve());
    });
    port = (s.server.address() as AddressInfo).port;
    server = s;
  };
  await listen();

  return {
    url: () => `smtp://127.0.0.1:${port}`,
    accepted,
    attempts: () => attempts,
    inFlight: () => inFlight,
    isUp: () => server !== null,
    /** Every message is held this long before the 250 (a slow server), so workers are caught mid-send. */
    setHold: (ms: number) => void (holdMs = ms),
    /** Stops listening: connections are refused until up(). */
    down: async () => {
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    up: async () => {
      if (!server) await listen();
    },
    close: async () => {
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
export type MailSink = Awaited<ReturnType<typeof startMailSink>>;

export type HookRecord = {
  at: number;
  deliveryId: string | null;
  event: string | null;
  orgId: string | null;
  /** event|ticket|metric|dueAt: the event a delivery announces. */
  eventIdentity: string;
  signatureValid: boolean;
  answered: number;
};

export async function startHookSink(secretFor: (orgId: string) => string | undefined) {
  const hits: HookRecord[] = [];
  let failing = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let parsed: { orgId?: string; event?: string; ticket?: { id?: string }; metric?: string; dueAt?: string } = {};
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        /* recorded as unsigned garbage below */
      }
      const orgId = parsed.orgId ?? null;
      const secret = orgId ? secretFor(orgId) : undefined;
      const ts = String(req.headers["x-beacon-timestamp"] ?? "");
      const sig = String(req.headers["x-beacon-signature"] ?? "");
      const expected = secret ? `sha256=${createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex")}` : "";
      const signatureValid =
        expected.length > 0 &&
        expected.length === sig.length &&
        timingSafeEqual(Buffer.from(expected), Buffer.from(sig));
      const answered = failing ? 503 : 200;
      hits.push({
        at: Date.now(),
        deliveryId: (req.headers["x-beacon-delivery"] as string | undefined) ?? null,
        event: (req.headers["x-beacon-event"] as string | undefined) ?? null,
        orgId,
        eventIdentity: [parsed.event, parsed.ticket?.id, parsed.metric ?? "", parsed.dueAt ?? ""].join("|"),
        signatureValid,
        answered,
      });
      res.writeHead(answered, { "content-type": "text/plain" }).end(failing ? "unavailable" : "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/beacon-hook`,
    hits,
    /** While failing, every delivery is answered 503 (a receiver that is down behind its load balancer). */
    setFailing: (v: boolean) => void (failing = v),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
export type HookSink = Awaited<ReturnType<typeof startHookSink>>;
