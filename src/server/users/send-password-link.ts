import "server-only";
import { eq } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { orgs } from "../db/schema/orgs";
import { env } from "../env";
import { AppError } from "../core/errors";
import { logger } from "../observability/logger";
import { mailer, mailFrom } from "../email/mailer";
import { LINK_HOURS } from "../auth/setup-link";

type LinkMail = {
  purpose: "invite" | "password_reset";
  to: { email: string; name: string };
  by: string;
  link: { url: string; expiresAt: Date };
};

/** Whether one-time links go out by email (SMTP_URL set) or are handed to the admin. */
export const smtpConfigured = () => env().SMTP_URL !== undefined;

/**
 * Emails a one-time link (invitation or password reset) through the mail channel. Without SMTP_URL
 * there is no real channel (the dev mailer only writes .eml files), so the link is returned for the
 * admin to hand over; with SMTP it is never returned. It is sent inside the change's transaction: a
 * mail server that refuses it rolls the change back, so the admin can simply retry.
 */
export async function sendPasswordLink(tx: Tx, orgId: string, mail: LinkMail): Promise<string | null> {
  const [org] = await tx.select({ name: orgs.name }).from(orgs).where(eq(orgs.id, orgId));
  const orgName = org?.name ?? "your organization";
  const text = mail.purpose === "invite" ? inviteText(mail, orgName) : resetText(mail, orgName);
  const smtp = smtpConfigured();
  try {
    await mailer().send({
      from: mailFrom(),
      to: { name: mail.to.name, address: mail.to.email },
      subject: text.subject,
      text: text.body,
      headers: { "Auto-Submitted": "auto-generated" },
    });
  } catch (err) {
    logger().warn(
      { orgId, purpose: mail.purpose, err: (err as Error).message },
      "one-time link email could not be sent",
    );
    if (smtp) {
      throw new AppError(
        "unavailable",
        "the email could not be sent (the mail server refused it or is down); nothing was changed — try again",
        undefined,
        {
          "Retry-After": "30",
        },
      );
    }
  }
  return smtp ? null : mail.link.url;
}

function inviteText(m: LinkMail, orgName: string) {
  return {
    subject: `You are invited to ${orgName} on Beacon`,
    body:
      `Hello ${m.to.name},\n\n${m.by} invited you to the ${orgName} helpdesk on Beacon.\n` +
      `Choose your password here to get started (the link works once, within ${LINK_HOURS} hours):\n\n${m.link.url}\n\n` +
      `If you did not expect this invitation, you can ignore this message.\n`,
  };
}

function resetText(m: LinkMail, orgName: string) {
  return {
    subject: `Choose a new Beacon password for ${orgName}`,
    body:
      `Hello ${m.to.name},\n\n${m.by}, an administrator of ${orgName}, reset your Beacon password and signed you out everywhere.\n` +
      `Choose a new password here (the link works once, within ${LINK_HOURS} hours):\n\n${m.link.url}\n\n` +
      `Until you do, signing in with your old password asks you to choose a new one first.\n`,
  };
}
