import { expect, test } from "@playwright/test";
import { expectNoAxeViolations } from "./axe";
import { userByEmail } from "./db";
import { signedIn, stamp } from "./session";

// Issue 14 item 1 in the browser (decision 050): custom fields on the ticket side panel, as staff
// and as the customer (who sees the customer-visible field only), with axe on both pages. The
// fields are deleted again: required or visible fields left in the shared e2e database would
// change later specs' forms. (The views sidebar and bulk selection are in
// workspace-views-bulk.spec.ts; the admin fields page is not built yet.)

test("the side panel shows an agent every custom field and the customer the visible ones", async ({ browser }) => {
  test.setTimeout(120_000);
  const s = stamp().replace(/[^a-z0-9]/g, "");
  const admin = await signedIn(browser, "admin@acme.test");
  const customer = await userByEmail("customer@acme.test", "acme");
  const made: string[] = [];
  try {
    const plan = await admin.request.post("/api/v1/fields", {
      data: { key: `plan_${s}`, label: `Plan ${s}`, type: "dropdown", options: ["free", "pro"], customerVisible: true },
    });
    expect(plan.status(), await plan.text()).toBe(201);
    made.push(`/api/v1/fields/${(await plan.json()).id}`);
    const note = await admin.request.post("/api/v1/fields", { data: { key: `risk_${s}`, label: `Risk ${s}`, type: "text" } });
    expect(note.status(), await note.text()).toBe(201);
    made.push(`/api/v1/fields/${(await note.json()).id}`);

    const agent = await signedIn(browser, "agent@acme.test");
    const created = await agent.request.post("/api/v1/tickets", {
      data: { subject: `Fields ${s}`, body: "Which plan am I on?", requesterId: customer.id, customFields: { [`plan_${s}`]: "pro", [`risk_${s}`]: "churn" } },
    });
    expect(created.status(), await created.text()).toBe(201);
    const ticket = (await created.json()) as { id: string };

    await agent.goto(`/tickets/${ticket.id}`);
    const panel = agent.getByTestId("custom-fields-panel");
    await expect(panel.getByRole("heading", { name: "Fields" })).toBeVisible();
    await expect(panel.getByTestId(`custom-field-plan_${s}`)).toHaveText("pro");
    await expect(panel.getByTestId(`custom-field-risk_${s}`)).toHaveText("churn");
    await expectNoAxeViolations(agent, "ticket page with custom fields (agent)");

    const mine = await signedIn(browser, "customer@acme.test");
    await mine.goto(`/tickets/${ticket.id}`);
    const theirs = mine.getByTestId("custom-fields-panel");
    await expect(theirs.getByTestId(`custom-field-plan_${s}`)).toHaveText("pro");
    await expect(theirs.getByTestId(`custom-field-risk_${s}`)).toHaveCount(0);
    await expect(mine.getByText("churn")).toHaveCount(0);
    await expectNoAxeViolations(mine, "ticket page with custom fields (customer)");
  } finally {
    for (const p of made) expect([204, 404]).toContain((await admin.request.delete(p)).status());
  }
});
