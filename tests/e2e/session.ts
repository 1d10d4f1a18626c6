import { expect, type Browser, type BrowserContextOptions, type Page } from "@playwright/test";
import { demoPassword } from "./db";

/** A new browser context signed in as a seeded demo user (the demo password), on the home page. */
export async function signedIn(browser: Browser, email: string, options: BrowserContextOptions = {}): Promise<Page> {
  const page = await (await browser.newContext(options)).newPage();
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(demoPassword());
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  return page;
}

/** A short unique suffix for names a spec creates in the shared e2e database. */
export const stamp = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
