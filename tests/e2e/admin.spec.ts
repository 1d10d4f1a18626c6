import fs from "node:fs";
import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { base32Decode, totp } from "../../src/server/auth/totp";
import { demoPassword } from "./db";
import { signedIn } from "./session";

// What an org's admin does to run their team and own their data, what every user does on their
// account page, and what agents see on the SLA dashboard. Screenshots (desktop and 360 px) land
// in test-results/ for review.

/** Desktop and phone screenshots; the phone one also proves nothing overflows 360 px sideways. */
async function shots(page: Page, name: string) {
  // Sticky parts sit where the scroll position puts them in a full-page capture: start at the top.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `test-results/${name}.png`, fullPage: true });
  const size = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    // The innermost elements sticking out name the culprit in the failure message.
    const out = [...document.querySelectorAll("body *")]
      .filter(
        (el) =>
          el.getBoundingClientRect().right > width + 0.5 &&
          ![...el.children].some((c) => c.getBoundingClientRect().right > width + 0.5),
      )
      .filter((el) => !el.closest("[class*='navList']"))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} → ${Math.round(el.getBoundingClientRect().right)}px`);
    return { by: document.documentElement.scrollWidth - width, culprits: out };
  });
  expect(overflow.by, `${name} fits a 360 px screen; sticking out: ${overflow.culprits.join(", ")}`).toBe(0);
  await page.screenshot({ path: `test-results/${name}-phone.png`, fullPage: true });
  if (size) await page.setViewportSize(size);
}

const stamp = () => Date.now().toString(36);

test("admin adds a webhook and sees its signing secret exactly once", async ({ browser, org }) => {
  const page = await signedIn(browser, org.email("admin"), { acceptDownloads: true });
  await page.goto("/admin");
  await expect(page.getByRole("heading", { level: 1, name: "Administration" })).toBeVisible();
  await shots(page, "admin-overview");

  await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
  // A receiver that does not exist: deliveries fail and are retried, which the list must show.
  const url = `https://hooks.example.test/beacon/${stamp()}`;
  await page.getByLabel("Receiver URL").fill(url);
  await page.getByLabel(/^SLA warning/).uncheck();
  await page.getByLabel(/^SLA breach/).uncheck();
  await page.getByLabel("Ticket created").check();
  await page.getByRole("button", { name: "Add webhook" }).click();

  const once = page.getByTestId("shown-once");
  await expect(once).toBeVisible();
  await expect(once).toContainText("shown only once");
  const secret = (await once.getByTestId("secret-value").textContent()) ?? "";
  expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{20,}$/);
  await expect(page.getByRole("status").filter({ hasText: `Webhook for ${url} added.` })).toBeVisible();
  const card = page.getByTestId("webhook").filter({ hasText: url });
  await expect(card).toContainText(secret.slice(-4));
  await expect(card.getByText("Recent deliveries (0)")).toBeVisible();
  await shots(page, "admin-webhooks");

  await once.getByRole("button", { name: "I have saved it" }).click();
  await expect(once).toHaveCount(0);
  await page.reload();
  await expect(card).toBeVisible();
  expect(await page.content()).not.toContain(secret);

  // A new ticket is delivered (and fails: nobody listens there); the card shows the attempt.
  const created = await page.request.post("/api/v1/tickets", {
    data: { subject: `Webhook probe ${stamp()}`, body: "Does the webhook fire?" },
  });
  expect(created.status()).toBe(201);
  await expect(async () => {
    await page.reload();
    await expect(card.getByText(/^Recent deliveries \([1-9]/)).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await card.getByText(/Recent deliveries/).click();
  const delivery = card.getByRole("table").locator("tbody tr").first();
  await expect(delivery).toContainText("ticket.created");
  await expect(delivery).toContainText(/pending|failed|dead/);
  await shots(page, "admin-webhooks-deliveries");

  // Pausing takes effect at once and survives a reload.
  await card.getByRole("switch", { name: `Active: ${url}` }).click();
  await expect(card.getByRole("switch")).toHaveAttribute("aria-checked", "false");
  await page.reload();
  await expect(card.getByRole("switch")).toHaveAttribute("aria-checked", "false");
});

test("admin switches a feature off and on; a switched-off feature hides its entry point", async ({ browser, org }) => {
  const page = await signedIn(browser, org.email("admin"), { acceptDownloads: true });
  await page.goto("/admin/flags");
  const email = page.getByRole("switch", { name: "Email notifications" });
  await expect(email).toHaveAttribute("aria-checked", "true");
  await email.click();
  await expect(page.getByTestId("flags-status")).toHaveText("Email notifications is off for this organization.");
  await expect(email).toHaveAttribute("aria-checked", "false");
  await expect(page.getByTestId("flag-notifications_email").getByTestId("flag-source")).toHaveText(
    "Set for this organization",
  );
  await page.reload();
  await expect(email).toHaveAttribute("aria-checked", "false");
  await shots(page, "admin-flags");
  await page.getByRole("button", { name: "Use default for Email notifications" }).click();
  await expect(email).toHaveAttribute("aria-checked", "true");
  await expect(page.getByTestId("flag-notifications_email").getByTestId("flag-source")).toHaveText("Default");

  // Export off: the export page shows why instead of its buttons, and the API answers 503.
  const exportSwitch = page.getByRole("switch", { name: "Export" });
  await exportSwitch.click();
  await expect(exportSwitch).toHaveAttribute("aria-checked", "false");
  await page.goto("/admin/export");
  await expect(page.getByTestId("export-disabled")).toBeVisible();
  await expect(page.getByRole("button", { name: "Download CSV" })).toHaveCount(0);
  const api = await page.request.get("/api/v1/export/tickets?format=csv");
  expect(api.status()).toBe(503);
  expect((await api.json()).error.code).toBe("feature_disabled");
  await page.goto("/admin/flags");
  await page.getByRole("button", { name: "Use default for Export" }).click();
  await expect(exportSwitch).toHaveAttribute("aria-checked", "true");
});

test("admin verifies the audit chain and filters the log", async ({ browser, org }) => {
  const page = await signedIn(browser, org.email("admin"), { acceptDownloads: true });
  // Something to find: an org-level flag set and cleared again.
  await page.goto("/admin/flags");
  await page.getByRole("switch", { name: "Search" }).click();
  await page.getByRole("button", { name: "Use default for Search" }).click();
  await expect(page.getByTestId("flag-search").getByTestId("flag-source")).toHaveText("Default");

  await page.goto("/admin/audit");
  await page.getByRole("button", { name: "Verify chain" }).click();
  const result = page.getByTestId("verify-result");
  await expect(result.getByTestId("verify-valid")).toHaveText("true");
  await expect(result).toContainText("The chain is intact.");
  expect(Number(await result.getByTestId("verify-checked").textContent())).toBeGreaterThan(0);
  await expect(result.getByTestId("verify-first-broken")).toHaveText("null");

  await page.getByLabel("Entity type").selectOption("feature_flag");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/entityType=feature_flag/);
  const rows = page.getByTestId("audit-table").locator("tbody tr");
  await expect(rows.first()).toBeVisible();
  for (const text of await rows.locator("td:nth-child(5)").allTextContents()) expect(text).toContain("feature_flag");
  // Newest first: the clearing comes before the setting.
  await expect(rows.nth(0)).toContainText('"enabled": null');
  await expect(rows.nth(1)).toContainText('"enabled": false');
  await shots(page, "admin-audit");
});

test("admin exports tickets as CSV with progress, and the file has a header row", async ({ browser, org }) => {
  const page = await signedIn(browser, org.email("admin"), { acceptDownloads: true });
  await page.goto("/admin/export");
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download CSV" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^tickets-\d{4}-\d{2}-\d{2}\.csv$/);
  const text = fs.readFileSync((await file.path())!, "utf8");
  const [header, ...rows] = text.split("\r\n").filter(Boolean);
  expect(header).toMatch(/^id,number,subject,/);
  expect(rows.length).toBeGreaterThan(10);
  await expect(page.getByTestId("export-status")).toContainText("Export finished:");
  await expect(page.getByTestId("export-progress")).toContainText("Done:");
  await shots(page, "admin-export");
});

test("admin edits an SLA policy's calendar with a split shift and a holiday, and invites a user", async ({
  browser,
  org,
}) => {
  const page = await signedIn(browser, org.email("admin"), { acceptDownloads: true });
  await page.goto("/admin/sla");
  const normal = page.getByTestId("policy-normal");
  await expect(normal).toContainText("Business hours");
  await shots(page, "admin-sla");
  await normal.getByRole("button", { name: "Edit" }).click();
  await normal
    .getByRole("button", { name: "Add another interval on Saturday" })
    .or(normal.getByRole("button", { name: "Add hours on Saturday" }))
    .click();
  await normal.getByLabel("Saturday from").fill("10:00");
  await normal.getByLabel("Saturday to").fill("13:00");
  await normal.getByRole("button", { name: "Add another interval on Saturday" }).click();
  await normal.getByLabel("Saturday interval 2 from").fill("14:00");
  await normal.getByLabel("Saturday interval 2 to").fill("16:00");
  await normal.getByLabel("Holiday").fill("2030-12-25");
  await normal.getByRole("button", { name: "Add holiday" }).click();
  await expect(normal.getByRole("list", { name: "Holidays (no working time)" })).toContainText("2030-12-25");
  await shots(page, "admin-sla-editor");
  await normal.getByRole("button", { name: "Save policy" }).click();
  await expect(normal.getByRole("status")).toContainText("Normal policy saved.");
  await expect(normal).toContainText("1 holiday");

  // Overlapping intervals are refused by the API and shown at the interval.
  await normal.getByRole("button", { name: "Edit" }).click();
  await normal.getByLabel("Saturday interval 2 from").fill("12:00");
  await normal.getByRole("button", { name: "Save policy" }).click();
  await expect(normal.getByRole("alert")).toContainText(/calendar is invalid/i);
  await expect(normal).toContainText("Overlaps Saturday 10:00–13:00.");
  await expect(normal.getByLabel("Saturday interval 2 from")).toHaveAttribute("aria-invalid", "true");
  await normal.getByRole("button", { name: "Cancel" }).click();

  await page.goto("/admin/users");
  const email = `new.agent.${stamp()}@acme.test`;
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Name", { exact: true }).fill("New Agent");
  await page.getByRole("button", { name: "Send invitation" }).click();
  const once = page.getByTestId("shown-once");
  await expect(once.getByTestId("secret-value")).toHaveText(/\/setup\/.+/);
  const row = page.getByTestId(`user-${email}`);
  await expect(row).toContainText("Invited");
  await row.getByRole("button", { name: /^Actions for/ }).click();
  await row.getByRole("button", { name: "Block", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Block this user?" });
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await dialog.getByRole("button", { name: "Block", exact: true }).click();
  await expect(row).toContainText("Blocked");
  await shots(page, "admin-users");
});

test("every user manages personal API tokens: created once, used, revoked", async ({ browser, org }) => {
  const page = await signedIn(browser, org.email("admin"), { acceptDownloads: true });
  await page.goto("/account");
  const name = `Nightly report ${stamp()}`;
  await page.getByLabel("Token name").fill(name);
  await page.getByLabel("Expires").selectOption("30");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("shown-once").getByTestId("secret-value").textContent()) ?? "";
  expect(token).toMatch(/^bcn_/);
  const row = page.getByTestId("token-row").filter({ hasText: name });
  await expect(row).toBeVisible();
  await shots(page, "account-tokens");

  const me = await page.request.get("/api/v1/me", { headers: { authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);

  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke token" }).click();
  await expect(row).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: "revoked" })).toBeVisible();
  const after = await page.request.get("/api/v1/me", { headers: { authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(401);
});

test("a user sets up two-factor sign-in with an authenticator, gets recovery codes once, and turns it off", async ({
  browser,
  org,
}) => {
  const page = await signedIn(browser, org.email("agent2"), { acceptDownloads: true });
  await page.goto("/account/two-factor");
  await page.getByRole("button", { name: "Start setup" }).click();
  const secret = ((await page.getByTestId("totp-secret").textContent()) ?? "").replace(/\s/g, "");
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await page.getByText("Show the full otpauth:// URL").click();
  await expect(page.getByTestId("otpauth-url")).toContainText(`otpauth://totp/`);
  await shots(page, "account-2fa-setup");

  await page.getByLabel("6-digit code").fill("000000");
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByLabel("6-digit code")).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("6-digit code").fill(totp(base32Decode(secret), Date.now()));
  await page.getByRole("button", { name: "Turn on" }).click();
  const codes = page.getByTestId("recovery-codes");
  await expect(codes).toBeVisible();
  const list = await codes.getByRole("listitem").allTextContents();
  expect(list).toHaveLength(10);
  await expect(page.getByRole("heading", { name: "Two-factor sign-in is on" })).toBeVisible();
  await shots(page, "account-2fa-on");
  await codes.getByRole("button", { name: "I have saved them" }).click();

  await page.getByLabel("Your password").fill(demoPassword());
  await page.getByLabel("Authenticator or recovery code").fill(list[0]!);
  await page.getByRole("button", { name: "Turn off" }).click();
  await expect(page.getByRole("heading", { name: "Set up an authenticator" })).toBeVisible();
});

test("agents see the SLA dashboard with bars linking to the matching lists; /admin is a 404 for them", async ({
  browser,
  org,
}) => {
  test.setTimeout(180_000);
  const page = await signedIn(browser, org.email("agent"), { acceptDownloads: true });
  const admin = await page.goto("/admin");
  expect(admin?.status()).toBe(404);
  const users = await page.goto("/admin/users");
  expect(users?.status()).toBe(404);

  await page.goto("/dashboard");
  await expect(page.getByRole("heading", { level: 1, name: "SLA dashboard" })).toBeVisible();
  // The seeded overdue tickets become breaches when the worker's per-minute SLA scan records them.
  await expect(async () => {
    await page.reload();
    expect(await page.getByTestId("breach-chart").getByTestId("bar").count()).toBeGreaterThan(0);
  }).toPass({ timeout: 150_000, intervals: [2_000, 5_000] });
  await expect(page.getByTestId("status-bars").getByTestId("bar").first()).toBeVisible();
  await shots(page, "dashboard");

  await page.getByRole("link", { name: /^Open: \d+ tickets?$/ }).click();
  await expect(page).toHaveURL(/\/\?view=all&status=open$/);

  const customer = await signedIn(browser, org.email("customer"), { acceptDownloads: true });
  expect((await customer.goto("/dashboard"))?.status()).toBe(404);
  expect((await customer.goto("/admin"))?.status()).toBe(404);
});
