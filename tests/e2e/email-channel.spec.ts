import fs from "node:fs";
import path from "node:path";
import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { simpleParser, type ParsedMail } from "mailparser";
import nodemailer from "nodemailer";
import { asSystem, demoPassword, userByEmail } from "./db";

// Issue 12, "How it is checked": a message sent to the org's support address shows up in the agent's
// workspace, the agent replies in the browser, the .eml that goes out threads to the original, and
// a reply to that .eml lands on the same ticket. Real parts only: the inbound SMTP receiver that
// scripts/test-e2e.ts starts (E2E_SMTP_PORT), the worker that applies the mail and sends the reply
// (about 20 s after the comment, decision 031), and the run's mail spool (E2E_MAIL_DIR).

function smtpPort(): number {
  const p = Number(process.env.E2E_SMTP_PORT);
  if (!p) throw new Error("E2E_SMTP_PORT is not set: run the specs through `npm run test:e2e`");
  return p;
}

function mailDir(): string {
  const d = process.env.E2E_MAIL_DIR;
  if (!d) throw new Error("E2E_MAIL_DIR is not set: run the specs through `npm run test:e2e`");
  return d;
}

const transport = () =>
  nodemailer.createTransport({ host: "127.0.0.1", port: smtpPort(), secure: false, ignoreTLS: true });

/** Every .eml in the spool whose subject contains `needle`. */
async function spooled(needle: string): Promise<ParsedMail[]> {
  const dir = mailDir();
  if (!fs.existsSync(dir)) return [];
  const out: ParsedMail[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".eml"))) {
    const mail = await simpleParser(fs.readFileSync(path.join(dir, name)));
    if (mail.subject?.includes(needle)) out.push(mail);
  }
  return out;
}

async function agentSignedIn(page: Page, email: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(demoPassword());
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
}

test("mail to support@ becomes a ticket, the agent's reply goes out threaded, and the answer to it lands on the same ticket", async ({
  page,
  org,
}) => {
  // The reply email waits ~20 s for attachments, then the worker polls: give the whole story time.
  test.setTimeout(180_000);
  const stamp = Date.now().toString(36);
  const subject = `VPN drops every ten minutes ${stamp}`;
  const sender = `dana.${stamp}@customer.example`;
  const originalId = `<e2e.${stamp}.1@customer.example>`;
  const replyText = `Please switch the VPN client to TCP mode ${stamp}`;
  const answerText = `Switched to TCP, it holds now ${stamp}`;

  // The customer writes to the support address, as a mail client would.
  const sent = await transport().sendMail({
    from: { name: "Dana Customer", address: sender },
    to: org.support,
    subject,
    messageId: originalId,
    text: `Hello,\n\nsince Monday the VPN drops every ten minutes (${stamp}).\n\nDana`,
  });
  expect(sent.accepted).toEqual([org.support]);

  // The agent finds it in the workspace once the worker has applied it.
  await agentSignedIn(page, org.email("agent"));
  const row = page.getByTestId("ticket-row").filter({ hasText: subject });
  await expect(async () => {
    await page.goto("/?view=unassigned");
    await expect(row).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 60_000, intervals: [1_000] });
  await row.getByRole("link", { name: subject }).click();
  await expect(page.getByTestId("ticket-subject")).toHaveText(subject);
  const number = Number((await page.getByTestId("ticket-number").innerText()).replace(/\D/g, ""));
  expect(number).toBeGreaterThan(0);

  const first = page.getByTestId("public-reply").first();
  await expect(first.getByTestId("comment-channel")).toHaveText("Channel: Email");
  await expect(first.getByTestId("email-envelope")).toContainText(`From${sender}`);
  await expect(first.getByTestId("email-envelope")).toContainText(org.support);
  await expect(page.getByTestId("requester")).toContainText(sender);
  await expect(page.getByTestId("ticket-ccs")).toHaveText("No one");
  await page.screenshot({ path: "test-results/email-ticket.png", fullPage: true });

  // The agent takes it (which also keeps it out of the Unassigned view other specs pick from).
  const agentUser = await userByEmail(org.email("agent"), org.slug);
  await page.getByLabel("Assignee").selectOption({ label: `${agentUser.name} (you)` });
  await expect(page.getByTestId("properties-status")).toHaveText("Assigned to you.");

  // The agent answers in the browser; the box says the answer is emailed.
  const message = page.getByLabel("Message (the customer sees it)");
  await expect(message).toHaveAccessibleDescription(/emailed to the requester/);
  await message.fill(replyText);
  await page.getByRole("button", { name: "Send public reply" }).click();
  await expect(page.getByTestId("reply-box").getByRole("status")).toHaveText("Reply sent.");
  const agentReply = page.getByTestId("public-reply").filter({ hasText: replyText });
  await expect(agentReply.getByTestId("comment-channel")).toHaveText("Channel: Web");
  await expect(agentReply.getByTestId("email-envelope")).toHaveCount(0);

  // The worker sends it (to the spool: no SMTP_URL), threaded to the customer's message.
  let out: ParsedMail | undefined;
  await expect
    .poll(async () => (out = (await spooled(subject)).find((m) => m.text?.includes(replyText))) !== undefined, {
      timeout: 90_000,
      intervals: [2_000],
    })
    .toBe(true);
  const reply = out!;
  expect(reply.inReplyTo).toBe(originalId);
  expect(reply.references).toContain(originalId);
  expect(reply.subject).toBe(`Re: ${subject} [#${number}]`);
  expect(reply.from?.value[0]?.address).toBe(org.support);
  expect(reply.to && !Array.isArray(reply.to) ? reply.to.value.map((a) => a.address) : []).toEqual([sender]);
  const replyTo = reply.replyTo?.value[0]?.address ?? "";
  expect(replyTo).toMatch(new RegExp(`^support\\+[0-9a-z]+-[a-z2-7]+@${org.slug}\\.test$`));
  expect(reply.messageId).toMatch(new RegExp(`^<beacon\\..+@${org.slug}\\.test>$`));

  // The customer answers that email from their mail client: To its Reply-To, In-Reply-To its Message-ID.
  await transport().sendMail({
    from: { name: "Dana Customer", address: sender },
    to: replyTo,
    subject: `Re: ${reply.subject}`,
    messageId: `<e2e.${stamp}.2@customer.example>`,
    inReplyTo: reply.messageId,
    references: [originalId, reply.messageId!],
    text: `${answerText}\n\nOn Mon, Acme wrote:\n> ${replyText}\n`,
  });

  // It lands on the same ticket, as the customer's comment by email, without the quoted history.
  const answer = page.getByTestId("public-reply").filter({ hasText: answerText });
  await expect(async () => {
    await page.reload();
    await expect(answer).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 60_000, intervals: [1_000] });
  await expect(answer.getByTestId("comment-channel")).toHaveText("Channel: Email");
  await expect(answer.getByTestId("email-envelope")).toContainText(`From${sender}`);
  await expect(answer).toContainText("Customer");
  await expect(answer).not.toContainText("On Mon, Acme wrote");
  const tickets = await asSystem((db) =>
    db.query<{ n: number }>("select count(*)::int as n from tickets where subject like $1", [`%${stamp}%`]),
  );
  expect(tickets.rows[0]?.n).toBe(1);
});
