import http from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export type Mail = { to: string[]; raw: string };

/** A real SMTP server on 127.0.0.1 (smtp-server), collecting what it accepts. */
export async function startSmtp(
  opts: {
    rejectFirst?: number;
    holdMs?: number;
    rejectIf?: (raw: string) => boolean;
    holdIf?: (raw: string) => number;
    onData?: (raw: string) => void;
  } = {},
) {
  const mails: Mail[] = [];
  const closed = new Set<string>();
  let rejections = opts.rejectFirst ?? 0;
  let attempts = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
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
        if (rejections > 0 || opts.rejectIf?.(raw)) {
          if (rejections > 0) rejections--;
          const err = Object.assign(new Error("try again later"), { responseCode: 451 });
          return callback(err);
        }
        opts.onData?.(raw);
        setTimeout(
          () => {
            // A client that went away before our 250 never had its message accepted.
            if (closed.has(session.id)) return callback(new Error("client gone"));
            mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
            callback();
          },
          opts.holdIf?.(raw) ?? opts.holdMs ?? 0,
        ).unref();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    attempts: () => attempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type Hit = { headers: http.IncomingHttpHeaders; body: string; at: number };

/** A real HTTP webhook receiver on 127.0.0.1 answering with the given status codes in turn. */
export async function startReceiver(statuses: number[] = [200]) {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hits.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      const status = statuses[Math.min(hits.length - 1, statuses.length - 1)]!;
      res.writeHead(status, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
