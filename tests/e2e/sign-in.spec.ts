import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { demoPassword, userByEmail } from "./db";

const CALLBACK = "/api/auth/callback/credentials";

// The form's own live region (Next's route announcer is an alert too).
const formAlert = (page: Page) => page.locator("form").getByRole("alert");

async function submitSignIn(page: Page, email: string, password: string, via: "click" | "enter" = "click") {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  const answered = page.waitForResponse((r) => r.url().endsWith(CALLBACK) && r.request().method() === "POST");
  if (via === "enter") await page.getByLabel("Password", { exact: true }).press("Enter");
  else await page.getByRole("button", { name: "Sign in" }).click();
  return answered;
}

test("an admin signs in, sees who and where they are, and signs out", async ({ page, org }) => {
  const admin = await userByEmail(org.email("admin"), org.slug);

  await page.goto("/login");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.screenshot({ path: "test-results/login.png", fullPage: true });

  await submitSignIn(page, org.email("admin"), demoPassword());
  await expect(page).toHaveURL(/\/$/);
  // Staff land in their workspace, on the "My open" view.
  await expect(page.getByRole("heading", { level: 1, name: "My open" })).toBeVisible();
  await expect(page.getByTestId("user-name")).toHaveText(admin.name);
  await expect(page.getByTestId("user-role")).toHaveText("Admin");
  await expect(page.getByTestId("org-name")).toHaveText(org.name);
  await page.getByRole("button", { name: /^Account menu/ }).click();
  await expect(page.getByRole("link", { name: "Change password" })).toBeVisible();
  await page.screenshot({ path: "test-results/home-signed-in.png", fullPage: true });

  // Signed in, the sign-in page sends you home.
  await page.goto("/login");
  await expect(page).toHaveURL(/\/$/);

  await page.getByRole("button", { name: /^Account menu/ }).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

  await page.goto("/");
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2F$/);
});

test("a wrong password shows the error and stays on the sign-in page", async ({ page, org }) => {
  await page.goto("/login");
  await submitSignIn(page, org.email("agent2"), "not-the-password", "enter");
  await expect(formAlert(page)).toHaveText("Email or password is incorrect.");
  await expect(page).toHaveURL(/\/login$/);
  // The password is selected for retyping; the email is kept.
  await expect(page.getByLabel("Password", { exact: true })).toBeFocused();
  await expect(page.getByLabel("Email")).toHaveValue(org.email("agent2"));
});

test("after five failures for one email the form says to wait", async ({ page }) => {
  const email = `nobody-${Date.now()}@acme.test`;
  await page.goto("/login");
  for (let i = 1; i <= 5; i++) {
    const res = await submitSignIn(page, email, `wrong-${i}`);
    expect(res.status(), `attempt ${i} is refused, not yet limited`).toBe(401);
    await expect(formAlert(page)).toHaveText("Email or password is incorrect.");
  }
  const res = await submitSignIn(page, email, "wrong-6");
  expect(res.status()).toBe(429);
  await expect(formAlert(page)).toHaveText(/^Too many failed attempts\. Try again in [1-5] minutes?\.$/);
  await page.screenshot({ path: "test-results/login-rate-limited.png", fullPage: true });
  await expect(page).toHaveURL(/\/login$/);
});

test("the sign-in page prefills the email after a password setup and returns to the asked page", async ({
  page,
  org,
}) => {
  await page.goto(`/login?setup=1&email=${encodeURIComponent(org.email("agent2"))}&callbackUrl=%2Fchange-password`);
  await expect(page.getByText("Your password is set — sign in.")).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue(org.email("agent2"));
  await submitSignIn(page, org.email("agent2"), demoPassword());
  await expect(page).toHaveURL(/\/change-password$/);
  await expect(page.getByRole("heading", { name: "Change password" })).toBeVisible();
});

test("an off-site callbackUrl is ignored", async ({ page, org }) => {
  await page.goto("/login?callbackUrl=%2F%2Fevil.example%2Fphish");
  await submitSignIn(page, org.email("customer"), demoPassword());
  await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/$/);
});

test("the sign-in page fits a 360 px phone screen", async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto("/login");
  await page.getByText("Sign in to a specific organization").click();
  await expect(page.getByLabel("Organization")).toBeVisible();
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBe(0);
  await page.screenshot({ path: "test-results/login-phone.png", fullPage: true });
});
