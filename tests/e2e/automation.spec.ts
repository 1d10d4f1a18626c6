import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { expectNoAxeViolations } from "./axe";
import { asSystem, userByEmail } from "./db";
import { signedIn, stamp } from "./session";

// Issue 13 in the browser (decision 045): an admin builds the rule "subject contains refund →
// priority high, group Billing (round-robin)" in the editor, watching it validate as they type and
// dry-running it against a ticket; a customer's "Refund please" lands high and assigned to a
// Billing agent with the rule in its history; an agent applies a macro after its preview. Every
// rule, group and macro made here is deleted again: a trigger left enabled in the shared e2e
// database would change every later spec's tickets.

/** Deletes what a test made through the API, whatever happened (the admin's session). */
async function cleanUp(admin: Page, paths: string[]) {
  for (const p of paths) {
    const r = await admin.request.delete(p);
    expect([204, 404], `DELETE ${p}`).toContain(r.status());
  }
}

test("an admin builds a refund trigger in the editor; a customer's refund request lands high and assigned in Billing", async ({
  browser,
  org,
}) => {
  test.setTimeout(120_000);
  const s = stamp();
  const groupName = `Billing ${s}`;
  const ruleName = `Refunds to Billing ${s}`;
  const agent = await userByEmail(org.email("agent"), org.slug);
  const agent2 = await userByEmail(org.email("agent2"), org.slug);
  // A seeded open ticket that is not high yet, for the dry run.
  const probe = await asSystem(
    async (db) =>
      (
        await db.query<{ number: number; subject: string; priority: string }>(
          `select t.number, t.subject, t.priority from tickets t join orgs o on o.id = t.org_id
        where o.slug = $1 and t.status in ('new', 'open', 'pending') and t.priority in ('low', 'normal') order by t.number limit 1`,
          [org.slug],
        )
      ).rows[0]!,
  );
  const admin = await signedIn(browser, org.email("admin"));
  const cleanup: string[] = [];
  try {
    // The Billing group with two agents, on Admin → Groups.
    await admin.goto("/admin");
    await admin.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Groups" }).click();
    await expect(admin.getByRole("heading", { name: "Groups", level: 1 })).toBeVisible();
    const newGroup = admin.getByRole("form", { name: "New group" });
    await newGroup.getByLabel("Group name").fill(groupName);
    await newGroup.getByLabel(agent.name, { exact: true }).check();
    await newGroup.getByLabel(agent2.name, { exact: true }).check();
    await newGroup.getByRole("button", { name: "Create group" }).click();
    await expect(admin.getByTestId("group-status")).toHaveText(`Group ${groupName} created with 2 members.`);
    const groupRow = admin.getByTestId("group-list").getByRole("row").filter({ hasText: groupName });
    await expect(groupRow).toContainText(agent.name);
    await expect(groupRow).toContainText(agent2.name);
    const groupId = (
      await asSystem((db) => db.query<{ id: string }>("select id from groups where name = $1", [groupName]))
    ).rows[0]!.id;
    cleanup.push(`/api/v1/groups/${groupId}`);
    await expectNoAxeViolations(admin, "Admin → Groups");

    // The trigger, in the editor.
    await admin.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Triggers" }).click();
    await expect(admin.getByRole("heading", { name: "Triggers", level: 1 })).toBeVisible();
    await admin.getByRole("button", { name: "New trigger" }).click();
    const editor = admin.getByTestId("rule-editor");
    await expect(editor.getByLabel("Name")).toBeFocused();
    await editor.getByLabel("Name").fill(ruleName);
    // Validated as you type: the empty subject value is named under its own field.
    const value = editor.getByLabel("Value (condition 1)");
    await expect(value).toHaveAttribute("aria-invalid", "true");
    await expect(value).toHaveAccessibleDescription("is required");
    await expect(editor.getByTestId("rule-validation")).toContainText("1 problem to fix.");
    await expect(editor.getByLabel("Field (condition 1)")).toHaveValue("subject");
    await expect(editor.getByLabel("Operator (condition 1)")).toHaveValue("contains");
    await value.fill(probe.subject.slice(0, 40));
    await expect(value).not.toHaveAttribute("aria-invalid", "true");
    // Action 1 is "set priority high"; action 2 assigns round-robin within the group.
    await expect(editor.getByLabel("Action 1", { exact: true })).toHaveValue("set_priority");
    await editor.getByLabel("Priority (action 1)").selectOption("high");
    await editor.getByRole("button", { name: "Add an action" }).click();
    await editor.getByLabel("Action 2", { exact: true }).selectOption("assign_group");
    await editor.getByLabel("Group (action 2)").selectOption({ label: groupName });
    await expect(editor.getByLabel("Assignment (action 2)")).toHaveValue("round_robin");
    await expect(editor.getByTestId("rule-validation")).toContainText("The rule is valid.");
    await expectNoAxeViolations(admin, "Admin → Triggers with the editor open");

    // Dry run of the draft against the seeded ticket it matches: what would change, nothing written.
    const dry = admin.getByTestId("dry-run");
    await dry.getByLabel("Ticket number").fill(String(probe.number));
    await dry.getByRole("button", { name: `Test against ticket #${probe.number}` }).click();
    const result = admin.getByTestId("dry-run-result");
    await expect(result).toContainText("Matches: the rule would fire.");
    await expect(result).toContainText(`Priority: ${probe.priority === "low" ? "Low" : "Normal"} → High`);
    await expect(result).toContainText(`Assigns within ${groupName} (round-robin):`);
    const after = await asSystem((db) =>
      db.query<{ priority: string }>(
        "select priority from tickets t join orgs o on o.id = t.org_id where o.slug = $1 and t.number = $2",
        [org.slug, probe.number],
      ),
    );
    expect(after.rows[0]!.priority).toBe(probe.priority);
    // Now the real condition: the probe ticket no longer matches.
    await value.fill("refund");
    await dry.getByRole("button", { name: `Test against ticket #${probe.number}` }).click();
    await expect(result).toContainText("Does not match: the rule would not fire.");
    await editor.getByRole("button", { name: "Create trigger" }).click();
    await expect(admin.getByTestId("trigger-status")).toHaveText(`${ruleName} created.`);
    const ruleRow = admin.getByTestId("trigger-list").getByRole("row").filter({ hasText: ruleName });
    await expect(ruleRow).toContainText("Enabled");
    const ruleId = (
      await asSystem((db) => db.query<{ id: string }>("select id from triggers where name = $1", [ruleName]))
    ).rows[0]!.id;
    cleanup.unshift(`/api/v1/triggers/${ruleId}`);

    // A customer asks for a refund in the portal.
    const customer = await signedIn(browser, org.email("customer"));
    await customer.goto("/tickets/new");
    await expect(customer.getByRole("button", { name: "Submit request" })).toBeEnabled();
    const subject = `Refund please ${s}`;
    await customer.getByLabel("Subject").fill(subject);
    await customer.getByLabel("How can we help?").fill("I was charged twice this month.");
    await customer.getByRole("button", { name: "Submit request" }).click();
    await expect(customer).toHaveURL(/\/tickets\/[0-9a-f-]{36}$/);
    const ticketPath = new URL(customer.url()).pathname;
    await customer.context().close();

    // It landed high, with a Billing agent, and the history names the rule.
    await admin.goto(ticketPath);
    await expect(admin.getByTestId("ticket-subject")).toHaveText(subject);
    await expect(admin.getByLabel("Priority")).toHaveValue("high");
    const assignee = await admin.getByLabel("Assignee").inputValue();
    expect([agent.id, agent2.id]).toContain(assignee);
    // The group action set the ticket's group, shown (and editable) in its properties.
    await expect(admin.getByLabel("Group", { exact: true }).locator("option:checked")).toHaveText(groupName);
    await expect(admin.locator(".history-details")).toContainText(
      `Trigger “${ruleName}” set group ${groupName}; set priority Normal → High`,
    );

    // Disabling it from the list (and the away flag on the group) work without the editor.
    await admin.goto("/admin/triggers");
    await expect(admin.getByRole("button", { name: "New trigger" })).toBeEnabled();
    await admin.getByRole("button", { name: `Disable ${ruleName}` }).click();
    await expect(admin.getByTestId("trigger-status")).toHaveText(`${ruleName} disabled.`);
    await expect(admin.getByTestId("trigger-list").getByRole("row").filter({ hasText: ruleName })).toContainText(
      "Disabled",
    );
    await admin.goto("/admin/groups");
    await expect(admin.getByRole("button", { name: "Create group" })).toBeEnabled();
    await admin.getByRole("button", { name: `Mark ${agent2.name} away in ${groupName}` }).click();
    await expect(admin.getByTestId("group-list").getByRole("row").filter({ hasText: groupName })).toContainText("away");
    // Deleting asks first.
    await admin.goto("/admin/triggers");
    await expect(admin.getByRole("button", { name: "New trigger" })).toBeEnabled();
    await admin.getByRole("button", { name: `Delete ${ruleName}` }).click();
    await admin.getByRole("dialog").getByRole("button", { name: "Delete trigger" }).click();
    await expect(admin.getByTestId("trigger-status")).toHaveText(`${ruleName} deleted.`);
    const left = await asSystem((db) => db.query("select 1 from triggers where id = $1", [ruleId]));
    expect(left.rowCount).toBe(0);
  } finally {
    await cleanUp(admin, cleanup);
  }
});

test("an agent applies a shared macro from the ticket page after its preview, from the keyboard", async ({
  browser,
  org,
}) => {
  test.setTimeout(90_000);
  const s = stamp();
  const macroName = `Refund reply ${s}`;
  const tag = `refund-${s}`;
  const admin = await signedIn(browser, org.email("admin"));
  const cleanup: string[] = [];
  try {
    // The admin writes the macro on Admin → Macros; a bad placeholder is named as they type.
    await admin.goto("/admin/macros");
    await expect(admin.getByRole("heading", { name: "Macros", level: 1 })).toBeVisible();
    await admin.getByRole("button", { name: "New shared macro" }).click();
    const editor = admin.getByTestId("macro-editor");
    await editor.getByLabel("Name").fill(macroName);
    const reply = editor.getByLabel("Reply text");
    await reply.fill("Hi {{requester.nickname}}");
    await expect(reply).toHaveAttribute("aria-invalid", "true");
    await expect(editor.getByTestId("error-reply")).toHaveText("unknown placeholder {{requester.nickname}}");
    await reply.fill("Hi {{requester.first_name}}, the refund for ticket #{{ticket.number}} is on its way.");
    await editor.getByRole("button", { name: "Add an action" }).click();
    await editor.getByLabel("Action 1", { exact: true }).selectOption("add_tags");
    await editor.getByLabel("Tags, comma separated (action 1)").fill(tag);
    await editor.getByRole("button", { name: "Add an action" }).click();
    await editor.getByLabel("Action 2", { exact: true }).selectOption("set_status");
    await editor.getByLabel("Status (action 2)").selectOption("pending");
    await expect(editor).toContainText("The macro is valid.");
    await expectNoAxeViolations(admin, "Admin → Macros with the editor open");
    await editor.getByRole("button", { name: "Create macro" }).click();
    await expect(admin.getByTestId("macro-status")).toHaveText(`Macro ${macroName} created.`);
    const macroId = (
      await asSystem((db) => db.query<{ id: string }>("select id from macros where name = $1", [macroName]))
    ).rows[0]!.id;
    cleanup.push(`/api/v1/macros/${macroId}`);

    // A fresh ticket of the customer (made by API so no other spec's ticket changes).
    const customer = await userByEmail(org.email("customer"), org.slug);
    const made = await admin.request.post("/api/v1/tickets", {
      data: { subject: `Charged twice ${s}`, body: "Please look.", requesterId: customer.id },
    });
    expect(made.status(), await made.text()).toBe(201);
    const ticket = (await made.json()) as { id: string; number: number };

    const agent = await signedIn(browser, org.email("agent"));
    await agent.goto(`/tickets/${ticket.id}`);
    // Once the page is live (the button is enabled), m opens the picker from anywhere but a field.
    await expect(agent.getByRole("button", { name: "Apply macro" })).toBeEnabled();
    await agent.getByRole("heading", { level: 1 }).click();
    await agent.keyboard.press("m");
    const dialog = agent.getByTestId("macro-dialog");
    await expect(dialog).toBeVisible();
    await expect(dialog.getByLabel("Macro")).toBeFocused();
    await dialog.getByLabel("Macro").selectOption({ label: macroName });
    const first = customer.name.trim().split(/\s+/)[0]!;
    await expect(dialog.getByTestId("macro-preview-reply")).toHaveText(
      `Hi ${first}, the refund for ticket #${ticket.number} is on its way.`,
    );
    await expect(dialog.getByTestId("macro-preview-changes")).toContainText("→ Pending");
    await expect(dialog.getByTestId("macro-preview-changes")).toContainText(tag);
    await expectNoAxeViolations(agent, "Ticket page with the macro picker open");
    // Nothing changed yet.
    const before = await asSystem((db) =>
      db.query<{ status: string; tags: string[] }>("select status, tags from tickets where id = $1", [ticket.id]),
    );
    expect(before.rows[0]!.tags).not.toContain(tag);
    await dialog.getByRole("button", { name: "Apply macro" }).click();
    await expect(dialog).toBeHidden();
    await expect(agent.getByTestId("macro-status")).toHaveText(
      `Macro ${macroName} applied: 2 fields changed; its reply is in the reply box, ready to edit and send.`,
    );
    await expect(agent.getByLabel("Message (the customer sees it)")).toHaveValue(
      `Hi ${first}, the refund for ticket #${ticket.number} is on its way.`,
    );
    await expect(agent.getByLabel("Message (the customer sees it)")).toBeFocused();
    await expect(agent.getByLabel("Status")).toHaveValue("pending");
    await expect(agent.locator(".history-details")).toContainText(`applied the macro “${macroName}”`);
    // The agent sends the reply as usual.
    await agent.getByRole("button", { name: "Send public reply" }).click();
    await expect(agent.getByTestId("conversation")).toContainText(
      `the refund for ticket #${ticket.number} is on its way`,
    );
    const after = await asSystem((db) =>
      db.query<{ status: string; tags: string[] }>("select status, tags from tickets where id = $1", [ticket.id]),
    );
    expect(after.rows[0]!.tags).toContain(tag);

    // Agents keep personal macros under Account → Macros.
    await agent.goto("/account/macros");
    await expect(agent.getByRole("heading", { name: "Your macros", level: 1 })).toBeVisible();
    await expectNoAxeViolations(agent, "Account → Macros");
    // Agents do not reach the admin pages.
    const denied = await agent.goto("/admin/triggers");
    expect(denied?.status()).toBe(404);
  } finally {
    await cleanUp(admin, cleanup);
  }
});

test("the time rules page: the editor starts with the time condition; rules are reordered and edited from the list", async ({
  browser,
  org,
}) => {
  test.setTimeout(90_000);
  const s = stamp();
  const admin = await signedIn(browser, org.email("admin"));
  const cleanup: string[] = [];
  try {
    // Two disabled time rules made by API, so nothing runs on the shared tickets.
    const rule = (name: string) => ({
      name,
      active: false,
      conditions: { all: [{ field: "hours_since", anchor: "updated", op: "gte", value: 72 }], any: [] },
      actions: [{ type: "add_tags", value: [`stale-${s}`] }],
    });
    const ids: string[] = [];
    for (const name of [`First ${s}`, `Second ${s}`]) {
      const r = await admin.request.post("/api/v1/automations", { data: rule(name) });
      expect(r.status(), await r.text()).toBe(201);
      ids.push(((await r.json()) as { id: string }).id);
      cleanup.push(`/api/v1/automations/${ids.at(-1)}`);
    }
    await admin.goto("/admin/automations");
    await expect(admin.getByRole("heading", { name: "Time rules", level: 1 })).toBeVisible();
    await expect(admin.getByRole("button", { name: "New time rule" })).toBeEnabled();
    const names = () => admin.getByTestId("automation-list").locator("tbody tr strong").allTextContents();
    expect((await names()).filter((n) => n.endsWith(s))).toEqual([`First ${s}`, `Second ${s}`]);
    await admin.getByRole("button", { name: `Move Second ${s} up` }).click();
    await expect(admin.getByTestId("automation-status")).toContainText(`Second ${s} moved to position`);
    await expect.poll(async () => (await names()).filter((n) => n.endsWith(s))).toEqual([`Second ${s}`, `First ${s}`]);

    // Editing a saved rule loads its rows; a change is saved with PATCH.
    await admin.getByRole("button", { name: `Edit First ${s}` }).click();
    const editor = admin.getByTestId("rule-editor");
    await expect(editor.getByLabel("Field (condition 1)")).toHaveValue("hours_since");
    await expect(editor.getByLabel("Value (condition 1)")).toHaveValue("72");
    await editor.getByLabel("Value (condition 1)").fill("");
    await expect(editor.getByLabel("Value (condition 1)")).toHaveAttribute("aria-invalid", "true");
    await editor.getByLabel("Value (condition 1)").fill("96");
    await expect(editor.getByTestId("rule-validation")).toContainText("The rule is valid.");
    await editor.getByRole("button", { name: "Save changes" }).click();
    await expect(admin.getByTestId("automation-status")).toHaveText(`First ${s} saved.`);
    const saved = await asSystem((db) =>
      db.query<{ conditions: { all: { value: number }[] } }>("select conditions from automations where id = $1", [
        ids[0],
      ]),
    );
    expect(saved.rows[0]!.conditions.all[0]!.value).toBe(96);

    // A new one starts with "Hours since … at least", and event-only fields are not offered.
    await admin.getByRole("button", { name: "New time rule" }).click();
    const fresh = admin.getByTestId("rule-editor");
    await expect(fresh.getByLabel("Field (condition 1)")).toHaveValue("hours_since");
    await expect(fresh.getByLabel("Since (condition 1)")).toHaveValue("updated");
    await expect(fresh.getByLabel("Field (condition 1)").locator("option[value=event]")).toHaveCount(0);
    await fresh.getByLabel("Name").fill(`Stale tickets ${s}`);
    await expect(fresh.getByTestId("rule-validation")).toContainText("The rule is valid.");
    await expectNoAxeViolations(admin, "Admin → Time rules with the editor open");
    await fresh.getByRole("button", { name: "Cancel" }).click();
    await expect(fresh).toHaveCount(0);
  } finally {
    await cleanUp(admin, cleanup);
  }
});

test("an agent keeps a personal macro on Account → Macros; it is offered to them alone", async ({ browser, org }) => {
  test.setTimeout(90_000);
  const name = `My sign-off ${stamp()}`;
  const agent = await signedIn(browser, org.email("agent"));
  const cleanup: string[] = [];
  try {
    await agent.goto("/account");
    await agent.getByRole("navigation", { name: "Your account" }).getByRole("link", { name: "Macros" }).click();
    await expect(agent.getByRole("heading", { name: "Your macros", level: 1 })).toBeVisible();
    await agent.getByRole("button", { name: "New personal macro" }).click();
    const editor = agent.getByTestId("macro-editor");
    await editor.getByLabel("Name").fill(name);
    await editor.getByLabel("Reply text").fill("Best, {{agent.first_name}}");
    await expect(editor).toContainText("The macro is valid.");
    await editor.getByRole("button", { name: "Create macro" }).click();
    await expect(agent.getByTestId("macro-status")).toHaveText(`Macro ${name} created.`);
    await expect(agent.getByTestId("macro-list")).toContainText(name);
    const row = await asSystem((db) =>
      db.query<{ id: string; owner_id: string | null }>("select id, owner_id from macros where name = $1", [name]),
    );
    cleanup.push(`/api/v1/macros/${row.rows[0]!.id}`);
    expect(row.rows[0]!.owner_id).toBe((await userByEmail(org.email("agent"), org.slug)).id);
    // Another agent does not see it.
    const other = await signedIn(browser, org.email("agent2"));
    const list = (await (await other.request.get("/api/v1/macros")).json()) as { data: { name: string }[] };
    expect(list.data.map((m) => m.name)).not.toContain(name);
    // Customers have no macros page.
    const customer = await signedIn(browser, org.email("customer"));
    expect((await customer.goto("/account/macros"))?.status()).toBe(404);
  } finally {
    await cleanUp(agent, cleanup);
  }
});
