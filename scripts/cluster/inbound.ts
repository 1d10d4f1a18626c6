// Inbound mail during the faults (issue 12 item 9): a stream of messages to a support address of a
// dedicated org, half over SMTP to the receivers the app nodes run (as `npm start` does: the web
// process listens for mail), half to the provider webhook POST /api/v1/email/inbound through the
// proxy with the org's secret. What is refused for now (SMTP 4xx such as 451 while the database is
// down, a dropped connection, webhook 5xx/429/503, no answer) is sent again after a pause, as a real
// MTA or provider does, until it is accepted or the run's deadline passes. Afterwards the database
// must hold exactly one ticket or comment per accepted Message-ID: none lost, none doubled (a
// message sent again after an answer that never arrived is the same Message-ID, and the intake
// stores it once).
import { randomBytes } from "node:crypto";
import nodemailer from "nodemailer";
import pg from "pg";
import { sleep } from "./procs";

export type MailSend = {
  messageId: string;
  via: "smtp" | "webhook";
  kind: "new" | "reply";
  attempts: number;
  /** Answers before the last, e.g. "451", "503", "conn" (no answer). */
  refusals: string[];
  outcome: "accepted" | "refused" | "gave-up";
  lastAnswer: string;
  firstAt: number;
  acceptedAt: number | null;
};
export type MailLedger = { sends: MailSend[] };

export type InboundTarget = {
  smtpPorts: number[];
  proxyUrl: string;
  support: string;
  secret: string;
};

export type InboundState = {
  messages: {
    message_id: string | null;
    status: string;
    outcome: string | null;
    ticket_id: string | null;
    comment_id: string | null;
    error: string | null;
  }[];
  commentsByMessageId: Map<string, number>;
};

const norm = (id: string) => id.replace(/^<|>$/g, "").trim().toLowerCase();

function rawMessage(opts: {
  support: string;
  messageId: string;
  from: string;
  subject: string;
  inReplyTo?: string;
  body: string;
}): string {
  return [
    `From: ${opts.from}`,
    `To: Support <${opts.support}>`,
    `Subject: ${opts.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${opts.messageId}>`,
    ...(opts.inReplyTo ? [`In-Reply-To: <${opts.inReplyTo}>`, `References: <${opts.inReplyTo}>`] : []),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    opts.body,
    "",
  ].join("\r\n");
}

/** One SMTP delivery: "250" when accepted, the reply code when refused, "conn" when there was no answer. */
async function sendSmtp(port: number, from: string, to: string, raw: string): Promise<string> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 15_000,
  });
  try {
    const info = await transport.sendMail({ envelope: { from, to: [to] }, raw });
    return /^250\b/.test(info.response) ? "250" : info.response.slice(0, 3);
  } catch (err) {
    const code = (err as { responseCode?: number }).responseCode;
    return code ? String(code) : "conn";
  } finally {
    transport.close();
  }
}

async function sendWebhook(proxyUrl: string, secret: string, raw: string): Promise<string> {
  try {
    const r = await fetch(`${proxyUrl}/api/v1/email/inbound`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${secret}`,
        "content-type": "message/rfc822",
        "x-request-id": `mail-${randomBytes(6).toString("hex")}`,
      },
      body: raw,
      signal: AbortSignal.timeout(15_000),
    });
    await r.arrayBuffer().catch(() => undefined);
    return String(r.status);
  } catch {
    return "conn";
  }
}

/** What a sending MTA or provider treats as "try again later". */
const retryable = (answer: string) =>
  answer === "conn" ||
  (/^4\d\d$/.test(answer) && answer !== "400" && answer !== "401" && answer !== "413" && answer !== "415") ||
  (/^5\d\d$/.test(answer) && ["500", "502", "503", "504"].includes(answer));
const accepted = (via: MailSend["via"], answer: string) => (via === "smtp" ? answer === "250" : /^2\d\d$/.test(answer));

/**
 * Sends about `perSecond` messages a second until `stop.stopped`, each retried until accepted or
 * `deadline` (epoch ms). Every third message is a reply to an accepted one. Resolves when every
 * message is settled.
 */
export async function runInboundMail(
  target: InboundTarget,
  opts: { perSecond: number; deadline: () => number; stop: { stopped: boolean }; run: string },
  ledger: MailLedger,
): Promise<void> {
  const inFlight: Promise<void>[] = [];
  let i = 0;
  while (!opts.stop.stopped) {
    const n = i++;
    const acceptedSoFar = ledger.sends.filter((s) => s.outcome === "accepted");
    const reply = n % 3 === 2 && acceptedSoFar.length > 0 ? acceptedSoFar[(n * 7) % acceptedSoFar.length]! : null;
    const send: MailSend = {
      messageId: `clmail-${opts.run}-${n}-${randomBytes(4).toString("hex")}@customers.cluster.test`,
      via: n % 2 === 0 ? "smtp" : "webhook",
      kind: reply ? "reply" : "new",
      attempts: 0,
      refusals: [],
      outcome: "gave-up",
      lastAnswer: "",
      firstAt: Date.now(),
      acceptedAt: null,
    };
    ledger.sends.push(send);
    // A sender pool wide enough that the per-sender hourly ticket cap (20) is never what answers.
    const fromAddr = `mailer${n % 97}@customers.cluster.test`;
    const raw = rawMessage({
      support: target.support,
      messageId: send.messageId,
      from: `Mailer ${n % 97} <${fromAddr}>`,
      subject: reply ? `Re: Printer ${reply.messageId.split("-")[2]} jammed` : `Printer ${n} jammed`,
      inReplyTo: reply?.messageId,
      body: reply
        ? `Still jammed, message ${n}.\n\nOn a day, Support wrote:\n> We are on it.`
        : `The printer jammed again (message ${n}).`,
    });
    inFlight.push(
      (async () => {
        let pause = 500;
        for (;;) {
          send.attempts++;
          const answer =
            send.via === "smtp"
              ? await sendSmtp(
                  target.smtpPorts[(n + send.attempts) % target.smtpPorts.length]!,
                  fromAddr,
                  target.support,
                  raw,
                )
              : await sendWebhook(target.proxyUrl, target.secret, raw);
          send.lastAnswer = answer;
          if (accepted(send.via, answer)) {
            send.outcome = "accepted";
            send.acceptedAt = Date.now();
            return;
          }
          send.refusals.push(answer);
          if (!retryable(answer)) {
            send.outcome = "refused";
            return;
          }
          if (Date.now() + pause > opts.deadline()) {
            send.outcome = "gave-up";
            return;
          }
          await sleep(pause);
          pause = Math.min(pause * 2, 4_000);
        }
      })(),
    );
    await sleep(1000 / opts.perSecond);
  }
  await Promise.all(inFlight);
}

/** Waits until no message of the org is still waiting to be applied (or the timeout), then reads what the intake stored and applied. */
export async function readInboundState(
  url: string,
  orgId: string,
  timeoutMs: number,
): Promise<InboundState & { waitedMs: number; pending: number }> {
  const started = Date.now();
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    await c.query("begin");
    await c.query("set local role beacon_system");
    let pending = 0;
    for (;;) {
      const r = await c.query<{ n: number }>(
        `select count(*)::int as n from inbound_messages where org_id = $1 and status in ('received', 'held')`,
        [orgId],
      );
      pending = r.rows[0]!.n;
      if (pending === 0 || Date.now() - started > timeoutMs) break;
      await c.query("commit");
      await sleep(500);
      await c.query("begin");
      await c.query("set local role beacon_system");
    }
    const messages = await c.query<InboundState["messages"][number]>(
      `select message_id, status::text as status, outcome, ticket_id, comment_id, error from inbound_messages where org_id = $1`,
      [orgId],
    );
    const comments = await c.query<{ mid: string; n: number }>(
      `select email->>'messageId' as mid, count(*)::int as n from comments where org_id = $1 and email is not null and email->>'messageId' is not null group by 1`,
      [orgId],
    );
    await c.query("commit");
    return {
      messages: messages.rows,
      commentsByMessageId: new Map(comments.rows.map((r) => [norm(r.mid), r.n])),
      waitedMs: Date.now() - started,
      pending,
    };
  } finally {
    await c.end();
  }
}

export { norm as normalizeMessageId };
