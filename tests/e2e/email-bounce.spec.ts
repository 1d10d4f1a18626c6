import { expect, test } from "./fixtures";
import nodemailer from "nodemailer";
import { asSystem, demoPassword } from "./db";

// Decision 035, as an agent sees it: a customer's mail shows its SPF/DKIM/DMARC verdicts under
// From/To/Cc, and after a delivery report says mail to the customer bounces, the ticket page marks
// the requester "bouncing". Real parts: the inbound SMTP receiver of the e2e harness and the worker
// that applies the mail. The reply the report is about is recorded as sent (its outbound
// Message-ID), rather than waiting for the reply job.

function smtpPort(): number {
  const p = Number(process.env.E2E_SMTP_PORT);
  if (!p) throw new Error("E2E_SMTP_PORT is not set: run the specs through `npm run test:e2e`");
  return p;
}
const transport = () =>
  nodemailer.createTransport({ host: "127.0.0.1", port: smtpPort(), secure: false, ignoreTLS: true });

test("a bounce marks the requester on the ticket page; the message shows its authentication verdicts", async ({
  page,
  org,
}) => {
  test.setTimeout(120_000);
  const stamp = Date.now().toString(36);
  const subject = `Invoice address wrong ${stamp}`;
  const sender = `lee.${stamp}@customer.example`;
  await transport().sendMail({
    from: sender,
    to: org.support,
    subject,
    messageId: `<e2e.${stamp}.b1@customer.example>`,
    text: `Please fix it (${stamp}).`,
  });

  // The worker applies it; then Beacon "sent" a reply, which bounces.
  const find = async () =>
    (
      await asSystem((db) =>
        db.query<{ id: string; org_id: string }>("select id, org_id from tickets where subject = $1", [subject]),
      )
    ).rows[0];
  await expect.poll(async () => (await find()) !== undefined, { timeout: 60_000, intervals: [1_000] }).toBe(true);
  const ticket = (await find())!;
  const replyId = `beacon.e2e-${stamp}@${org.slug}.test`;
  await asSystem((db) =>
    db.query(
      "insert into email_message_ids (org_id, message_id, ticket_id, direction) values ($1, $2, $3, 'outbound')",
      [ticket.org_id, replyId, ticket.id],
    ),
  );
  const dsn = [
    "From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>",
    `To: ${org.support}`,
    "Subject: Undelivered Mail Returned to Sender",
    `Message-ID: <dsn.${stamp}@mx.customer.example>`,
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
    "",
    "--b",
    "Content-Type: text/plain",
    "",
    "Your message could not be delivered.",
    "",
    "--b",
    "Content-Type: message/delivery-status",
    "",
    "Reporting-MTA: dns; mx.customer.example",
    "",
    `Final-Recipient: rfc822; ${sender}`,
    "Action: failed",
    "Status: 5.1.1",
    "Diagnostic-Code: smtp; 550 5.1.1 User unknown",
    "",
    "--b",
    "Content-Type: text/rfc822-headers",
    "",
    `From: ${org.support}`,
    `To: ${sender}`,
    `Message-ID: <${replyId}>`,
    "",
    "--b--",
    "",
  ].join("\r\n");
  await transport().sendMail({ envelope: { from: "", to: [org.support] }, raw: dsn });

  await page.goto("/login");
  await page.getByLabel("Email").fill(org.email("agent"));
  await page.getByLabel("Password", { exact: true }).fill(demoPassword());
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);

  const requester = page.getByTestId("requester");
  await expect(async () => {
    await page.goto(`/tickets/${ticket.id}`);
    await expect(requester.getByTestId("bouncing")).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 60_000, intervals: [1_000] });
  await expect(requester.getByTestId("bouncing")).toHaveAttribute("title", /5\.1\.1/);
  // A public reply would reach nobody by email now, and the reply box does not promise it.
  await expect(page.getByLabel("Message (the customer sees it)")).toHaveAccessibleDescription(
    "Markdown is supported. Ctrl+Enter sends.",
  );
  // The customer's message came through the SMTP receiver: checked, and .example has no records.
  await expect(page.getByTestId("public-reply").first().getByTestId("email-envelope")).toContainText(
    "AuthSPF none · DKIM none · DMARC none",
  );
  await page.screenshot({ path: "test-results/email-bounce.png", fullPage: true });
});
