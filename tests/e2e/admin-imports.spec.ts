import fs from "node:fs";
import path from "node:path";
import { expectNoAxeViolations } from "./axe";
import { expect, test } from "./fixtures";
import { signedIn } from "./session";
import { makeZip } from "../helpers/zip";

// Moving in (issue 17: "an admin uploads an export, watches progress, opens an imported ticket
// with its history"; decision 055): the Zendesk fixture zipped as an export folder, uploaded on
// Admin → Import, imported by the harness's worker while the page polls, and the report's sample
// links to the imported ticket with its comments.

const FIXTURE = path.resolve(import.meta.dirname, "../fixtures/import/zendesk");

// One after the other: both tests wait on the one worker's import queue, and the cancel test's
// 20,000 rows would slow the Zendesk import past its time on a loaded machine.
test.describe.configure({ mode: "default" });

test("admin uploads a Zendesk export, watches it reach done, reads the report and opens an imported ticket", async ({
  browser,
  org,
}) => {
  // Attachment URLs point at a closed local port: each is a quick, reported skip.
  const zip = makeZip(
    fs.readdirSync(FIXTURE).map((name) => ({
      name: `export/${name}`,
      data: fs
        .readFileSync(path.join(FIXTURE, name), "utf8")
        .replaceAll("https://acme.zendesk.com", "http://127.0.0.1:9"),
    })),
  );
  const page = await signedIn(browser, org.email("admin"), { acceptDownloads: true });
  await page.goto("/admin");
  await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Import" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Import" })).toBeVisible();
  await expectNoAxeViolations(page, "/admin/imports (empty)");

  await page.getByLabel("Exported from").selectOption("zendesk");
  await page
    .getByLabel("Export file")
    .setInputFiles({ name: "zendesk-export.zip", mimeType: "application/zip", buffer: zip });
  await page.getByRole("button", { name: "Upload and import" }).click();
  await expect(page.getByTestId("import-status")).toContainText("uploaded; the import has started");

  const row = page.getByTestId("import-row").filter({ hasText: "zendesk-export.zip" });
  await expect(row).toHaveCount(1);
  // The page polls while the import is queued or running; the worker takes it to done.
  await expect(row).toHaveAttribute("data-state", "done", { timeout: 60_000 });
  await expect(row.getByText("Done")).toBeVisible();
  await expect(row.getByTestId("import-progress")).toContainText(/[1-9]\d* imported/);
  await expect(page.getByTestId("import-status")).toContainText("Import of zendesk-export.zip is done.");

  await row.getByRole("button", { name: "Report" }).click();
  const report = page.getByTestId("import-report");
  await expect(report.getByRole("heading", { name: "Check report" })).toBeVisible();
  const tickets = report.getByRole("row", { name: /^Tickets/ });
  await expect(tickets).toContainText("deleted in Zendesk");
  await expect(report.getByTestId("import-sample")).toContainText("Printer on fire");
  await expectNoAxeViolations(page, "/admin/imports with a report");
  await page.screenshot({ path: "test-results/admin-imports.png", fullPage: true });

  const download = page.waitForEvent("download");
  await report.getByRole("link", { name: "Download report" }).click();
  const file = await (await download).path();
  expect(fs.readFileSync(file, "utf8")).toContain("Check report");

  await report.getByRole("link", { name: /Printer on fire/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: /Printer on fire/ })).toBeVisible();
  await expect(page.getByText("The printer is on fire. Please help.")).toBeVisible();
  await expect(page.getByText("We have sent someone over. Is it out?")).toBeVisible();
  await expect(page.getByText("Yes, thank you!")).toBeVisible();
  await expect(page.getByText("Internal: dispatching facilities.")).toBeVisible();
});

// Cancel and delete (decision 062): a CSV large enough to take the worker several slices is
// cancelled from the page while it runs (it stops at a batch boundary, keeping whole batches),
// then deleted; the tickets it imported stay.
test("admin cancels a running import, then deletes it; what it imported stays", async ({ browser, org }) => {
  // The worker takes the 20,000 rows a slice of 1,000 at a time: room to cancel while it runs.
  test.setTimeout(150_000);
  const rows = 20_000;
  const csv =
    "Ticket ID,Title,Email,Body\n" +
    Array.from({ length: rows }, (_, i) => `C-${i},Cancelled import ticket ${i},c${i % 50}@example.com,Body ${i}`).join(
      "\n",
    );
  const page = await signedIn(browser, org.email("admin"));
  await page.goto("/admin/imports");
  await page.getByLabel("Exported from").selectOption("csv");
  await page
    .getByLabel("Export file")
    .setInputFiles({ name: "big.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.getByLabel("Column mapping (JSON)").fill(
    JSON.stringify({
      columns: { external_id: "Ticket ID", subject: "Title", requester_email: "Email", description: "Body" },
    }),
  );
  await page.getByRole("button", { name: "Upload and import" }).click();
  const row = page.getByTestId("import-row").filter({ hasText: "big.csv" });
  await expect(row).toHaveCount(1);

  // Running, with some batches in (the page polls every 2 s), before the admin cancels.
  await expect(row.getByTestId("import-progress")).toContainText(/[1-9][\d,.\s]* imported/, { timeout: 60_000 });
  await row.getByRole("button", { name: "Cancel import of big.csv" }).click();
  const dialog = page.getByRole("dialog", { name: "Cancel the import of big.csv?" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("What it has imported so far stays");
  await expectNoAxeViolations(page, "/admin/imports cancel dialog");
  await dialog.getByRole("button", { name: "Cancel import" }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toHaveAttribute("data-state", "cancelled", { timeout: 60_000 });
  await expect(row.getByText("Cancelled")).toBeVisible();
  await expect(page.getByTestId("import-status")).toContainText(/Import of big\.csv (was cancelled|is stopping)/);
  const progress = await row.getByTestId("import-progress").innerText();
  const imported = Number(/([\d,.\s]+) imported/.exec(progress)![1]!.replace(/\D/g, ""));
  expect(imported).toBeLessThan(rows);
  await expect(row.getByRole("button", { name: "Cancel import of big.csv" })).toHaveCount(0);

  await row.getByRole("button", { name: "Delete import of big.csv" }).click();
  const del = page.getByRole("dialog", { name: "Delete the import of big.csv?" });
  await expect(del).toContainText("The tickets, people and companies it imported stay.");
  await del.getByRole("button", { name: "Delete import" }).click();
  await expect(page.getByTestId("import-row").filter({ hasText: "big.csv" })).toHaveCount(0);
  await expect(page.getByTestId("import-status")).toContainText("Import of big.csv deleted.");
  await page.reload();
  await expect(page.getByTestId("import-row").filter({ hasText: "big.csv" })).toHaveCount(0);
  // The tickets it imported are the org's: the newest tickets are some of them.
  expect(imported).toBeGreaterThan(0);
  const list = await page.request.get("/api/v1/tickets?limit=5");
  expect(list.status()).toBe(200);
  const subjects = ((await list.json()) as { data: { subject: string }[] }).data.map((t) => t.subject);
  expect(subjects.some((s) => s.startsWith("Cancelled import ticket"))).toBe(true);
});
