import { beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "../../src/server/db/tenant";
import { CUSTOMER_VIEWS, STAFF_VIEWS, formatViewCount, viewCounts } from "../../src/server/tickets/view-counts";
import { api, newTicket } from "../helpers/api";
import { createWorld, type Actor, type World } from "../helpers/world";

let w: World;
let other: World;

const counts = (who: Actor, cap?: number) =>
  withTenant(who.orgId, (tx) =>
    viewCounts(
      { tx, user: { userId: who.id, orgId: who.orgId, role: who.role } as never },
      who.role === "customer" ? CUSTOMER_VIEWS : STAFF_VIEWS,
      cap,
    ),
  );

beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
  for (let i = 0; i < 5; i++) await newTicket(w.customer, { subject: `Printer ${i}`, body: "Jammed again." });
  await newTicket(w.customer2, { subject: "Someone else's", body: "Not yours." });
  const mine = (await api.listTickets(w.agent, {})).body.data as { id: string }[];
  await api.patchTicket(w.agent, mine[0]!.id, { assigneeId: w.agent.id, status: "open" });
  await api.patchTicket(w.agent, mine[1]!.id, { status: "solved" });
  for (let i = 0; i < 3; i++) await newTicket(other.customer, { subject: `Other org ${i}`, body: "Elsewhere." });
});

describe("view counts", () => {
  it("count exactly what each staff view lists, within the org", async () => {
    const c = await counts(w.agent);
    expect(c).toEqual({ mine: 1, unassigned: 4, breaching: expect.any(Number), all: 5, solved: 1 });
    expect((await counts(other.agent)).all).toBe(3);
  });

  it("count only a customer's own requests", async () => {
    expect(await counts(w.customer)).toEqual({ open: 4, solved: 1 });
    expect(await counts(w.customer2)).toEqual({ open: 1, solved: 0 });
  });

  it("stop one past the cap, and the UI shows the cap with a plus", async () => {
    const c = await counts(w.agent, 3);
    expect(c.all).toBe(4);
    expect(c.unassigned).toBe(4);
    expect(c.mine).toBe(1);
    expect(formatViewCount(1001)).toBe("1,000+");
    expect(formatViewCount(1000)).toBe("1,000");
    expect(formatViewCount(7)).toBe("7");
  });
});
