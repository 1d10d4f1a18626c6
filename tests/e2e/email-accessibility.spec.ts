import { randomUUID } from "node:crypto";
import { expect, test } from "./fixtures";
import nodemailer from "nodemailer";
import { expectNoAxeViolations } from "./axe";
import { asSystem } from "./db";
import { signedIn, stamp } from "./session";

// Issue 12's admin and agent surfaces in the browser, each checked with axe (WCAG 2.1 AA):
// /admin/email with the customer email templates (edited here), the ticket page of a ticket that
// came in by email with a CC, and /admin/jobs with held and failed incoming mail and its .eml
// download (decision 040). An axe pass takes seconds on a busy machine: each test gets 2 minutes.

test.describe.configure({ timeout: 120_000 });

test("the Email admin page, with its customer email templates, passes axe; an unknown placeholder is refused in the form", async ({
  browser,
  org,
}) => {
  const page = await signedIn(browser, org.email("admin"));
  await page.goto("/admin/email");
  await expect(page.getByRole("heading", { name: "Emails to customers" })).toBeVisible();
  await expectNoAxeViolations(page, "/admin/email");

  const ack = page.getByTestId("template-acknowledgement");
  await ack.getByLabel("Subject").fill("Got it {{ticket.nmber}}");
  await ack.getByRole("button", { name: "Save acknowledgement email" }).click();
  await expect(ack.getByRole("alert")).toContainText("{{ticket.nmber}}");
  await expect(ack.getByLabel("Subject")).toHaveAttribute("aria-invalid", "true");
  await expectNoAxeViolations(page, "/admin/email with a refused template");

  const subject = `We have it: {{ticket.subject}} ${stamp()}`;
  await ack.getByLabel("Subject").fill(subject);
  await ack.getByRole("button", { name: "Save acknowledgement email" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Acknowledgement email saved." })).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("template-acknowledgement").getByLabel("Subject")).toHaveValue(subject);
  // Back to the default, so other specs see the seeded behaviour.
  await page.getByTestId("template-acknowledgement").getByRole("button", { name: "Use the default text" }).click();
  await expect(page.getByRole("status").filter({ hasText: "back to the default text" })).toBeVisible();
  const rows = await asSystem((db) =>
    db.query("select 1 from email_templates t join orgs o on o.id = t.org_id where o.slug = $1", [org.slug]),
  );
  expect(rows.rowCount).toBe(0);

  // The check can fail: an input without a label is reported by rule and element.
  await page.evaluate(() =>
    document.querySelector("main")?.insertAdjacentHTML("beforeend", '<input type="text" id="axe-canary">'),
  );
  await expect(expectNoAxeViolations(page, "a page with an unlabeled input")).rejects.toThrow(/label.*#axe-canary/s);
});

test("the ticket page of an email ticket with a CC passes axe", async ({ browser, org }) => {
  const s = stamp();
  const subject = `Axe check ${s}`;
  const sender = `axe.${s}@customer.example`;
  const port = Number(process.env.E2E_SMTP_PORT);
  if (!port) throw new Error("E2E_SMTP_PORT is not set: run the specs through `npm run test:e2e`");
  await nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true }).sendMail({
    from: { name: "Axe Customer", address: sender },
    to: org.support,
    cc: `colleague.${s}@customer.example`,
    subject,
    messageId: `<axe.${s}@customer.example>`,
    text: `Hello,\n\nthe printer is out of toner (${s}).\n`,
  });
  let ticketId = "";
  await expect
    .poll(
      async () => {
        const r = await asSystem((db) =>
          db.query<{ id: string }>("select id from tickets where subject = $1", [subject]),
        );
        ticketId = r.rows[0]?.id ?? "";
        return ticketId;
      },
      { timeout: 60_000, intervals: [1_000] },
    )
    .not.toBe("");

  const page = await signedIn(browser, org.email("agent"));
  await page.goto(`/tickets/${ticketId}`);
  await expect(page.getByTestId("email-envelope").first()).toContainText(sender);
  await expect(page.getByTestId("ticket-ccs")).toContainText(`colleague.${s}@customer.example`);
  await expectNoAxeViolations(page, "the ticket page of an email ticket");
});

test("/admin/jobs lists held and failed incoming mail with an .eml download, and passes axe", async ({
  browser,
  org,
}) => {
  const s = stamp();
  const raw = (subject: string) =>
    Buffer.from(
      [
        `From: Flood <flood.${s}@customer.example>`,
        `To: ${org.support}`,
        `Subject: ${subject}`,
        `Message-ID: <${subject.replace(/\W/g, "")}@customer.example>`,
        "",
        "Body.",
        "",
      ].join("\r\n"),
    );
  const heldRaw = raw(`Held one ${s}`);
  // Arranged in the database: a real hold needs an hour of tickets from one sender.
  await asSystem(async (db) => {
    for (const [status, body, reason, error] of [
      ["held", heldRaw, "held: 20 new tickets from this sender in the last hour (the org's cap)", null],
      ["failed", raw(`Failed one ${s}`), null, "failed every retry (e2e)"],
    ] as const) {
      await db.query(
        `insert into inbound_messages (org_id, id, source, dedupe_key, message_id, sha256, raw, size_bytes, mail_from, rcpt_to, status, reason, error, from_address)
         values ($1, $2, 'smtp', $3, null, $3, $4, $5, $6, $10, $7, $8, $9, $6)`,
        [
          org.id,
          randomUUID(),
          `e2e-${status}-${s}`,
          body,
          body.byteLength,
          `flood.${s}@customer.example`,
          status,
          reason,
          error,
          org.support,
        ],
      );
    }
  });
  const page = await signedIn(browser, org.email("admin"));
  await page.goto("/admin/jobs");
  const table = page.getByTestId("waiting-inbound");
  const held = table.getByTestId("waiting-inbound-row").filter({ hasText: `Held one ${s}` });
  await expect(held).toContainText("Held (sender cap)");
  await expect(held).toContainText(`flood.${s}@customer.example`);
  await expect(table.getByTestId("waiting-inbound-row").filter({ hasText: `Failed one ${s}` })).toContainText("Failed");
  await expectNoAxeViolations(page, "/admin/jobs");

  const href = await held.getByTestId("waiting-inbound-eml").getAttribute("href");
  const download = await page.request.get(href!);
  expect(download.status()).toBe(200);
  expect(download.headers()["content-type"]).toBe("message/rfc822");
  expect((await download.body()).equals(heldRaw)).toBe(true);
  // An agent may not download it.
  const agent = await signedIn(browser, org.email("agent"));
  expect((await agent.request.get(href!)).status()).toBe(403);
});
