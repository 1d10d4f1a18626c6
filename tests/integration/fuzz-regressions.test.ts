import { beforeAll, describe, expect, it } from "vitest";
import { apiRoute as notificationsRoute } from "../helpers/http";
import { apiRoute as usersRoute } from "../helpers/http";
import { apiRoute as deliveriesRoute, apiRoute as webhooksRoute } from "../helpers/http";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { tickets } from "../../src/server/db/schema/tickets";
import { api, newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// Inputs the API fuzzer (fuzz-api.test.ts) found answered with 500, kept as plain examples.

let w: World;
beforeAll(async () => {
  w = await createWorld();
});

const ticketCount = () => unsafeWithSystem(async (tx) => (await tx.select().from(tickets)).length);

describe("inputs PostgreSQL refuses are a 400, not a 500", () => {
  it("a NUL character in a subject, a comment or a search", async () => {
    const before = await ticketCount();
    const created = await api.createTicket(w.customer, { subject: "a\u0000b", body: "x" });
    expect(created.status).toBe(400);
    expect(created.body.error.code).toBe("validation_failed");
    expect(await ticketCount()).toBe(before);

    const t = await newTicket(w.customer);
    const comment = await api.addComment(w.customer, t.id, { body: "nul \u0000 inside" });
    expect(comment.status).toBe(400);
    const search = await call(usersRoute.GET, "GET", "/api/v1/users", {
      cookie: w.agent.cookie,
      query: { q: "\u0000" },
    });
    expect(search.status).toBe(400);
    expect(search.text).not.toMatch(/0x00|byte sequence|UTF8/i);
  });

  it("a real cursor of one list replayed on another", async () => {
    await newTicket(w.customer);
    await newTicket(w.customer);
    const byPriority = await api.listTickets(w.admin, { limit: "1", sort: "-priority" });
    const byEmail = await call(usersRoute.GET, "GET", "/api/v1/users", {
      cookie: w.admin.cookie,
      query: { limit: "1" },
    });
    const hook = await call(webhooksRoute.POST, "POST", "/api/v1/webhooks", {
      cookie: w.admin.cookie,
      body: { url: "http://127.0.0.1:9/x", events: ["ticket.created"] },
    });
    const t = await newTicket(w.customer);
    for (const cursor of [byPriority.body.nextCursor as string, byEmail.body.nextCursor as string]) {
      expect(cursor).toEqual(expect.any(String));
      const replays = [
        await call(notificationsRoute.GET, "GET", "/api/v1/notifications", {
          cookie: w.agent.cookie,
          query: { cursor },
        }),
        await api.listComments(w.customer, t.id, { cursor }),
        await call(deliveriesRoute.GET, "GET", `/api/v1/webhooks/${hook.body.id}/deliveries`, {
          cookie: w.admin.cookie,
          params: { id: hook.body.id },
          query: { cursor },
        }),
      ];
      for (const r of replays) {
        expect(r.status, r.text).toBe(400);
        // Refused by the cursor's own check (it is signed for its list), before any query runs.
        expect(r.body.error.code).toBe("invalid_cursor");
        expect(r.body.error.message).toBe("cursor is invalid or tampered");
      }
    }
  });
});
