import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

// One accessibility check for the specs: axe-core (@axe-core/playwright) on the page as it is
// now, against WCAG 2.0–2.2 A and AA and axe's best practices (what the UI review measured on every
// page: 0 violations). A violation fails the spec with its rule, help text and the elements
// concerned, so the message says what to fix.

export async function expectNoAxeViolations(page: Page, what: string): Promise<void> {
  // The page as it settles, not mid-refresh: after a form's router.refresh() Next re-renders the
  // streamed metadata and for a moment the document has no <title> (CI run 26 caught axe there).
  // A page that never gets a title still fails, here, after the wait.
  await expect(page, `${what} has a document title`).toHaveTitle(/\S/);
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"])
    .analyze();
  const found = results.violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} — ${v.nodes
        .map((n) => n.target.join(" "))
        .slice(0, 5)
        .join(" | ")}`,
  );
  expect(found, `axe violations on ${what}`).toEqual([]);
}
