import "server-only";
import fs from "node:fs";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import nodemailer, { type Transporter } from "nodemailer";
import { env } from "../env";
import { withTenant } from "../db/tenant";
import { notifications } from "../db/schema/notifications";
import { isFeatureEnabled } from "../flags/flags";
import { orgs } from "../db/schema/orgs";
import { users } from "../db/schema/users";
import { countOutbound } from "../email/email-metrics";
import { logger } from "../observability/logger";
import { notificationText } from "./messages";

type Mailer = { send: (msg: nodemailer.SendMailOptions) => Promise<void>; describe: string };

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

/** What a notification's email_error says when its email was skipped by the feature switch. */
export const EMAIL_SWITCHED_OFF = "not sent: email notifications were switched off (feature notifications_email)";
export const EMAIL_BOUNCING =
  "not sent: the address is bouncing (a delivery report said mail to it failed); it clears when they write in";

export function mailFrom(): string {
  return env().MAIL_FROM ?? "Beacon <no-reply@beacon.localhost>";
}

/**
 * Sends a notification's email once. The notification row is locked while sending and stamped
 * emailed_at in the same transaction, so concurrent or repeated jobs send nothing more; a failure
 * records the attempt and rethrows so pg-boss retries with backoff (then dead-letters).
 * A worker killed after the SMTP server accepted but before commit can cause one resend; the
 * Message-ID is stable per notification so receivers can discard the duplicate.
 * With the org's email channel switched off (feature `notifications_email`) nothing is sent and
 * the job completes ("disabled", no retry); the notification keeps emailed_at null and says why in
 * email_error, and is not sent later when the channel comes back.
 */
export async function handleEmail(job: {
  orgId: string;
  notificationId: string;
}): Promise<"sent" | "skipped" | "disabled"> {
  let failure: Error | undefined;
  const result = await withTenant(job.orgId, async (tx) => {
    if (!(await isFeatureEnabled(tx, job.orgId, "notifications_email"))) {
      await tx
        .update(notifications)
        .set({ emailError: EMAIL_SWITCHED_OFF })
        .where(and(eq(notifications.id, job.notificationId), sql`${notifications.emailedAt} is null`));
      return "disabled" as const;
    }
    const [n] = await tx
      .select({
        id: notifications.id,
        kind: notifications.kind,
        payload: notifications.payload,
        emailedAt: notifications.emailedAt,
        ticketId: notifications.ticketId,
        email: users.email,
        name: users.name,
        bouncingAt: users.emailBouncingAt,
        orgName: orgs.name,
      })
      .from(notifications)
      .innerJoin(users, and(eq(users.orgId, notifications.orgId), eq(users.id, notifications.userId)))
      .innerJoin(orgs, eq(orgs.id, notifications.orgId))
      .where(eq(notifications.id, job.notificationId))
      .for("update", { of: notifications });
    if (!n || n.emailedAt) return "skipped" as const;
    // A bouncing address gets no mail until its owner writes in again (decision 035).
    if (n.bouncingAt) {
      await tx.update(notifications).set({ emailError: EMAIL_BOUNCING }).where(eq(notifications.id, n.id));
      countOutbound("notification", "skipped-bouncing");
      return "skipped" as const;
    }
    const text = notificationText(n.kind, n.payload as Parameters<typeof notificationText>[1]);
    const base = env().NEXTAUTH_URL ?? `http://localhost:${env().PORT}`;
    const link = n.ticketId ? `${base}/tickets/${n.ticketId}` : base;
    try {
      await mailer().send({
        from: mailFrom(),
        to: { name: n.name, address: n.email },
        subject: `[${n.orgName}] ${text.title}`,
        text: `${text.body}\n\nOpen it in Beacon: ${link}\n`,
        messageId: `<${n.id}@beacon.notifications>`,
        headers: { "X-Beacon-Notification": n.id, "Auto-Submitted": "auto-generated" },
      });
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      countOutbound("notification", "failed");
      return "failed" as const;
    }
    countOutbound("notification", "sent");
    await tx
      .update(notifications)
      .set({ emailedAt: sql`now()`, emailAttempts: sql`${notifications.emailAttempts} + 1`, emailError: null })
      .where(eq(notifications.id, n.id));
    return "sent" as const;
  });
  if (result === "disabled") {
    logger().info(
      { job: "email", event: "email_skipped", orgId: job.orgId, notificationId: job.notificationId },
      "email not sent: notifications_email is switched off",
    );
    return result;
  }
  if (result === "failed") {
    await withTenant(job.orgId, (tx) =>
      tx
        .update(notifications)
        .set({ emailAttempts: sql`${notifications.emailAttempts} + 1`, emailError: failure!.message.slice(0, 500) })
        .where(eq(notifications.id, job.notificationId)),
    );
    logger().warn(
      { job: "email", notificationId: job.notificationId, err: failure!.message },
      "email delivery failed; will retry",
    );
    throw failure!;
  }
  return result;
}

/** Called for jobs that exhausted their retries (the email-dead queue). */
export async function markEmailDead(job: { orgId: string; notificationId: string }): Promise<void> {
  await withTenant(job.orgId, (tx) =>
    tx
      .update(notifications)
      .set({ emailError: sql`'dead letter: ' || coalesce(${notifications.emailError}, 'retries exhausted')` })
      .where(and(eq(notifications.id, job.notificationId), sql`${notifications.emailedAt} is null`)),
  );
  logger().error({ job: "email", notificationId: job.notificationId }, "email dead-lettered after retries");
}
