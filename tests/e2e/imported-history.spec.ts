import fs from "node:fs";
import path from "node:path";
import { expect, test } from "./fixtures";
import { signedIn } from "./session";
import { makeZip } from "../helpers/zip";

// Recorded history comes along (issue 17 item 1, decision 061): a Zendesk export with its ticket
// metric events and satisfaction ratings, uploaded on Admin → Import, shows the SLA events and the
// rating Zendesk recorded in the imported ticket's history, marked as imported; the report counts them.

const FIXTURE = path.resolve(import.meta.dirname, "../fixtures/import/zendesk-history");

test("an imported ticket's history shows Zendesk's SLA events and rating, marked imported", async ({
  browser,
  org,
}) => {
  const zip = makeZip(
    fs.readdirSync(FIXTURE).map((name) => ({
      name: `export/${name}`,
      // Attachment URLs point at a closed local port: each is a quick, reported skip.
      data: fs
        .readFileSync(path.join(FIXTURE, name), "utf8")
        .replaceAll("https://acme.zendesk.com", "http://127.0.0.1:9"),
    })),
  );
  const page = await signedIn(browser, org.email("admin"));
  await page.goto("/admin/imports");
  await page.getByLabel("Exported from").selectOption("zendesk");
  await page
    .getByLabel("Export file")
    .setInputFiles({ name: "zendesk-history.zip", mimeType: "application/zip", buffer: zip });
  await page.getByRole("button", { name: "Upload and import" }).click();
  const row = page.getByTestId("import-row").filter({ hasText: "zendesk-history.zip" });
  await expect(row).toHaveAttribute("data-state", "done", { timeout: 60_000 });

  await row.getByRole("button", { name: "Report" }).click();
  const report = page.getByTestId("import-report");
  await expect(report.getByRole("row", { name: /^SLA events/ })).toContainText("a metric Beacon has no SLA for");
  await expect(report.getByRole("row", { name: /^Satisfaction ratings/ })).toContainText(
    "a survey offered and not answered",
  );

  await report.getByRole("link", { name: /Invoice is wrong/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: /Invoice is wrong/ })).toBeVisible();
  const history = page.getByTestId("ticket-history");
  await expect(history).toContainText(
    "First response target set: policy “High priority”, 60 min (imported from Zendesk)",
  );
  await expect(history).toContainText("First response met (imported from Zendesk)");
  await expect(history).toContainText(/Resolution target breached \(was due [^)]+\) \(imported from Zendesk\)/);
  await expect(history).toContainText("The requester rated the support good: “Quick and kind” (imported from Zendesk)");
  await page.screenshot({ path: "test-results/imported-history.png", fullPage: true });
});
