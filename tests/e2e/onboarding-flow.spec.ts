import fs from "node:fs";
import { randomBytes } from "node:crypto";
import { crc32, deflateSync } from "node:zlib";
import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { base32Decode, totp } from "../../src/server/auth/totp";
import { asSystem, demoPassword } from "./db";

// A new agent's first day, end to end through the browser: the admin invites them, they follow
// the invitation link (shown to the admin: the e2e server has no mail server), choose a password,
// set up two-factor sign-in, sign in again with password and one-time code, answer a ticket with
// a file attached — seeing the refusals explained — and download it back, add a note with a file
// the customer never sees; the customer downloads the reply's file and opens a request with one;
// then the admin's export carries the ticket. TOTP codes are computed here with the server's own
// RFC 6238 code.

/** A real 8×8 RGB PNG (signature, IHDR, IDAT, IEND with valid CRCs), different on every run. */
function png(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(8, 0);
  ihdr.writeUInt32BE(8, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = randomBytes((8 * 3 + 1) * 8);
  for (let y = 0; y < 8; y++) raw[y * (8 * 3 + 1)] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A Windows executable's header: recognised by its magic bytes, and not on the allow-list. */
const EXE = Buffer.concat([Buffer.from("MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0", "latin1"), Buffer.alloc(512, 0x41)]);

/** Screenshot for review, and proof that nothing scrolls sideways on a 360 px phone. */
async function shots(page: Page, name: string) {
  await page.screenshot({ path: `test-results/${name}.png`, fullPage: true });
  const size = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, `${name} fits a 360 px screen`).toBe(0);
  await page.screenshot({ path: `test-results/${name}-phone.png`, fullPage: true });
  if (size) await page.setViewportSize(size);
}

/**
 * Names of the org's seeded customers (read from the run's database, as other specs do): the demo
 * seed's, at the org's own domain, not the customers the email specs create from outside senders.
 */
async function seededCustomerNames(orgSlug: string): Promise<string[]> {
  const r = await asSystem((db) =>
    db.query<{ name: string }>(
      "select u.name from users u join orgs o on o.id = u.org_id where o.slug = $1 and u.role = 'customer' and u.email like '%@' || o.slug || '.test'",
      [orgSlug],
    ),
  );
  expect(r.rows.length).toBeGreaterThan(0);
  return r.rows.map((row) => row.name);
}

async function fillSignIn(page: Page, email: string, password: string) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("an invited agent sets a password and two-factor, signs in with a code, attaches files to a reply and a note; the customer gets only the reply's; the admin's export has the ticket", async ({
  browser,
  org,
}) => {
  test.setTimeout(120_000);
  const stamp = Date.now().toString(36);
  const email = `onboarding.${stamp}@acme.test`;
  const name = `Olive Onboard ${stamp}`;
  // Not derived from the stamp: a password may not contain the name or the email's local part.
  const password = "tidal lantern orchard quiver";

  // --- the admin invites the agent from the users screen ---------------------------------------
  const adminContext = await browser.newContext({ acceptDownloads: true });
  const admin = await adminContext.newPage();
  await admin.goto("/login");
  await fillSignIn(admin, org.email("admin"), demoPassword());
  await expect(admin).toHaveURL(/\/$/);
  await admin.getByRole("link", { name: "Admin" }).click();
  await admin.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Users" }).click();
  await expect(admin.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  const invite = admin.getByRole("region", { name: "Invite someone" });
  await invite.getByLabel("Email", { exact: true }).fill(email);
  await invite.getByLabel("Name", { exact: true }).fill(name);
  await invite.getByLabel("Role", { exact: true }).selectOption("agent");
  await invite.getByRole("button", { name: "Send invitation" }).click();
  await expect(
    admin.getByRole("status").filter({ hasText: `${email} was added. Hand them the invitation link below.` }),
  ).toBeVisible();
  const inviteUrl = ((await admin.getByTestId("shown-once").getByTestId("secret-value").textContent()) ?? "").trim();
  expect(inviteUrl).toMatch(/\/setup\/[A-Za-z0-9._-]+$/);
  await expect(admin.getByTestId(`user-${email}`)).toContainText("Invited");

  // --- the agent follows the link and chooses a password -----------------------------------------
  const agentContext = await browser.newContext({ acceptDownloads: true });
  const agent = await agentContext.newPage();
  await agent.goto(inviteUrl);
  await expect(agent.getByRole("heading", { name: "Set your password" })).toBeVisible();
  await expect(agent.getByText(`Welcome, ${name}.`)).toBeVisible();
  await agent.getByLabel("New password").fill(password);
  await agent.getByLabel("Confirm password").fill(password);
  await agent.getByRole("button", { name: "Set password" }).click();
  // The sign-in form comes back with the email filled in.
  await expect(agent).toHaveURL(/\/login\?/);
  await expect(agent.getByLabel("Email", { exact: true })).toHaveValue(email);
  await agent.getByLabel("Password", { exact: true }).fill(password);
  await agent.getByRole("button", { name: "Sign in" }).click();
  await expect(agent).toHaveURL(/\/$/);
  await expect(agent.getByTestId("user-name")).toHaveText(name);
  await expect(agent.getByTestId("user-role")).toHaveText("Agent");
  // The invitation is spent: the link does not work a second time.
  const again = await agentContext.newPage();
  await again.goto(inviteUrl);
  await expect(again.getByRole("heading", { name: "This link is invalid or has expired" })).toBeVisible();
  await again.close();

  // --- two-factor setup from the account page ----------------------------------------------------
  await agent.getByRole("button", { name: /^Account menu/ }).click();
  await agent.getByRole("link", { name: "Account" }).click();
  await agent.getByRole("link", { name: "Set up two-factor sign-in" }).click();
  await agent.getByRole("button", { name: "Start setup" }).click();
  const secret = ((await agent.getByTestId("totp-secret").textContent()) ?? "").replace(/\s/g, "");
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  const key = base32Decode(secret);
  await agent.getByLabel("6-digit code").fill(totp(key, Date.now()));
  await agent.getByRole("button", { name: "Turn on" }).click();
  await expect(agent.getByRole("heading", { name: "Two-factor sign-in is on" })).toBeVisible();
  await expect(agent.getByTestId("recovery-codes").getByRole("listitem")).toHaveCount(10);
  await agent.getByRole("button", { name: "I have saved them" }).click();

  // --- sign out; password alone is no longer enough ----------------------------------------------
  await agent.getByRole("button", { name: /^Account menu/ }).click();
  await agent.getByRole("button", { name: "Sign out" }).click();
  await expect(agent).toHaveURL(/\/login/);
  await fillSignIn(agent, email, password);
  await expect(agent.getByText("Enter the one-time code from your authenticator app.")).toBeVisible();
  // Each time step is accepted once: the code used to confirm the setup cannot be replayed, so the
  // next step's code is used (the server accepts one step either side, as authenticators drift).
  await agent.getByLabel("One-time code").fill(totp(key, Date.now() + 30_000));
  await agent.getByRole("button", { name: "Sign in" }).click();
  await expect(agent).toHaveURL(/\/$/);
  await expect(agent.getByTestId("user-name")).toHaveText(name);

  // --- open a ticket from the workspace and reply with files -------------------------------------
  // A customer's request (other specs leave staff-requested tickets in the list too): the customer
  // signs in later to check what they see of it.
  const customers = await seededCustomerNames(org.slug);
  await agent.getByTestId("view-unassigned").click();
  await expect(agent.getByRole("heading", { level: 1, name: "Unassigned" })).toBeVisible();
  const requestedByCustomer = new RegExp(
    `(${customers.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})$`,
  );
  const firstRow = agent
    .getByTestId("ticket-row")
    .filter({ has: agent.locator("td.col-requester", { hasText: requestedByCustomer }) })
    .first();
  const subject = ((await firstRow.getByRole("link").first().textContent()) ?? "").trim();
  await firstRow.getByRole("link").first().click();
  await expect(agent).toHaveURL(/\/tickets\/[0-9a-f-]{36}$/);
  const ticketId = new URL(agent.url()).pathname.split("/").pop()!;
  await expect(agent.getByTestId("ticket-subject")).toHaveText(subject);

  const reply = agent.getByTestId("reply-box");
  const attach = reply.getByLabel("Attach files");
  await expect(reply.getByText(/Up to 10 MB each: images \(PNG, JPEG, GIF, WebP\), PDF/)).toBeVisible();
  // Too big is refused before anything is sent, with the sizes.
  await attach.setInputFiles({
    name: "scan.pdf",
    mimeType: "application/pdf",
    buffer: Buffer.alloc(11 * 1024 * 1024, 0x20),
  });
  await expect(
    reply.getByRole("alert").filter({ hasText: "“scan.pdf” is 11 MB; files can be at most 10 MB. It was not added." }),
  ).toBeVisible();
  await expect(reply.getByTestId("chosen-files")).toHaveCount(0);

  const screenshot = png();
  await attach.setInputFiles([
    { name: "printer-settings.png", mimeType: "image/png", buffer: screenshot },
    // The browser calls it a PDF; the server judges the bytes.
    { name: "driver.pdf", mimeType: "application/pdf", buffer: EXE },
  ]);
  const chosen = reply.getByTestId("chosen-files");
  await expect(chosen.getByRole("listitem")).toHaveCount(2);
  await expect(chosen).toContainText("printer-settings.png");
  await expect(chosen.getByRole("listitem").filter({ hasText: "printer-settings.png" })).toContainText(
    `${screenshot.length} bytes`,
  );
  await expect(reply.getByRole("alert").filter({ hasText: "It was not added." })).toHaveCount(0);
  await shots(agent, "reply-files-chosen");

  const message = `Welcome aboard: here are the printer settings (${stamp}).`;
  await reply.getByLabel("Message (the customer sees it)").fill(message);
  await reply.getByRole("button", { name: "Send public reply" }).click();
  await expect(reply.getByRole("status")).toHaveText("Reply sent; 1 file not attached.");
  const unattached = reply.getByTestId("unattached");
  await expect(unattached).toContainText("Your message was sent, but this file was not attached:");
  await expect(unattached).toContainText(
    "“driver.pdf” is a kind of file that cannot be attached. You can attach images (PNG, JPEG, GIF, WebP), PDF",
  );
  // Not worth retrying: only Dismiss is offered.
  await expect(reply.getByRole("button", { name: "Try attaching again" })).toHaveCount(0);

  const sent = agent.getByTestId("conversation").getByTestId("public-reply").filter({ hasText: message });
  await expect(sent).toBeVisible();
  const files = sent.getByTestId("attachment");
  await expect(files).toHaveCount(1);
  await expect(files.first()).toContainText("printer-settings.png");
  await expect(files.first().getByTestId("attachment-meta")).toHaveText(/ · PNG image$/);
  await shots(agent, "reply-files-sent");
  // Staff see the upload in the ticket's history; the refused file left no trace there.
  await expect(agent.getByTestId("ticket-history")).toContainText("You attached “printer-settings.png” to a reply");
  await expect(agent.getByTestId("ticket-history")).not.toContainText("driver.pdf");
  await reply.getByRole("button", { name: "Dismiss" }).click();
  await expect(unattached).toHaveCount(0);

  const download = agent.waitForEvent("download");
  await sent.getByRole("link", { name: "Download printer-settings.png" }).click();
  const saved = await download;
  expect(saved.suggestedFilename()).toBe("printer-settings.png");
  expect(fs.readFileSync((await saved.path())!).equals(screenshot)).toBe(true);

  // An internal note's file stays inside the note, and with it away from the customer.
  const noteText = `Contract terms for this customer (${stamp}).`;
  await reply.getByRole("radio", { name: "Internal note" }).check();
  await reply.getByLabel("Note (only agents and admins see it)").fill(noteText);
  await reply.getByLabel("Attach files").setInputFiles({
    name: `contract-${stamp}.txt`,
    mimeType: "text/plain",
    buffer: Buffer.from("Legacy plan until May.\n"),
  });
  await reply.getByRole("button", { name: "Add internal note" }).click();
  await expect(reply.getByRole("status")).toHaveText("Internal note added with 1 file.");
  const note = agent.getByTestId("conversation").getByTestId("internal-note").filter({ hasText: noteText });
  await expect(note.getByRole("link", { name: `Download contract-${stamp}.txt` })).toBeVisible();
  await expect(note.getByTestId("attachment-meta")).toHaveText("23 bytes · Text");

  // --- the customer sees the reply's file, never the note's, and opens a request with a file ----
  const requesterEmail = ((await agent.getByTestId("requester").locator("span").textContent()) ?? "").trim();
  expect(requesterEmail).toMatch(new RegExp(`^[^\\s@]+@${org.slug}\\.test$`));
  const customerContext = await browser.newContext({ acceptDownloads: true });
  const customer = await customerContext.newPage();
  await customer.goto(`/tickets/${ticketId}`);
  await expect(customer).toHaveURL(/\/login/);
  await fillSignIn(customer, requesterEmail, demoPassword());
  await expect(customer).toHaveURL(new RegExp(`/tickets/${ticketId}$`));
  const seen = customer.getByTestId("conversation").getByTestId("public-reply").filter({ hasText: message });
  const customerDownload = customer.waitForEvent("download");
  await seen.getByRole("link", { name: "Download printer-settings.png" }).click();
  expect(fs.readFileSync((await (await customerDownload).path())!).equals(screenshot)).toBe(true);
  expect(await customer.content()).not.toContain(`contract-${stamp}`);
  await expect(customer.getByTestId("attachment")).toHaveCount(1);

  await customer.getByRole("link", { name: "← My requests" }).click();
  await customer.getByRole("link", { name: "New request" }).first().click();
  const requestSubject = `Receipt for the toner order ${stamp}`;
  await customer.getByLabel("Subject").fill(requestSubject);
  await customer.getByLabel("How can we help?").fill("The receipt is attached; the amount looks wrong.");
  const receipt = Buffer.from(`order,amount\ntoner,${stamp}\n`);
  await customer
    .getByLabel("Attach files")
    .setInputFiles({ name: "receipt.csv", mimeType: "text/csv", buffer: receipt });
  await expect(customer.getByTestId("chosen-files")).toContainText("receipt.csv");
  await customer.getByRole("button", { name: "Submit request" }).click();
  await expect(customer).toHaveURL(/\/tickets\/[0-9a-f-]{36}$/);
  await expect(customer.getByTestId("ticket-subject")).toHaveText(requestSubject);
  const original = customer.getByTestId("conversation").getByTestId("public-reply").first();
  await expect(original.getByRole("link", { name: "Download receipt.csv" })).toBeVisible();
  await expect(original.getByTestId("attachment-meta")).toHaveText(`${receipt.length} bytes · CSV`);
  await customerContext.close();

  // --- with attachments switched off the ticket page still works, without files ------------------
  await admin.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Feature flags" }).click();
  const attachmentsSwitch = admin.getByRole("switch", { name: "Attachments" });
  await attachmentsSwitch.click();
  await expect(attachmentsSwitch).toHaveAttribute("aria-checked", "false");
  await agent.reload();
  await expect(sent).toBeVisible();
  await expect(agent.getByTestId("attachment")).toHaveCount(0);
  await expect(reply.getByLabel("Attach files")).toHaveCount(0);
  await expect(reply.getByLabel("Message (the customer sees it)")).toBeVisible();
  await admin.getByRole("button", { name: "Use default for Attachments" }).click();
  await expect(attachmentsSwitch).toHaveAttribute("aria-checked", "true");
  await agent.reload();
  await expect(sent.getByTestId("attachment")).toHaveCount(1);

  // --- the admin exports tickets; the file has this ticket ---------------------------------------
  await admin.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Export" }).click();
  await expect(admin.getByRole("heading", { level: 1, name: "Export" })).toBeVisible();
  const exported = admin.waitForEvent("download");
  await admin.getByRole("button", { name: "Download CSV" }).click();
  const csvFile = await exported;
  await expect(admin.getByTestId("export-status")).toContainText("Export finished:");
  const csv = fs.readFileSync((await csvFile.path())!, "utf8");
  const [header, ...rows] = csv.split("\r\n").filter(Boolean);
  expect(header).toMatch(/^id,number,subject,/);
  const row = rows.find((r) => r.startsWith(`${ticketId},`));
  expect(row, `the export has a row for ticket ${ticketId}`).toBeDefined();
  expect(row).toContain(subject.includes(",") || subject.includes('"') ? `"${subject.replace(/"/g, '""')}"` : subject);

  await agentContext.close();
  await adminContext.close();
});
