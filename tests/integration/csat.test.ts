import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { withPageContext } from "../../src/server/auth/page-context";
import type { PageUser } from "../../src/server/auth/page-session";
import { signRatingLink, verifyRatingLink } from "../../src/server/csat/rating-link";
import { csatDashboard } from "../../src/server/dashboard/csat-dashboard";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { api, newTicket } from "../helpers/api";
import { apiRoute, call } from "../helpers/http";
import { createWorld, type Actor, type World } from "../helpers/world";

// Satisfaction ratings (issue 14 item 7, decision 051): the signed one-click link (bound to one
// org and ticket; tampered, forged or moved links refused; each link changes the rating once),
// the requester's rating in the portal, and staff reading it. Nothing crosses orgs.

let A: World, B: World;
beforeAll(async () => {
  [A, B] = await Promise.all([createWorld(), createWorld()]);
});

type Who = { cookie: string };
const byLink = (token: string) => call(apiRoute.GET, "GET", `/api/v1/satisfaction/${token}`);
const rateLink = (token: string, body: unknown) =>
  call(apiRoute.POST, "POST", `/api/v1/satisfaction/${token}`, { body });
const rating = (who: Who, id: string) =>
  call(apiRoute.GET, "GET", `/api/v1/tickets/${id}/satisfaction`, { cookie: who.cookie });
const rate = (who: Who, id: string, body: unknown) =>
  call(apiRoute.PUT, "PUT", `/api/v1/tickets/${id}/satisfaction`, { cookie: who.cookie, body });
const stored = async (id: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ rating: string; comment: string; changes: number; assignee_id: string | null }>(
        sql`select rating::text, comment, changes, assignee_id from csat_ratings where ticket_id = ${id}`,
      ),
    )
  ).rows[0];

async function solved(w: World) {
  const t = await newTicket(w.customer, { subject: "Rate me" });
  expect((await api.patchTicket(w.agent, t.id, { assigneeId: w.agent.id, status: "solved" })).status).toBe(200);
  return t;
}

describe("rating by signed link", () => {
  it("rates with one click, then changes once per link: the answer carries the next link; a used link is refused (409); audited", async () => {
    const t = await solved(A);
    const token = signRatingLink({ orgId: A.org.id, ticketId: t.id, n: 0 });
    const look = await byLink(token);
    expect(look.status, look.text).toBe(200);
    expect(look.body).toMatchObject({
      ticketId: t.id,
      ticketNumber: t.number,
      rating: null,
      open: true,
      nextToken: token,
    });

    const first = await rateLink(token, { rating: "good" });
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ rating: "good", comment: "" });
    expect(await stored(t.id)).toMatchObject({ rating: "good", changes: 1, assignee_id: A.agent.id });
    // The same link again: used.
    expect((await rateLink(token, { rating: "bad" })).status).toBe(409);
    expect(await stored(t.id)).toMatchObject({ rating: "good", changes: 1 });
    // Reading a used link shows the rating but mints no fresh link.
    expect((await byLink(token)).body).toMatchObject({ rating: "good", nextToken: null });
    // The next link (from the answer) changes it once, with a comment.
    const second = await rateLink(first.body.nextToken!, { rating: "bad", comment: "Took too long" });
    expect(second.status, second.text).toBe(200);
    expect(await stored(t.id)).toMatchObject({ rating: "bad", comment: "Took too long", changes: 2 });
    expect((await rateLink(first.body.nextToken!, { rating: "good" })).status).toBe(409);

    // Staff see it on the ticket; the history has both ratings.
    expect((await rating(A.agent, t.id)).body).toMatchObject({ rating: "bad", comment: "Took too long" });
    const actions = (await api.events(A.agent, t.id)).body.data.filter(
      (e: { action: string }) => e.action === "ticket.csat_rated",
    );
    expect(actions.map((e) => e.data.rating)).toEqual(["good", "bad"]);
  });

  it("refuses tampered, forged and moved links (404) and bad ratings (400), changing nothing", async () => {
    const t = await solved(A);
    const token = signRatingLink({ orgId: A.org.id, ticketId: t.id, n: 0 });
    const [payload, mac] = token.split(".") as [string, string];
    const flip = (s: string) => s.slice(0, -2) + (s.at(-2) === "A" ? "B" : "A") + s.at(-1);
    // Another org's id, or another ticket's, in the payload with A's MAC.
    const other = await solved(B);
    const moved = (org: string, ticket: string) => `${Buffer.from(`${org}.${ticket}.0`).toString("base64url")}.${mac}`;
    for (const bad of [
      `${payload}.${flip(mac)}`,
      `${flip(payload)}.${mac}`,
      moved(B.org.id, t.id),
      moved(A.org.id, other.id),
      moved(B.org.id, other.id),
      "nonsense",
      `${payload}.`,
    ]) {
      expect(verifyRatingLink(bad)).toBeNull();
      expect((await rateLink(bad, { rating: "good" })).status, bad).toBe(404);
      expect((await byLink(bad)).status).toBe(404);
    }
    // A link signed for org B naming A's ticket finds nothing: B's tenant cannot see A's ticket.
    expect((await rateLink(signRatingLink({ orgId: B.org.id, ticketId: t.id, n: 0 }), { rating: "good" })).status).toBe(
      404,
    );
    for (const body of [
      {},
      { rating: "meh" },
      { rating: "good", comment: "x".repeat(2_001) },
      { rating: "good", extra: 1 },
    ]) {
      expect((await rateLink(token, body)).status, JSON.stringify(body).slice(0, 40)).toBe(400);
    }
    expect(await stored(t.id)).toBeUndefined();
    expect(await stored(other.id)).toBeUndefined();
    expect((await rateLink(token, { rating: "good" })).status).toBe(200);
  });

  it("an unsolved ticket cannot be rated (409)", async () => {
    const t = await newTicket(A.customer);
    expect((await rateLink(signRatingLink({ orgId: A.org.id, ticketId: t.id, n: 0 }), { rating: "good" })).status).toBe(
      409,
    );
    expect((await rate(A.customer, t.id, { rating: "good" })).status).toBe(409);
    expect(await stored(t.id)).toBeUndefined();
  });
});

describe("ratings in the export", () => {
  it("CSV has a satisfaction column and NDJSON a satisfaction key", async () => {
    const t = await solved(A);
    expect((await rate(A.customer, t.id, { rating: "good", comment: "Quick, thanks" })).status).toBe(200);
    const csv = await call(apiRoute.GET, "GET", "/api/v1/export/tickets", {
      cookie: A.admin.cookie,
      query: { format: "csv" },
    });
    expect(csv.status).toBe(200);
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines[0]!.split(",").at(-1)).toBe("satisfaction");
    expect(
      lines
        .find((l) => l.startsWith(t.id))!
        .split(",")
        .at(-1),
    ).toBe("good");
    const nd = await call(apiRoute.GET, "GET", "/api/v1/export/tickets", {
      cookie: A.admin.cookie,
      query: { format: "ndjson" },
    });
    const rows = nd.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; satisfaction: unknown });
    expect(rows.find((r) => r.id === t.id)!.satisfaction).toEqual({ rating: "good", comment: "Quick, thanks" });
    expect(rows.every((r) => "satisfaction" in r)).toBe(true);
  });
});

describe("ratings on the dashboard", () => {
  const pageUser = (w: World, a: Actor): PageUser => ({
    userId: a.id,
    orgId: a.orgId,
    role: a.role,
    email: a.email,
    name: a.email,
    mustChangePassword: false,
    sessionVersion: a.sessionVersion,
    via: "session",
    org: { id: w.org.id, name: w.org.name, slug: w.org.slug },
  });
  it("counts good and bad by week, agent and group, for the org only", async () => {
    const [C, D] = await Promise.all([createWorld(), createWorld()]);
    for (const [who, r] of [
      [C.agent, "good"],
      [C.agent, "good"],
      [C.agent2, "bad"],
    ] as const) {
      const t = await newTicket(C.customer);
      expect((await api.patchTicket(C.admin, t.id, { assigneeId: who.id, status: "solved" })).status).toBe(200);
      expect((await rate(C.customer, t.id, { rating: r })).status).toBe(200);
    }
    const d = await withPageContext(pageUser(C, C.agent), (scope) => csatDashboard(scope));
    expect({ good: d.good, bad: d.bad }).toEqual({ good: 2, bad: 1 });
    expect(d.byWeek.reduce((a, w) => a + w.good + w.bad, 0)).toBe(3);
    expect(d.byAgent.map((a) => [a.id, a.good, a.bad]).sort()).toEqual(
      [
        [C.agent.id, 2, 0],
        [C.agent2.id, 0, 1],
      ].sort(),
    );
    expect(d.byGroup).toEqual([{ id: null, name: "No group", good: 2, bad: 1 }]);
    const other = await withPageContext(pageUser(D, D.agent), (scope) => csatDashboard(scope));
    expect({ good: other.good, bad: other.bad, agents: other.byAgent }).toEqual({ good: 0, bad: 0, agents: [] });
  });
});

describe("rating in the portal", () => {
  it("the requester rates and changes their rating; staff and other customers may not rate; another org sees nothing", async () => {
    const t = await solved(A);
    const r = await rate(A.customer, t.id, { rating: "good", comment: "Thanks!" });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ rating: "good", comment: "Thanks!" });
    expect((await rate(A.customer, t.id, { rating: "bad" })).body).toMatchObject({ rating: "bad", comment: "" });
    expect((await rate(A.agent, t.id, { rating: "good" })).status).toBe(403);
    expect((await rate(A.customer2, t.id, { rating: "good" })).status).toBe(404);
    expect((await rate(B.customer, t.id, { rating: "good" })).status).toBe(404);
    expect((await rating(B.agent, t.id)).status).toBe(404);
    expect((await rating(A.customer, t.id)).body).toMatchObject({ rating: "bad" });
    expect(await stored(t.id)).toMatchObject({ rating: "bad", changes: 2 });
  });
});
