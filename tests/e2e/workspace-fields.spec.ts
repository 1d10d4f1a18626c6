import { expect, test } from "./fixtures";
import { expectNoAxeViolations } from "./axe";
import { signedIn } from "./session";

// Issue 14 item 1 in the browser (decision 050), in an org of its own (fixtures.ts), so the fields
// made here never reach another spec's forms: an admin defines a drop-down and a required-on-create
// text field on Admin → Ticket fields (seeing the server's refusal under the input first); an agent
// fills both on /tickets/new, edits the drop-down on the side panel, meets a conflicting change and
// a solve refused for a required-to-solve field; the customer sees only what is visible to them,
// and sets the one field they may edit. axe runs on the admin page, the form and the panel.

test("an admin defines fields, an agent fills and edits them, the customer sees only the visible ones", async ({
  browser,
  org,
}) => {
  test.setTimeout(180_000);
  const admin = await signedIn(browser, org.email("admin"));

  await admin.goto("/admin");
  await admin.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Ticket fields" }).click();
  await expect(admin.getByRole("heading", { name: "Ticket fields", level: 1 })).toBeVisible();
  await expect(admin.getByText("No custom fields yet.")).toBeVisible();
  const form = admin.getByRole("form", { name: "New field" });

  // A drop-down without options: the API's 400 is shown under the options box, in words.
  await form.getByLabel("Label").fill("Plan");
  await expect(form.getByLabel("Key", { exact: true })).toHaveValue("plan");
  await form.getByLabel("Type").selectOption({ label: "Drop-down" });
  await form.getByRole("button", { name: "Create field" }).click();
  const options = form.getByLabel("Options, one per line");
  await expect(options).toHaveAttribute("aria-invalid", "true");
  await expect(options).toHaveAccessibleDescription(/a dropdown needs at least one option/);
  await expect(admin.getByTestId("field-list")).toHaveCount(0);

  await options.fill("free\npro\nenterprise");
  await form.getByLabel("Visible to customers").check();
  await form.getByRole("button", { name: "Create field" }).click();
  await expect(admin.getByTestId("field-status")).toHaveText("Field Plan created (key plan).");
  // The form is empty again for the next field.
  await expect(form.getByLabel("Label")).toHaveValue("");

  await form.getByLabel("Label").fill("Account number");
  await form.getByLabel("Key", { exact: true }).fill("account_ref");
  await form.getByLabel("Required on create").check();
  await form.getByRole("button", { name: "Create field" }).click();
  await expect(admin.getByTestId("field-status")).toHaveText("Field Account number created (key account_ref).");

  const list = admin.getByTestId("field-list");
  const planRow = list.getByRole("row").filter({ hasText: "Plan" });
  await expect(planRow).toContainText("Drop-down");
  await expect(planRow).toContainText("Customers see");
  await expect(planRow).toContainText("free, pro, enterprise");
  const accountRow = list.getByRole("row").filter({ hasText: "Account number" });
  await expect(accountRow).toContainText("Required on create");
  await expect(accountRow).toContainText("Staff only");

  // Editing: the plan becomes required to solve.
  await planRow.getByRole("button", { name: "Edit Plan" }).click();
  const edit = admin.getByRole("form", { name: "Edit field Plan" });
  await edit.getByLabel("Required to solve").check();
  await edit.getByRole("button", { name: "Save field" }).click();
  await expect(list.getByRole("row").filter({ hasText: "Plan" })).toContainText("Required to solve");
  await expectNoAxeViolations(admin, "Admin → Ticket fields");

  // A customer-editable field, through the API (the page's create is covered above).
  const device = await admin.request.post("/api/v1/fields", {
    data: { key: "device", label: "Device", type: "text", customerVisible: true, customerEditable: true },
  });
  expect(device.status(), await device.text()).toBe(201);

  // The agent's new ticket: both fields, the required one refused while empty.
  const agent = await signedIn(browser, org.email("agent"));
  await agent.goto("/tickets/new");
  await agent.getByLabel("Requester email").fill(org.email("customer"));
  await agent.getByLabel("Subject").fill("Upgrade question");
  await agent.getByLabel("First message").fill("Which plan has SSO?");
  await agent.getByLabel("Plan").selectOption("pro");
  await agent.getByRole("button", { name: "Create ticket" }).click();
  const account = agent.getByLabel("Account number (required)");
  await expect(account).toBeFocused();
  await expect(account).toHaveAccessibleDescription("Account number is required.");
  await expectNoAxeViolations(agent, "new ticket form with custom fields (agent)");
  await account.fill("AC-4411");
  await agent.getByRole("button", { name: "Create ticket" }).click();
  await expect(agent).toHaveURL(/\/tickets\/[0-9a-f-]{36}$/);
  const ticketUrl = agent.url();
  const ticketId = ticketUrl.split("/").pop()!;

  // The side panel: the values, then a change of the drop-down.
  const panel = agent.getByTestId("custom-fields-panel");
  await expect(panel.getByLabel("Plan")).toHaveValue("pro");
  await expect(panel.getByLabel("Account number")).toHaveValue("AC-4411");
  await panel.getByLabel("Plan").selectOption("enterprise");
  await panel.getByRole("button", { name: "Save fields" }).click();
  await expect(panel.getByTestId("custom-fields-status")).toHaveText("Saved Plan: enterprise.");
  const stored = await agent.request.get(`/api/v1/tickets/${ticketId}`);
  expect(((await stored.json()) as { customFields: Record<string, unknown> }).customFields).toEqual({
    plan: "enterprise",
    account_ref: "AC-4411",
  });
  await expectNoAxeViolations(agent, "ticket page with editable custom fields (agent)");

  // Someone else changes the plan meanwhile: the panel's save names its version and shows the conflict.
  const other = await agent.request.patch(`/api/v1/tickets/${ticketId}`, { data: { customFields: { plan: "free" } } });
  expect(other.status(), await other.text()).toBe(200);
  await panel.getByLabel("Account number").fill("AC-5000");
  await panel.getByRole("button", { name: "Save fields" }).click();
  const conflict = panel.getByTestId("edit-conflict");
  await expect(conflict).toContainText("Your change (Account number: AC-5000) was not saved.");
  await expect(conflict).toContainText("Plan: enterprise → free");
  await conflict.getByRole("button", { name: "Apply my change anyway" }).click();
  await expect(panel.getByTestId("custom-fields-status")).toHaveText("Saved Account number: AC-5000.");
  await expect(panel.getByLabel("Plan")).toHaveValue("free");

  // Without a plan the ticket cannot be solved: the server's reason is shown and the status stays.
  await panel.getByLabel("Plan").selectOption("");
  await panel.getByRole("button", { name: "Save fields" }).click();
  await expect(panel.getByTestId("custom-fields-status")).toHaveText("Saved Plan: —.");
  const status = agent.getByLabel("Status", { exact: true });
  const before = await status.inputValue();
  await status.selectOption("solved");
  await expect(agent.getByText("is required to solve the ticket (Plan)")).toBeVisible();
  await expect(status).toHaveValue(before);

  // The customer: the visible plan read-only, the staff-only account number nowhere, the device editable.
  await panel.getByLabel("Plan").selectOption("pro");
  await panel.getByRole("button", { name: "Save fields" }).click();
  await expect(panel.getByTestId("custom-fields-status")).toHaveText("Saved Plan: pro.");
  const customer = await signedIn(browser, org.email("customer"));
  await customer.goto(ticketUrl);
  const theirs = customer.getByTestId("custom-fields-panel");
  await expect(theirs.getByTestId("custom-field-plan")).toHaveText("pro");
  await expect(theirs.getByLabel("Plan")).toHaveCount(0);
  await expect(customer.getByText("Account number")).toHaveCount(0);
  await expect(customer.getByText("AC-5000")).toHaveCount(0);
  await theirs.getByLabel("Device").fill("Pixel 9");
  await theirs.getByRole("button", { name: "Save fields" }).click();
  await expect(theirs.getByTestId("custom-fields-status")).toHaveText("Saved Device: Pixel 9.");
  await expectNoAxeViolations(customer, "ticket page with custom fields (customer)");

  // Their new-request form asks only for the field they may edit.
  await customer.goto("/tickets/new");
  await expect(customer.getByLabel("Device")).toBeVisible();
  await expect(customer.getByLabel("Plan")).toHaveCount(0);
  await expect(customer.getByLabel("Account number")).toHaveCount(0);
  await expectNoAxeViolations(customer, "new request form with custom fields (customer)");

  // Deleting asks first and says what happens to the tickets.
  await admin.reload();
  await list.getByRole("button", { name: "Delete Device" }).click();
  const dialog = admin.getByRole("dialog", { name: "Delete this field?" });
  await expect(dialog).toContainText("removed from every ticket");
  await dialog.getByRole("button", { name: "Delete field" }).click();
  await expect(admin.getByTestId("field-list-status")).toHaveText(
    "Field Device deleted, with its values on every ticket.",
  );
  const after = await agent.request.get(`/api/v1/tickets/${ticketId}`);
  expect(((await after.json()) as { customFields: Record<string, unknown> }).customFields).toEqual({
    plan: "pro",
    account_ref: "AC-5000",
  });
});
