import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { bumpSessionVersion, demoPassword, setMustChangePassword, userByEmail } from "./db";

async function signIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a user who must change their password is sent to do so, and lands home signed in", async ({ page, org }) => {
  const user = await userByEmail(org.email("customer2"), org.slug);
  await setMustChangePassword(user.id, true);

  await signIn(page, org.email("customer2"), demoPassword());
  await expect(page).toHaveURL(/\/change-password$/);
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await page.screenshot({ path: "test-results/change-password-forced.png", fullPage: true });
  // Nothing else is reachable until the password is changed.
  await page.goto("/");
  await expect(page).toHaveURL(/\/change-password$/);

  const current = page.getByLabel("Current password");
  const next = page.getByLabel("New password", { exact: true });
  const confirm = page.getByLabel("Confirm new password");
  const submit = page.getByRole("button", { name: "Change password" });

  // Checked in the browser: too short, not confirmed.
  await current.fill(demoPassword());
  await next.fill("short");
  await confirm.fill("shorter");
  await submit.click();
  await expect(page.getByText("Use at least 12 characters.")).toBeVisible();
  await expect(page.getByText("The two new passwords do not match.")).toBeVisible();
  await expect(next).toBeFocused();

  // Checked by the API: the current password is wrong.
  const newPassword = "correct horse battery staple";
  await current.fill("definitely-not-it");
  await next.fill(newPassword);
  await confirm.fill(newPassword);
  await submit.click();
  await expect(page.getByText("Current password is incorrect.")).toBeVisible();
  await expect(current).toHaveAttribute("aria-invalid", "true");
  await page.screenshot({ path: "test-results/change-password-errors.png", fullPage: true });

  await current.fill(demoPassword());
  await submit.click();
  await expect(page).toHaveURL(/\/$/);
  // Customers land in the portal, on their open requests.
  await expect(page.getByRole("heading", { level: 1, name: "My open requests" })).toBeVisible();
  await expect(page.getByTestId("user-name")).toHaveText(user.name);
  await expect(page.getByTestId("org-name")).toHaveText(org.name);
  expect((await userByEmail(org.email("customer2"), org.slug)).mustChangePassword).toBe(false);

  // The new password is the one that works now.
  await page.getByRole("button", { name: /^Account menu/ }).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, org.email("customer2"), newPassword);
  await expect(page).toHaveURL(/\/$/);
});

test("revoking a user's sessions signs them out on their next request", async ({ page, org }) => {
  const agent = await userByEmail(org.email("agent"), org.slug);
  await signIn(page, org.email("agent"), demoPassword());
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("user-role")).toHaveText("Agent");
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: "test-results/home-phone.png", fullPage: true });

  await bumpSessionVersion(agent.id);
  await page.reload();
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2F$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});
