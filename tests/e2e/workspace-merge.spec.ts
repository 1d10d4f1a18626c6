import fs from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { simpleParser, type ParsedMail } from "mailparser";
import nodemailer from "nodemailer";
import { expectNoAxeViolations } from "./axe";
import { signedIn, stamp } from "./session";

// Issue 14 items 4, 6, 7 in the browser (decision 051): an agent links and merges tickets from the
// ticket page (the merge asks for confirmation first), the customer card and the admin's customer
// organizations page, each checked with axe; and a customer rates a solved ticket from the link in
// the solve email the worker sent to the run's mail spool (E2E_MAIL_DIR), without signing in.

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the specs through \`npm run test:e2e\``);
  return v;
};

/** A same-origin API call from the signed-in page (the session cookie and Origin as the app's own). */
async function apiCall<T>(page: Page, method: string, url: string, body?: unknown): Promise<T> {
  const r = await page.evaluate(
    async ([m, u, b]) => {
      const res = await fetch(u as string, {
        method: m as string,
        headers: b ? { "content-type": "application/json" } : {},
        body: b ? JSON.stringify(b) : undefined,
      });
      return { status: res.status, text: await res.text() };
    },
    [method, url, body] as const,
  );
  if (r.status >= 300) throw new Error(`${method} ${url} → ${r.status} ${r.text}`);
  return (r.text ? JSON.parse(r.text) : undefined) as T;
}

type Ticket = { id: string; number: number };

test("an agent links and merges tickets from the ticket page, with confirmation; the new cards pass axe", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const s = stamp();
  const agent = await signedIn(browser, "agent@acme.test");
  const dup = await apiCall<Ticket>(agent, "POST", "/api/v1/tickets", {
    subject: `Printer jammed ${s}`,
    body: "Paper stuck in tray 2.",
  });
  const target = await apiCall<Ticket>(agent, "POST", "/api/v1/tickets", {
    subject: `Printer broken ${s}`,
    body: "It will not print.",
  });
  const related = await apiCall<Ticket>(agent, "POST", "/api/v1/tickets", {
    subject: `Toner low ${s}`,
    body: "Toner warning.",
  });

  await agent.goto(`/tickets/${dup.id}`);
  await expect(agent.getByTestId("ticket-relations")).toBeVisible();
  await expect(agent.getByTestId("customer-card")).toBeVisible();
  await expectNoAxeViolations(agent, "the ticket page with the related-tickets and customer cards");

  // Link a related ticket by number: it is listed on both tickets.
  await agent.getByLabel("Link ticket number").fill(String(related.number));
  await agent.getByRole("button", { name: "Link", exact: true }).click();
  await expect(agent.getByTestId("relations-status")).toContainText(`Linked to #${related.number}`);
  await expect(agent.getByTestId("linked-tickets")).toContainText(`Toner low ${s}`);

  // A note about the customer.
  await agent.getByLabel(/Add a note about/).fill(`Prefers email ${s}`);
  await agent.getByRole("button", { name: "Add note" }).click();
  await expect(agent.getByTestId("customer-notes")).toContainText(`Prefers email ${s}`);

  // Merge: the dialog says what will happen; Cancel changes nothing, Merge moves everything.
  await agent.getByLabel("Merge this ticket into number").fill(String(target.number));
  await agent.getByRole("button", { name: "Merge…" }).click();
  const dialog = agent.getByRole("dialog", { name: `Merge #${dup.number} into #${target.number}?` });
  await expect(dialog).toBeVisible();
  await expectNoAxeViolations(agent, "the merge confirmation dialog");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await agent.getByRole("button", { name: "Merge…" }).click();
  await agent.getByRole("dialog").getByRole("button", { name: "Merge", exact: true }).click();

  await expect(agent).toHaveURL(new RegExp(`/tickets/${target.id}$`));
  await expect(agent.getByTestId("merged-from")).toContainText(`Printer jammed ${s}`);
  // The duplicate's first message is on the target now.
  await expect(agent.getByText("Paper stuck in tray 2.")).toBeVisible();
  await agent.goto(`/tickets/${dup.id}`);
  await expect(agent.getByTestId("merged-into")).toContainText(`#${target.number}`);
  await agent.context().close();
});

test("an admin manages customer organizations; the page passes axe", async ({ browser }) => {
  const s = stamp();
  const admin = await signedIn(browser, "admin@acme.test");
  await admin.goto("/admin/customers");
  await expect(admin.getByRole("heading", { level: 1, name: "Customer organizations" })).toBeVisible();
  const form = admin.getByTestId("new-customer-org");
  await form.getByLabel("Name").fill(`Initech ${s}`);
  await form.getByLabel(/Email domains/).fill(`initech-${s}.example`);
  await form.getByRole("button", { name: "Create organization" }).click();
  await expect(admin.getByTestId("customer-org-status")).toContainText(`Initech ${s} created`);
  await expect(admin.getByTestId("customer-orgs")).toContainText(`initech-${s}.example`);
  await expectNoAxeViolations(admin, "/admin/customers");
  await admin.context().close();
});

test("a customer rates a solved ticket from the link in the solve email, without signing in", async ({ browser }) => {
  // The solve email waits ~30 s (decision 040), then the worker polls: give it time.
  test.setTimeout(180_000);
  const s = stamp();
  const subject = `Cannot log in to the portal ${s}`;
  const sender = `riley.${s}@customer.example`;
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: Number(env("E2E_SMTP_PORT")),
    secure: false,
    ignoreTLS: true,
  });
  await transport.sendMail({
    from: { name: "Riley Customer", address: sender },
    to: "support@acme.test",
    subject,
    messageId: `<e2e.${s}@customer.example>`,
    text: "My password is refused.",
  });

  const agent = await signedIn(browser, "agent@acme.test");
  // The worker applies the mail; find the ticket it opened.
  let ticket: { id: string } | undefined;
  await expect(async () => {
    const page = await apiCall<{ data: { id: string; subject: string }[] }>(
      agent,
      "GET",
      `/api/v1/tickets?q=${encodeURIComponent(s)}`,
    );
    ticket = page.data.find((t) => t.subject === subject);
    expect(ticket).toBeTruthy();
  }).toPass({ timeout: 60_000, intervals: [1_000] });
  // The worker is still busy with the new ticket (acknowledgement, notifications): a solve that
  // deadlocks with one of its writes is run again by the server (up to 3 times); should all of
  // them meet one, the answer is 409 "retry", and a client retries it.
  await expect(async () => {
    await apiCall(agent, "PATCH", `/api/v1/tickets/${ticket!.id}`, { status: "solved" });
  }).toPass({ timeout: 30_000, intervals: [500, 1_000] });

  // The solve email arrives in the spool with one-click rating links.
  let mail: ParsedMail | undefined;
  await expect(async () => {
    const dir = env("E2E_MAIL_DIR");
    const names = fs.existsSync(dir)
      ? fs.readdirSync(dir).filter((n) => n.includes(`beacon.solved.`) && n.includes(ticket!.id))
      : [];
    expect(names.length).toBeGreaterThan(0);
    mail = await simpleParser(fs.readFileSync(path.join(dir, names[0]!)));
  }).toPass({ timeout: 120_000, intervals: [2_000] });
  expect(mail!.to && (Array.isArray(mail!.to) ? mail!.to[0] : mail!.to)!.value[0]!.address).toBe(sender);
  const bad = /https?:\/\/\S+\/rate\/\S+\?rating=bad/.exec(mail!.text ?? "")![0];
  const good = /https?:\/\/\S+\/rate\/\S+\?rating=good/.exec(mail!.text ?? "")![0];

  // The customer clicks "good" in a browser that is not signed in: one click rates.
  const customer = await (await browser.newContext()).newPage();
  await customer.goto(new URL(good).pathname + new URL(good).search);
  await expect(customer.getByTestId("rating-status")).toContainText("Thank you: your rating is “Good”");
  await expectNoAxeViolations(customer, "the rating page");
  // A comment, changing nothing else.
  await customer.getByLabel("Comment (optional)").fill("Fixed within the hour");
  await customer.getByRole("button", { name: "Update rating" }).click();
  await expect(customer.getByTestId("rating-status")).toContainText("with your comment");

  // The same email's "bad" link was for the first rating: it has been used.
  await customer.goto(new URL(bad).pathname + new URL(bad).search);
  await expect(customer.getByTestId("rating-status")).toContainText("This link has been used");

  // The agent sees the rating on the ticket.
  await agent.goto(`/tickets/${ticket!.id}`);
  await expect(agent.getByTestId("satisfaction-rating")).toContainText("Good");
  await expect(agent.getByTestId("satisfaction-rating")).toContainText("Fixed within the hour");
  await customer.context().close();
  await agent.context().close();
});
