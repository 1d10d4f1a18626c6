import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { env } from "../env";
import { withTenant } from "../db/tenant";
import { notifications } from "../db/schema/notifications";
import { isFeatureEnabled } from "../flags/flags";
import { orgs } from "../db/schema/orgs";
import { users } from "../db/schema/users";
import { countOutbound } from "../email/email-metrics";
import { logger } from "../observability/logger";
import { notificationText } from "./messages";
import { mailer, mailFrom } from "../email/mailer";

/** What a notification's email_error says when its email was skipped by the feature switch. */
export const EMAIL_SWITCHED_OFF = "not sent: email notifications were switched off (feature notifications_email)";
export const EMAIL_BOUNCING =
  "not sent: the address is bouncing (a delivery report said mail to it failed); it clears when they write in";

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
