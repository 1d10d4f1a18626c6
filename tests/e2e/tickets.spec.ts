import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { addNotification, ticketOf, userByEmail } from "./db";
import { signedIn } from "./session";

// What agents and customers do all day: open a request, work it, answer it — and what each of
// them must (and must never) see. Screenshots land in test-results/ for review.

async function phoneShot(page: Page, path: string) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, `${path} fits a 360 px screen`).toBe(0);
  await page.screenshot({ path, fullPage: true });
  if (size) await page.setViewportSize(size);
}

const conversation = (page: Page) => page.getByTestId("conversation");

test("a customer's request is answered by an agent; the customer sees the reply and never the internal note", async ({
  browser,
  org,
}) => {
  // Two people, a whole ticket's life and ten full-page screenshots: about 25 s on a quiet machine.
  test.setTimeout(90_000);
  const stamp = Date.now().toString(36);
  const subject = `Printer prints only blank pages ${stamp}`;
  const noteText = `Internal: customer is on the legacy plan ${stamp}`;
  const replyText = `Please update the printer driver to version 4.2 ${stamp}`;
  const agentUser = await userByEmail(org.email("agent"), org.slug);

  // The customer opens a request from the portal.
  const customer = await signedIn(browser, org.email("customer"));
  await expect(customer.getByRole("heading", { level: 1, name: "My open requests" })).toBeVisible();
  await customer.screenshot({ path: "test-results/portal.png", fullPage: true });
  await phoneShot(customer, "test-results/portal-phone.png");
  await customer.getByRole("link", { name: "New request" }).first().click();
  await expect(customer.getByRole("heading", { name: "New request" })).toBeVisible();
  // Customers do not pick a priority or a requester.
  await expect(customer.getByLabel("Priority")).toHaveCount(0);
  await expect(customer.getByLabel("Requester email")).toHaveCount(0);
  await customer.getByLabel("Subject").fill(subject);
  await customer
    .getByLabel("How can we help?")
    .fill("Since this morning every page comes out **blank**.\n\n- model: LaserJet 4\n- driver: 4.1");
  await customer.getByRole("tab", { name: "Preview" }).click();
  await expect(customer.getByTestId("markdown-preview")).toContainText("every page comes out **blank**");
  await customer.screenshot({ path: "test-results/new-request.png", fullPage: true });
  await phoneShot(customer, "test-results/new-request-phone.png");
  await customer.getByRole("button", { name: "Submit request" }).click();
  await expect(customer).toHaveURL(/\/tickets\/[0-9a-f-]{36}$/);
  const ticketUrl = new URL(customer.url()).pathname;
  await expect(customer.getByTestId("ticket-subject")).toHaveText(subject);
  // The message was rendered from markdown on the server.
  await expect(conversation(customer).locator("strong", { hasText: "blank" })).toBeVisible();
  // SLA targets are the team's own unless the org shows them to customers (off by default).
  await expect(customer.getByTestId("sla-panel")).toHaveCount(0);

  // The agent finds it in Unassigned, opens it and takes it.
  const agent = await signedIn(browser, org.email("agent"));
  await agent.getByTestId("view-unassigned").click();
  await expect(agent).toHaveURL(/view=unassigned/);
  await expect(agent.getByRole("heading", { level: 1, name: "Unassigned" })).toBeVisible();
  const row = agent.getByTestId("ticket-row").filter({ hasText: subject });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Unassigned");
  await agent.screenshot({ path: "test-results/workspace.png", fullPage: true });
  await phoneShot(agent, "test-results/workspace-phone.png");
  await row.getByRole("link", { name: subject }).click();
  await expect(agent).toHaveURL(new RegExp(`${ticketUrl}$`));
  await expect(agent.getByTestId("requester")).toContainText(org.email("customer"));

  const assignee = agent.getByLabel("Assignee");
  await assignee.selectOption({ label: `${agentUser.name} (you)` });
  await expect(agent.getByTestId("properties-status")).toHaveText("Assigned to you.");
  await expect(assignee).toHaveValue(agentUser.id);
  await expect(agent.getByTestId("ticket-history")).toContainText("You took the ticket");

  // An internal note, then the public reply.
  await agent.getByRole("radio", { name: "Internal note" }).check();
  await agent.getByLabel("Note (only agents and admins see it)").fill(noteText);
  await agent.getByRole("button", { name: "Add internal note" }).click();
  const note = conversation(agent).getByTestId("internal-note").filter({ hasText: noteText });
  await expect(note).toBeVisible();
  await expect(note).toContainText("Internal note");
  await expect(agent.getByTestId("sla-firstResponse-text")).toHaveText(/^(Due in|Overdue) /);

  await agent.getByRole("radio", { name: "Public reply" }).check();
  await agent.getByLabel("Message (the customer sees it)").fill(replyText);
  await agent.getByRole("button", { name: "Send public reply" }).click();
  await expect(conversation(agent).getByTestId("public-reply").filter({ hasText: replyText })).toBeVisible();
  // The first public reply fulfils first response and opens the ticket.
  await expect(agent.getByTestId("sla-firstResponse-text")).toHaveText("Met");
  await expect(agent.getByLabel("Status")).toHaveValue("open");
  await expect(agent.getByTestId("ticket-history")).toContainText("First response met");
  await agent.screenshot({ path: "test-results/ticket-staff.png", fullPage: true });
  await phoneShot(agent, "test-results/ticket-staff-phone.png");

  // The customer sees the reply and nothing of the note (nor the SLA, hidden by default).
  await customer.reload();
  await expect(conversation(customer).getByTestId("public-reply").filter({ hasText: replyText })).toBeVisible();
  await expect(customer.getByTestId("internal-note")).toHaveCount(0);
  await expect(customer.getByTestId("sla-panel")).toHaveCount(0);
  const html = await customer.content();
  expect(html).toContain(replyText);
  expect(html).not.toContain(noteText);
  expect(html).not.toContain("Internal note");
  // No staff controls for customers: only solve / reopen.
  await expect(customer.getByLabel("Assignee")).toHaveCount(0);
  await expect(customer.getByRole("radio", { name: "Internal note" })).toHaveCount(0);
  await expect(customer.getByRole("button", { name: "Mark as solved" })).toBeVisible();
  await customer.screenshot({ path: "test-results/ticket-customer.png", fullPage: true });
  await phoneShot(customer, "test-results/ticket-customer-phone.png");

  // The customer's reply reaches the conversation too, and solving it works.
  await customer.getByLabel("Your message").fill(`Driver updated, all good now ${stamp}`);
  await customer.getByRole("button", { name: "Send", exact: true }).click();
  await expect(conversation(customer).getByText(`Driver updated, all good now ${stamp}`)).toBeVisible();
  await customer.getByRole("button", { name: "Mark as solved" }).click();
  await expect(customer.getByRole("button", { name: "Reopen request" })).toBeVisible();
  await expect(customer.getByTestId("sla-panel")).toHaveCount(0);
  // Solved in time: staff see the resolution target met (customers see no SLA by default).
  await agent.reload();
  await expect(agent.getByTestId("sla-resolution-text")).toHaveText("Met");

  await customer.context().close();
  await agent.context().close();
});

test("Breaching soon lists seeded tickets, and SLA countdowns tick live", async ({ browser, org }) => {
  const agent = await signedIn(browser, org.email("agent"));
  await agent.getByTestId("view-breaching").click();
  await expect(agent.getByRole("heading", { level: 1, name: "Breaching soon" })).toBeVisible();
  const rows = agent.getByTestId("ticket-row");
  expect(await rows.count()).toBeGreaterThan(0);
  // Each listed ticket shows a running SLA badge: amber, red, or green but due within the window.
  await expect(rows.first().locator("[data-tone='warning'], [data-tone='breached'], [data-tone='ok']")).toHaveCount(1);
  await agent.screenshot({ path: "test-results/workspace-breaching.png", fullPage: true });

  // The view is sorted by due date: its first ticket has a clock within two hours, shown to the second.
  await rows.first().getByRole("link").click();
  await expect(agent).toHaveURL(/\/tickets\//);
  const running = agent.locator("[data-testid='sla-panel'] .sla-badge:not([data-tone='neutral']) [role='timer']");
  await expect(running.first()).toHaveText(/\d+s$/);
  const before = await running.allTextContents();
  await agent.waitForTimeout(2_100);
  const after = await running.allTextContents();
  expect(after).not.toEqual(before);
  await agent.context().close();
});

test("the bell shows unread notifications, links to the ticket and marks all read", async ({ browser, org }) => {
  const agentUser = await userByEmail(org.email("agent2"), org.slug);
  const ticket = await ticketOf(org.email("customer2"), org.slug);
  await addNotification(agentUser.id, ticket, "ticket.assigned");
  await addNotification(agentUser.id, ticket, "sla.warning");

  const agent = await signedIn(browser, org.email("agent2"));
  const bell = agent.getByTestId("notifications-button");
  await expect(bell).toHaveAccessibleName(/Notifications, \d+ unread/);
  await bell.click();
  await expect(bell).toHaveAttribute("aria-expanded", "true");
  const panel = agent.getByRole("region", { name: "Notifications" });
  await expect(
    panel.getByRole("link", { name: new RegExp(`^Unread: Assigned to you: #${ticket.number} `) }).first(),
  ).toBeVisible();
  await expect(
    panel
      .getByRole("link", { name: new RegExp(`^Unread: SLA warning: an SLA target due soon on #${ticket.number} `) })
      .first(),
  ).toBeVisible();
  await agent.screenshot({ path: "test-results/notifications.png" });
  await phoneShot(agent, "test-results/notifications-phone.png");
  await panel.getByRole("button", { name: "Mark all read" }).click();
  await expect(panel.getByRole("status")).toHaveText(/notifications? marked read/);
  await expect(bell).toHaveAccessibleName("Notifications");
  await agent.keyboard.press("Escape");
  await expect(bell).toHaveAttribute("aria-expanded", "false");
  await expect(bell).toBeFocused();
  await agent.context().close();
});

test("agents open tickets for a customer; customers cannot see other customers' tickets", async ({ browser, org }) => {
  const stamp = Date.now().toString(36);
  const agent = await signedIn(browser, org.email("agent2"));
  await agent.getByRole("link", { name: "New ticket" }).click();
  await expect(agent.getByRole("heading", { name: "New ticket" })).toBeVisible();
  await agent.getByLabel("Requester email").fill(org.email("customer2"));
  await agent.getByLabel("Subject").fill(`Phone call: renew the annual plan ${stamp}`);
  await agent.getByLabel("First message").fill("Customer called to renew for another year.");
  await agent.getByLabel("Priority").selectOption("high");
  await agent.getByRole("textbox", { name: "Tags" }).fill("billing, renewal");
  await agent.screenshot({ path: "test-results/new-ticket-staff.png", fullPage: true });
  await phoneShot(agent, "test-results/new-ticket-staff-phone.png");
  await agent.getByRole("button", { name: "Create ticket" }).click();
  await expect(agent).toHaveURL(/\/tickets\/[0-9a-f-]{36}$/);
  await expect(agent.getByTestId("requester")).toContainText(org.email("customer2"));
  await expect(agent.getByLabel("Priority")).toHaveValue("high");
  await expect(agent.getByRole("textbox", { name: "Tags" })).toHaveValue("billing, renewal");
  await agent.context().close();

  // Another customer's ticket is simply not there (404), like a ticket that does not exist.
  const other = await ticketOf(org.email("customer2"), org.slug);
  const customer = await signedIn(browser, org.email("customer"));
  const res = await customer.goto(`/tickets/${other.id}`);
  expect(res?.status()).toBe(404);
  await expect(customer.getByRole("heading", { name: "Ticket not found" })).toBeVisible();
  expect(await customer.content()).not.toContain(other.subject);
  const bad = await customer.goto("/tickets/not-a-uuid");
  expect(bad?.status()).toBe(404);
  await customer.context().close();
});

test("the workspace is keyboard-friendly and its state lives in the URL", async ({ browser, org }) => {
  const agent = await signedIn(browser, org.email("agent"));
  await agent.goto("/?view=all");
  // The keys work once the page is interactive (the density button is enabled by hydration).
  await expect(agent.getByTestId("density-toggle")).toBeEnabled();
  await agent.keyboard.press("/");
  await expect(agent.getByLabel("Search", { exact: true })).toBeFocused();
  await agent.getByLabel("Search", { exact: true }).fill("invoice");
  await agent.getByLabel("Search", { exact: true }).press("Enter");
  await expect(agent).toHaveURL(/q=invoice/);
  await expect(agent.getByTestId("ticket-row").first()).toBeVisible();
  await agent.locator("body").click({ position: { x: 5, y: 300 } });
  await agent.keyboard.press("j");
  const firstLink = agent.locator("[data-row-link]").first();
  await expect(firstLink).toBeFocused();
  await agent.keyboard.press("Enter");
  await expect(agent).toHaveURL(/\/tickets\//);

  // Pages: the all-tickets view has more than one page of 25.
  await agent.goto("/?view=all&status=new,open,pending,on_hold,solved,closed");
  await agent.getByRole("link", { name: "Next page →" }).click();
  await expect(agent).toHaveURL(/cursor=/);
  await expect(agent.getByTestId("ticket-row").first()).toBeVisible();
  await expect(agent.getByRole("link", { name: "← First page" })).toBeVisible();
  // A tampered cursor is explained, not a crash.
  await agent.goto("/?view=all&cursor=tampered");
  await expect(agent.getByRole("alert").filter({ hasText: "no longer valid" })).toBeVisible();
  await agent.context().close();
});

test("the API reference renders the OpenAPI document", async ({ page }) => {
  // Two full-page screenshots of a long page (every operation of the route table): slow under load.
  test.setTimeout(60_000);
  await page.goto("/docs/api");
  await expect(page.getByRole("heading", { level: 1, name: "Beacon API" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Download openapi.json" })).toHaveAttribute("href", "/api/openapi.json");
  const listTickets = page.locator("#get-api-v1-tickets");
  await expect(listTickets).toContainText("List tickets you may see");
  await expect(listTickets.getByRole("cell", { name: "assigneeId" })).toBeVisible();
  // Shared schemas are named once (components.schemas) and linked from each operation.
  await page.locator("#post-api-v1-tickets").getByRole("link", { name: "CreateTicket" }).click();
  await page.locator("#schema-createticket").getByText("CreateTicket").click();
  await expect(page.locator("#schema-createticket pre")).toContainText('"subject"');
  await page.screenshot({ path: "test-results/docs-api.png", fullPage: true });
  await phoneShot(page, "test-results/docs-api-phone.png");
});
