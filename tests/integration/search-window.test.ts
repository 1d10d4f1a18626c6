// Search's bounded window (docs/decisions/048): a search page is found by walking at most
// `searchWindow` rows in the list's order, then through the search indexes for the rest. The
// window must never change what a search returns: every page, for every sort, through the cursor,
// is the same with a window of a few rows (both steps on almost every page) as with one larger
// than the org (the first step only).
import { beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "../../src/server/db/tenant";
import { listTickets, SEARCH_WINDOW } from "../../src/server/tickets/list-tickets";
import { TICKET_STATUSES } from "../../src/server/db/schema/enums";
import { ZListTickets } from "../../src/server/tickets/schemas";
import type { Principal } from "../../src/server/core/principal";
import { api, newTicket } from "../helpers/api";
import { createWorld, type Actor, type World } from "../helpers/world";

let w: World;
const subjects: string[] = [];
let noted: string;

const principal = (a: Actor): Principal => ({
  userId: a.id,
  orgId: a.orgId,
  role: a.role,
  email: a.email,
  name: a.email,
  mustChangePassword: false,
  sessionVersion: a.sessionVersion,
  via: "session",
});

/** Every page of a search, through the cursor, with the given window. */
async function allPages(who: Actor, query: Record<string, string>, searchWindow: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const q = ZListTickets.parse({ ...query, limit: "3", ...(cursor ? { cursor } : {}) });
    const r = await withTenant(w.org.id, (tx) =>
      listTickets({ requestId: "t", user: principal(who), tx }, q, { searchWindow }),
    );
    ids.push(...r.data.map((t) => t.id));
    if (!r.nextCursor) return ids;
    cursor = r.nextCursor;
  }
  throw new Error("more than 50 pages");
}

beforeAll(async () => {
  w = await createWorld();
  const priorities = ["low", "normal", "high", "urgent"];
  // 30 tickets: "printer jam" in every third, "duplex" in two, a partial-subject word in one.
  for (let i = 0; i < 30; i++) {
    const subject =
      i % 3 === 0
        ? `Printer jam on floor ${i}`
        : i === 7 || i === 23
          ? `Duplex pages blank ${i}`
          : i === 13
            ? `Firmware update ${i}`
            : `Question ${i}`;
    subjects.push(subject);
    await newTicket(w.agent, {
      subject,
      body: `Ticket ${i}`,
      priority: priorities[i % 4],
      requesterId: i % 2 ? w.customer.id : w.customer2.id,
    });
  }
  const all = (await api.listTickets(w.agent, { sort: "createdAt", limit: "100" })).body.data as { id: string }[];
  noted = all[16]!.id;
  await api.addComment(w.agent, noted, { body: "Checked the quarterly ledger.", internal: true });
}, 60_000);

describe("search window", () => {
  const cases: [string, Record<string, string>][] = [
    ["common multi-word", { q: "printer jam" }],
    ["rare", { q: "duplex" }],
    ["absent", { q: "kubernetes" }],
    ["partial subject", { q: "firmw" }],
    ["internal note", { q: "ledger" }],
    ["common, by createdAt ascending", { q: "printer jam", sort: "createdAt" }],
    ["common, by priority", { q: "printer", sort: "-priority" }],
    ["common, with a filter", { q: "printer", priority: "urgent,low" }],
  ];
  for (const [name, query] of cases) {
    it(`gives the same pages with a window of 2 or 4 rows as with one larger than the org: ${name}`, async () => {
      const whole = await allPages(w.agent, query, 10_000);
      expect(await allPages(w.agent, query, 4)).toEqual(whole);
      expect(await allPages(w.agent, query, 2)).toEqual(whole);
      const expected =
        query.q === "printer jam" || query.q === "printer"
          ? query.priority
            ? 6
            : 10
          : query.q === "duplex"
            ? 2
            : query.q === "kubernetes"
              ? 0
              : 1;
      expect(whole).toHaveLength(expected);
    });
  }

  it("keeps a customer's search to their own tickets and away from notes, whatever the window", async () => {
    for (const win of [2, 10_000]) {
      const mine = await allPages(w.customer, { q: "printer jam" }, win);
      expect(mine).toHaveLength(5);
      expect(await allPages(w.customer, { q: "ledger" }, win)).toEqual([]);
    }
  });

  it("the prepared first pages (staff, nothing else filtered, no cursor) are the general path's", async () => {
    // listTickets sends these as named prepared statements built once per process (decision 065);
    // a search with an explicit window, or a list with a filter that keeps every ticket, takes
    // the general path, built per request. Same rows, same order, same next cursor.
    const page = (query: Record<string, string>, searchWindow?: number) =>
      withTenant(w.org.id, (tx) =>
        listTickets(
          { requestId: "t", user: principal(w.agent), tx },
          ZListTickets.parse(query),
          searchWindow === undefined ? {} : { searchWindow },
        ),
      );
    let compared = 0;
    for (const sort of ["-updatedAt", "createdAt", "-priority", "resolveDue"]) {
      for (const q of ["printer jam", "duplex", "kubernetes", "firmw", "ledger"]) {
        const prepared = await page({ sort, q, limit: "3" });
        expect(prepared).toEqual(await page({ sort, q, limit: "3" }, SEARCH_WINDOW));
        compared += prepared.data.length;
      }
      const prepared = await page({ sort, limit: "5" });
      const general = await page({ sort, limit: "5", status: TICKET_STATUSES.join(",") });
      expect(prepared.data).toEqual(general.data);
      expect(prepared.data).toHaveLength(5);
      expect(prepared.nextCursor).not.toBeNull();
    }
    expect(compared).toBeGreaterThan(20);
  });
});
