import { expect, test } from "./fixtures";
import { asSystem, ticketOf } from "./db";
import { signedIn, stamp } from "./session";

// Issue 12 items 1 and 8 in the browser: an admin adds a support address on /admin/email and sees
// it listed; an agent copies someone on a ticket and removes them again.

test("an admin adds a support address on the Email admin page and sees it listed", async ({ browser, org }) => {
  const page = await signedIn(browser, org.email("admin"));
  await page.goto("/admin");
  await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Email" }).click();
  await expect(page).toHaveURL(/\/admin\/email$/);
  await expect(page.getByRole("heading", { name: "Email", level: 1 })).toBeVisible();
  // The seeded address is there.
  await expect(page.getByTestId("email-addresses")).toContainText(org.support);
  const address = `help-${stamp()}@acme.test`;
  await page.getByLabel("Address", { exact: true }).fill(address);
  await page.getByLabel("Display name", { exact: true }).fill("Acme Help");
  await page.getByRole("button", { name: "Add address" }).click();
  await expect(page.getByTestId("address-status")).toHaveText(`Support address ${address} added.`);
  await expect(page.getByTestId("email-addresses")).toContainText(address);
  await expect(page.getByTestId("email-addresses")).toContainText("Acme Help");
  // Taken already (it is Globex's): the form says so without naming who has it.
  await page.getByLabel("Address", { exact: true }).fill("support@globex.test");
  await page.getByRole("button", { name: "Add address" }).click();
  const refusal = page.getByRole("alert").filter({ hasText: "already in use" });
  await expect(refusal).toBeVisible();
  await expect(refusal).not.toContainText("Globex");
  // Remove the new one again.
  await page.getByRole("button", { name: `Remove ${address}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Remove address" }).click();
  await expect(page.getByTestId("email-addresses")).not.toContainText(address);
  // The org's inbound-mail settings are on the same page.
  await page.getByLabel("New tickets per sender per hour").fill("7");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Email settings saved." })).toBeVisible();
  const left = await asSystem((db) => db.query("select 1 from email_addresses where lower(address) = $1", [address]));
  expect(left.rowCount).toBe(0);
});

test("an agent adds a CC to a ticket and removes it", async ({ browser, org }) => {
  const ticket = await ticketOf(org.email("customer2"), org.slug);
  const page = await signedIn(browser, org.email("agent"));
  await page.goto(`/tickets/${ticket.id}`);
  const ccs = page.getByTestId("ticket-cc-field");
  const cc = `colleague-${stamp()}@partner.example`;
  await ccs.getByLabel("Add a CC by email address").fill(cc);
  await ccs.getByRole("button", { name: "Add CC" }).click();
  await expect(page.getByTestId("cc-status")).toHaveText(`${cc} copied on this ticket.`);
  await expect(ccs.getByRole("listitem").filter({ hasText: cc })).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("ticket-cc-field").getByRole("listitem").filter({ hasText: cc })).toBeVisible();
  await page
    .getByTestId("ticket-cc-field")
    .getByRole("button", { name: `Remove CC ${cc}` })
    .click();
  await expect(page.getByTestId("cc-status")).toHaveText(`${cc} is no longer copied.`);
  await expect(page.getByTestId("ticket-cc-field").getByRole("listitem").filter({ hasText: cc })).toHaveCount(0);
  const rows = await asSystem((db) =>
    db.query("select 1 from ticket_ccs where ticket_id = $1 and email = $2", [ticket.id, cc]),
  );
  expect(rows.rowCount).toBe(0);
});
