import "server-only";
import fs from "node:fs";
import path from "node:path";
import nodemailer, { type Transporter } from "nodemailer";
import { env } from "../env";

// The one way Beacon sends mail (notifications, replies to customers, templates, password links):
// SMTP_URL's server, or .eml files in the data directory when there is none.

export type Mailer = { send: (msg: nodemailer.SendMailOptions) => Promise<void>; describe: string };

const g = globalThis as unknown as { __beaconMailer?: { key: string; mailer: Mailer } };

/**
 * SMTP_URL → nodemailer SMTP. Without it (dev/demo) each message is written as an .eml file under
 * .data/mail, so a newcomer can open what would have been sent.
 */
export function mailer(): Mailer {
  const e = env();
  const key = `${e.SMTP_URL ?? ""}|${e.BEACON_DATA_DIR}`;
  if (g.__beaconMailer?.key === key) return g.__beaconMailer.mailer;
  let m: Mailer;
  if (e.SMTP_URL) {
    const transport: Transporter = nodemailer.createTransport(e.SMTP_URL, {
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    m = { send: async (msg) => void (await transport.sendMail(msg)), describe: `SMTP ${new URL(e.SMTP_URL).host}` };
  } else {
    const dir = path.resolve(e.BEACON_DATA_DIR, "mail");
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
    secureMailSpool(dir);
    m = {
      send: async (msg) => {
        const info = await transport.sendMail(msg);
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const name = `${new Date().toISOString().replace(/[:.]/g, "-")}-${String(msg.messageId ?? "msg").replace(/[^\w.-]/g, "")}.eml`;
        // The messages hold live invitation and reset links: owner-only, like uploads.
        fs.writeFileSync(path.join(dir, name), info.message as Buffer, { mode: 0o600 });
      },
      describe: `files in ${dir}`,
    };
  }
  g.__beaconMailer = { key, mailer: m };
  return m;
}

/**
 * The spool directory is the owner's only (0700) and its .eml files 0600, including a spool left
 * by an older version with 0755/0644: run once per process, when the mailer is first built.
 */
function secureMailSpool(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".eml")) fs.chmodSync(path.join(dir, entry.name), 0o600);
  }
}

export function mailFrom(): string {
  return env().MAIL_FROM ?? "Beacon <no-reply@beacon.localhost>";
}
