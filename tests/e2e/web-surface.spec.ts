import { type Browser, type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { demoPassword } from "./db";

// Issue 18 item 15: with NEXTAUTH_URL unset (or naming another host), a user at
// http://127.0.0.1:3000 was signed in but every write failed with 403 "Cross-site request
// refused". The e2e server's NEXTAUTH_URL names 127.0.0.1 only; localhost is another Host the
// server answers to. Issue 11 item 6: customers see SLA targets only when the org says so.

async function signIn(browser: Browser, origin: string, email: string): Promise<Page> {
  const page = await (await browser.newContext({ baseURL: origin })).newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(demoPassword());
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`^${origin.replace(/[.:/]/g, "\\$&")}/$`));
  return page;
}

async function openRequestAndReply(page: Page, subject: string) {
  await page.getByRole("link", { name: "New request" }).first().click();
  await page.getByLabel("Subject").fill(subject);
  await page.getByLabel("How can we help?").fill("The scanner jams.");
  await page.getByRole("button", { name: "Submit request" }).click();
  await expect(page).toHaveURL(/\/tickets\/[0-9a-f-]{36}$/);
  const reply = `Also the feeder squeaks ${subject}`;
  await page.getByLabel("Your message").fill(reply);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByTestId("conversation")).toContainText(reply);
  await page.reload();
  await expect(page.getByTestId("conversation")).toContainText(reply);
  await expect(page.getByText(/cross-site request refused/i)).toHaveCount(0);
}

for (const host of ["127.0.0.1", "localhost"]) {
  test(`a customer at ${host} signs in, opens a request and replies (same origin by Host)`, async ({
    browser,
    baseURL,
    org,
  }) => {
    const origin = baseURL!.replace("127.0.0.1", host);
    const page = await signIn(browser, origin, org.email("customer"));
    await openRequestAndReply(page, `at ${host} ${Date.now().toString(36)}`);
  });
}

test("customers see SLA targets only after an admin turns it on", async ({ browser, baseURL, org }) => {
  const customer = await signIn(browser, baseURL!, org.email("customer"));
  await customer.getByRole("link", { name: "New request" }).first().click();
  await customer.getByLabel("Subject").fill(`SLA shown? ${Date.now().toString(36)}`);
  await customer.getByLabel("How can we help?").fill("When will you answer?");
  await customer.getByRole("button", { name: "Submit request" }).click();
  await expect(customer).toHaveURL(/\/tickets\/[0-9a-f-]{36}$/);
  await expect(customer.getByTestId("sla-panel")).toHaveCount(0);

  const admin = await signIn(browser, baseURL!, org.email("admin"));
  await admin.goto("/admin/sla");
  const sw = admin.getByRole("switch", { name: "Show SLA targets to customers" });
  await expect(sw).toHaveAttribute("aria-checked", "false");
  try {
    await sw.click();
    await expect(admin.getByRole("status").filter({ hasText: "Customers now see SLA targets" })).toBeVisible();
    await expect(sw).toHaveAttribute("aria-checked", "true");
    await customer.reload();
    await expect(customer.getByTestId("sla-firstResponse-text")).toHaveText(/^(Due in|Overdue) /);
  } finally {
    if ((await sw.getAttribute("aria-checked")) === "true") {
      await sw.click();
      await expect(sw).toHaveAttribute("aria-checked", "false");
    }
  }
  await customer.reload();
  await expect(customer.getByTestId("sla-panel")).toHaveCount(0);
});
