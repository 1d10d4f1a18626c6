import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { signedIn } from "./session";

// Lost updates on the ticket page (issue 20, decision 043): two agents with the same ticket open in
// two browsers. The page sends If-Match with the version it loaded; when the other agent changed the
// ticket first, the page shows what changed and lets the agent apply their change anyway or discard
// it — never a silent overwrite. Tag edits are additions and removals, so both agents' tags survive.

const saved = (page: Page) => page.getByTestId("properties-status");

test("two agents edit one ticket: the stale change is refused, shown, and applied or discarded by choice", async ({
  browser,
  org,
}) => {
  // Two browsers signing in and four rounds of change and refresh: past the 30 s default on the shared machine.
  test.setTimeout(120_000);
  const [a, b] = await Promise.all([signedIn(browser, org.email("agent")), signedIn(browser, org.email("agent2"))]);
  const subject = `Conflicting edits ${Date.now().toString(36)}`;
  const created = await a.request.post("/api/v1/tickets", { data: { subject, body: "Two agents at once." } });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  await Promise.all([a.goto(`/tickets/${id}`), b.goto(`/tickets/${id}`)]);
  await expect(a.getByTestId("ticket-subject")).toHaveText(subject);
  await expect(b.getByTestId("ticket-subject")).toHaveText(subject);

  // A raises the priority; B, still on the page loaded before, lowers it.
  await a.getByLabel("Priority").selectOption("high");
  await expect(saved(a)).toHaveText("Priority set to High.");
  await b.getByLabel("Priority").selectOption("low");
  const conflict = b.getByTestId("edit-conflict");
  await expect(conflict).toBeVisible();
  await expect(conflict).toContainText("Someone else changed this since you opened it");
  await expect(conflict).toContainText("Priority: Low");
  await expect(b.getByTestId("edit-conflict-fields")).toHaveText("Priority: Normal → High");
  // Nothing was overwritten: the control shows the current value, and so does the API.
  await expect(b.getByLabel("Priority")).toHaveValue("high");
  // …and the rest of the page is refreshed to the current ticket while the choice is pending.
  await expect(b.getByTestId("edit-conflict")).toBeVisible();
  expect(((await (await b.request.get(`/api/v1/tickets/${id}`)).json()) as { priority: string }).priority).toBe("high");
  await b.screenshot({ path: "test-results/edit-conflict.png", fullPage: true });

  // B decides to apply their change on top of A's.
  await b.getByRole("button", { name: "Apply my change anyway" }).click();
  await expect(saved(b)).toHaveText("Priority set to Low.");
  await expect(conflict).toHaveCount(0);
  expect(((await (await b.request.get(`/api/v1/tickets/${id}`)).json()) as { priority: string }).priority).toBe("low");

  // A is now the stale one: A's status change is refused; A discards it and sees B's priority.
  await a.getByLabel("Status").selectOption("pending");
  await expect(a.getByTestId("edit-conflict-fields")).toHaveText("Priority: High → Low");
  await a.getByRole("button", { name: "Discard my change" }).click();
  await expect(a.getByTestId("edit-conflict")).toHaveCount(0);
  await expect(a.getByLabel("Priority")).toHaveValue("low");
  await expect(a.getByLabel("Status")).toHaveValue("new");
  expect(((await (await a.request.get(`/api/v1/tickets/${id}`)).json()) as { status: string }).status).toBe("new");

  // Tags from two stale pages: each agent's addition survives.
  await Promise.all([a.reload(), b.reload()]);
  await a.getByLabel("Tags").fill("printer");
  await a.getByLabel("Tags").press("Enter");
  await expect(saved(a)).toHaveText("Tags saved: printer.");
  await b.getByLabel("Tags").fill("urgent-customer");
  await b.getByLabel("Tags").press("Enter");
  await expect(saved(b)).toHaveText("Tags saved: printer, urgent-customer.");
  expect(((await (await a.request.get(`/api/v1/tickets/${id}`)).json()) as { tags: string[] }).tags).toEqual([
    "printer",
    "urgent-customer",
  ]);
});

test("an admin blocks a user another admin changed meanwhile: refused, the row shows the change, the second try applies", async ({
  browser,
  org,
}) => {
  test.setTimeout(90_000);
  const page = await signedIn(browser, org.email("admin"));
  const email = `conflict.${Date.now().toString(36)}@acme.test`;
  const created = await page.request.post("/api/v1/users", { data: { email, name: "Before", role: "agent" } });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  await page.goto(`/admin/users?q=${encodeURIComponent(email)}`);
  const row = page.getByTestId(`user-${email}`);
  await expect(row).toContainText("Before");

  // Another admin (here: the API, behind the page's back) renames the user: a new version.
  expect((await page.request.patch(`/api/v1/users/${id}`, { data: { name: "Renamed meanwhile" } })).status()).toBe(200);

  await row.getByRole("button", { name: /^Actions for/ }).click();
  await row.getByRole("button", { name: "Block", exact: true }).click();
  await page
    .getByRole("dialog", { name: "Block this user?" })
    .getByRole("button", { name: "Block", exact: true })
    .click();
  await expect(row).toContainText("was changed by someone else since this page loaded");
  await expect(row).toContainText("Renamed meanwhile");
  expect(((await (await page.request.get(`/api/v1/users/${id}`)).json()) as { blocked: boolean }).blocked).toBe(false);

  // Decided again on the current row: applied.
  await row.getByRole("button", { name: /^Actions for/ }).click();
  await row.getByRole("button", { name: "Block", exact: true }).click();
  await page
    .getByRole("dialog", { name: "Block this user?" })
    .getByRole("button", { name: "Block", exact: true })
    .click();
  await expect(row).toContainText("Blocked");
  await page.context().close();
});
